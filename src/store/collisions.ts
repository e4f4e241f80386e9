/**
 * A key must not be both a file and a folder: some engines (MinIO) store keys as paths and
 * cannot hold both. Every write asks first, through the signed-HTTP client.
 */
import { parentPaths } from '../protocol/namespace';
import type { Principal } from '../shares';
import { statusOf } from './failures';
import { RecentNonObjects } from './recentNonObjects';
import { firstListedKey, type SignedHttp } from './signedHttp';

/** Parent paths a collision check asks about at once. */
const PARENTS_AT_ONCE = 4;

export class CollisionCheck {
  /** Parent paths just seen not to be objects: writes into one folder ask once. */
  private readonly nonObjects = new RecentNonObjects();

  constructor(private readonly http: SignedHttp) {}

  /**
   * Whether the key would collide with another object, as a folder and a file of the same
   * name: an object at one of its parent paths (`a` or `a/b` for `a/b/c`), or objects below
   * it (`a/b/c/...`). Some engines (MinIO) store keys as paths and cannot hold both: one of
   * the two becomes invisible to listing, or the write fails. Answers the colliding key.
   * A parent seen not to be an object within the last second is not asked again
   * (recentNonObjects.ts): a burst of writes into one folder costs one listing each. Parents
   * are asked PARENTS_AT_ONCE at a time, shallowest first, each call in the caller's turn.
   */
  async find(bucket: string, key: string, floor: string, principal?: Principal): Promise<string | undefined> {
    const parents = parentPaths(key, floor).filter((parent) => !this.nonObjects.has(bucket, parent));
    const checkedAt = performance.now();
    const isObject = (parent: string) =>
      this.http.send({ method: 'HEAD', bucket, key: parent, principal }).then(
        (answer) => answer.body.dump().then(() => true),
        (error: unknown) => {
          if (statusOf(error) !== 404) throw error;
          this.nonObjects.remember(bucket, parent, checkedAt);
          return false;
        },
      );
    const below = this.http
      .send({ method: 'GET', bucket, key: '', query: { 'list-type': '2', prefix: `${key}/`, 'max-keys': '1' }, principal })
      .then((answer) => answer.body.text());
    // Parents a few at a time, shallowest first: a deep key never queues dozens of calls at
    // once, and the first object found (or the first refusal) ends the check.
    try {
      for (let i = 0; i < parents.length; i += PARENTS_AT_ONCE) {
        const batch = parents.slice(i, i + PARENTS_AT_ONCE);
        const objects = await Promise.all(batch.map(isObject));
        const parent = batch.find((_, j) => objects[j]);
        if (parent !== undefined) return parent;
      }
    } finally {
      // Read (or failed) either way, so its connection goes back to the pool.
      await below.catch(() => undefined);
    }
    return firstListedKey(await below);
  }

  /** A write of `key` begins: it may be an object from now on. */
  forget(bucket: string, key: string): void {
    this.nonObjects.forget(bucket, key);
  }
}
