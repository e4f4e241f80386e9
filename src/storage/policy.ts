/**
 * What each storage type allows, as data. `allows()` is the one place that answers "may this
 * actor do this operation on this storage type?"; the tests walk the whole table.
 */
import { OPERATIONS, type Operation } from '../protocol/storageTypes';
import type { StorageType } from './types';

/**
 * Who is acting on a namespace: its owner (a user token for that namespace), or a service
 * acting for the owner (task processing, the catalog).
 */
export const ACTORS = ['owner', 'tasks', 'catalog'] as const;
export type Actor = (typeof ACTORS)[number];

interface TypePolicy {
  allowed: Record<Actor, readonly Operation[]>;
  /**
   * Writes may only create: an object once stored is never replaced through any door (PUT,
   * upload URL, multipart, copy). The store enforces it with a conditional write.
   */
  createOnly?: boolean;
  /** What to tell a caller who is refused, saying what to do instead. */
  refusal: string;
}

const EVERYTHING = OPERATIONS;
const NOTHING: readonly Operation[] = [];

/** data and tmp: the owner's own space. */
const ownerOnly = (type: StorageType): TypePolicy => ({
  allowed: { owner: EVERYTHING, tasks: NOTHING, catalog: NOTHING },
  refusal: `Only the owner may use the ${type} storage type`,
});

/** result and logs: written by task processing for the owner, who reads and cleans up. */
const writtenByTasks = (type: StorageType): TypePolicy => ({
  allowed: {
    owner: ['read', 'exists', 'list', 'signDownload', 'delete'],
    tasks: ['write', 'signUpload', 'read', 'exists', 'list'],
    catalog: NOTHING,
  },
  refusal: `The ${type} storage type is written by task processing; you may read, check, list and delete`,
});

export const POLICY: Record<StorageType, TypePolicy> = {
  data: ownerOnly('data'),
  tmp: ownerOnly('tmp'),
  products: {
    createOnly: true,
    allowed: {
      owner: ['write', 'signUpload', 'exists', 'list'],
      tasks: NOTHING,
      catalog: ['read', 'exists', 'list', 'signDownload', 'delete'],
    },
    refusal:
      'The products storage type is upload-only: you may upload, check and list; ' +
      "reading and deleting go through the Catalog (remove_image deletes a product's files)",
  },
  result: writtenByTasks('result'),
  logs: writtenByTasks('logs'),
};

export function allows(type: StorageType, actor: Actor, operation: Operation): boolean {
  return POLICY[type].allowed[actor].includes(operation);
}

/** A caller may hold several actors (a token with both service roles): any one suffices. */
export function allowsAny(type: StorageType, actors: readonly Actor[], operation: Operation): boolean {
  return actors.some((actor) => allows(type, actor, operation));
}
