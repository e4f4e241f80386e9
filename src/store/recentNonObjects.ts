/**
 * Parent paths lately seen not to be objects, so that writes into the same folder need not ask
 * the store again for a moment (collidingKey in s3Store.ts: one HEAD per parent path).
 *
 * Why a short memory is safe: while anything is stored below a path, writing the path itself
 * is refused as a collision, so it can become an object only once its folder is empty again.
 * This process forgets a path the moment it starts to write an object there, and refuses to
 * remember an answer that a write of the same path may have overtaken. What other processes
 * write is covered by the short lifetime alone: the check is a read before the write in any
 * case, never atomic, and a collision can only hide a caller's own object (docs/security.md).
 */
export class RecentNonObjects {
  /** Path -> until when it is trusted. Map order is insertion order: the oldest goes first. */
  private readonly seen = new Map<string, number>();
  /** Path -> when a write of it last began, kept for one lifetime. */
  private readonly writes = new Map<string, number>();

  constructor(
    private readonly lifetimeMs = 1000,
    private readonly capacity = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether `key` was seen not to be an object within the lifetime. */
  has(bucket: string, key: string): boolean {
    const id = `${bucket}/${key}`;
    const until = this.seen.get(id);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.seen.delete(id);
    return false;
  }

  /** A check that began at `checkedAt` found no object at `key`. */
  remember(bucket: string, key: string, checkedAt: number): void {
    const id = `${bucket}/${key}`;
    const now = this.now();
    if (now - checkedAt >= this.lifetimeMs) return;
    const written = this.writes.get(id);
    if (written !== undefined && written >= checkedAt) return;
    this.seen.delete(id);
    this.seen.set(id, checkedAt + this.lifetimeMs);
    trim(this.seen, this.capacity);
  }

  /** An object is about to be written at `key`. */
  forget(bucket: string, key: string): void {
    const id = `${bucket}/${key}`;
    this.seen.delete(id);
    this.writes.delete(id);
    this.writes.set(id, this.now());
    // Entries older than a lifetime no longer decide anything.
    const oldest = this.now() - this.lifetimeMs;
    for (const [path, at] of this.writes) {
      if (at >= oldest && this.writes.size <= this.capacity) break;
      this.writes.delete(path);
    }
  }
}

function trim(map: Map<string, number>, capacity: number): void {
  for (const path of map.keys()) {
    if (map.size <= capacity) return;
    map.delete(path);
  }
}
