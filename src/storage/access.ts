/**
 * Who is asking, where their keys live, and the checks every call makes before it reaches the
 * store: the policy table, the key's rules, the namespace, and that a key is not both a file
 * and a folder. Shared by the storage service and its upload sessions.
 */
import { Conflict, Forbidden, NotFound } from '../errors';
import { namespaceFor, objectKey } from '../protocol/namespace';
import type { ObjectInfo, Store } from '../store/types';
import { validateKey, validateNewKey } from './keys';
import { allowsAny, POLICY, type Actor } from './policy';
import type { Operation } from '../protocol/storageTypes';
import { bucketName, type StorageType } from './types';

/** The party making a request, as the auth layer established it. */
export interface Caller {
  /** The token's subject, recorded on objects as their owner. */
  subject: string;
  /** The namespace acted on: the caller's own, or the one a service acts for. */
  namespace: string;
  /** 'owner' for a user on its own namespace; the service's actors when acting for another. */
  actors: readonly Actor[];
  /** The token's roles hold storage:admin: it may see and set any namespace's usage and quotas (no data). */
  admin?: boolean;
  /** When the caller's token expires: nothing issued to it (S3 credentials) may outlive it. */
  tokenExpiresAt?: Date | undefined;
}

/**
 * Where one of a caller's keys lives, resolved once (policy checked, key validated, namespace
 * applied) and passed down: the store location, and the key as the caller named it.
 */
export interface ObjectRef {
  bucket: string;
  /** The object's key in its bucket: namespace + the caller's key. */
  target: string;
  /** The key as the caller named it, for messages. */
  key: string;
  /** The caller's namespace prefix in the bucket: nothing above it is the caller's. */
  floor: string;
}

const CREATE_ONLY_REFUSAL = 'A product is already stored at this key; products are never replaced (delete it through the catalog first)';

export class Access {
  constructor(
    private readonly store: Store,
    private readonly bucketPrefix: string,
  ) {}

  bucketFor(type: StorageType): string {
    return bucketName(this.bucketPrefix, type);
  }

  /**
   * A key must not be both a file and a folder (see Store.collidingKey). Every write asks, so
   * the key's depth, which sets what asking costs, is checked here first.
   */
  private async refuseCollision(caller: Caller, ref: ObjectRef): Promise<void> {
    validateNewKey(ref.key);
    const colliding = await this.store.collidingKey(ref.bucket, ref.target, ref.floor, caller.subject);
    if (colliding === undefined) return;
    const other = colliding.slice(ref.floor.length);
    throw new Conflict(
      other.length < ref.key.length
        ? `'${other}' is an object, so '${ref.key}' cannot be stored under it as a folder`
        : `'${ref.key}' is a folder (it holds '${other}'), so it cannot also be an object`,
    );
  }

  /**
   * What every write asks the store first, at once: that the key collides with no file or
   * folder (Conflict if it does), and what is stored at it now (undefined: nothing), so usage
   * counts what the write replaces. The key's depth is checked before either call.
   */
  async beforeWrite(caller: Caller, ref: ObjectRef): Promise<ObjectInfo | undefined> {
    validateNewKey(ref.key);
    const [, stored] = await Promise.all([this.refuseCollision(caller, ref), this.headIfStored(caller, ref)]);
    return stored;
  }

  /** Early refusal for create-only types, from the key's HEAD; the store's conditional write is what guarantees it. */
  refuseStored(stored: ObjectInfo | undefined): void {
    if (stored) throw new Conflict(CREATE_ONLY_REFUSAL);
  }

  /** The object's headers, or undefined when nothing is stored at the key. */
  async headIfStored(caller: Caller, ref: ObjectRef): Promise<ObjectInfo | undefined> {
    try {
      return await this.store.head(ref.bucket, ref.target, caller.subject);
    } catch (error) {
      if (error instanceof NotFound) return undefined;
      throw error;
    }
  }

  /** Checks the policy and the key, and answers where the key lives: done once per call. */
  resolve(caller: Caller, type: StorageType, operation: Operation, key: string): ObjectRef {
    this.authorize(caller, type, operation);
    const floor = objectKey(caller.namespace, '');
    return { bucket: this.bucketFor(type), target: objectKey(caller.namespace, validateKey(key)), key, floor };
  }

  authorize(caller: Caller, type: StorageType, operation: Operation): void {
    if (!allowsAny(type, caller.actors, operation)) throw new Forbidden(POLICY[type].refusal);
  }
}

/**
 * Objects record who wrote them, for operators reading a bucket directly: the writer's own
 * namespace (the SHA-1 of its subject), which is the object's namespace when its owner wrote it
 * and a service's when a service wrote it for the owner. Never the subject itself: upload URLs
 * carry this metadata in their query, and a URL is handed to others (a subject is often an
 * email address).
 */
export function ownerMetadata(caller: Caller): Record<string, string> {
  return { owner: namespaceFor(caller.subject) };
}
