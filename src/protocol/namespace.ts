/**
 * A caller's namespace is the lowercase hex SHA-1 of the token's subject (UTF-8): stable for
 * the life of the identity, 40 characters of [0-9a-f] so always safe as an S3 key prefix, and
 * the same derivation the original Storage API's clients use for `auth.namespace`.
 * SHA-1 is a naming function here, not a security boundary: access is decided by the token.
 */
import { createHash } from 'node:crypto';

export function namespaceFor(subject: string): string {
  return createHash('sha1').update(subject, 'utf8').digest('hex');
}

/** Where a caller's key lives in its storage type's bucket. */
export function objectKey(namespace: string, key: string): string {
  return `${namespace}/${key}`;
}

/**
 * The parent paths of `key` below `floor` (a namespace's prefix), shallowest first: the keys
 * that, stored as objects, would make `key` a file inside a file. `ns/a/b/c` under `ns/` has
 * `ns/a` and `ns/a/b`.
 */
export function parentPaths(key: string, floor: string): string[] {
  const segments = key.slice(floor.length).split('/');
  return segments.slice(0, -1).map((_, i) => floor + segments.slice(0, i + 1).join('/'));
}
