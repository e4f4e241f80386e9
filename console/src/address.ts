/**
 * The folder shown, in the address fragment (`#/data/docs/2024/`), so a reload or a shared
 * address opens it and Back goes up again. The fragment never reaches the server.
 */
import type { StorageType } from '../../src/protocol/storageTypes';

/** A folder: a storage type and a prefix, '' or ending in '/'. */
export interface Place {
  type: StorageType;
  prefix: string;
}

export function addressOf({ type, prefix }: Place): string {
  return `#/${type}/${prefix.split('/').map(encodeURIComponent).join('/')}`;
}

/** The place an address fragment names, if it names a folder of one of these types. */
export function placeIn(hash: string, types: readonly StorageType[]): Place | undefined {
  const match = /^#\/([a-z]+)\/(.*)$/.exec(hash);
  const type = types.find((each) => each === match?.[1]);
  if (!match || !type) return undefined;
  try {
    const prefix = (match[2] ?? '').split('/').map(decodeURIComponent).join('/');
    return prefix === '' || prefix.endsWith('/') ? { type, prefix } : undefined;
  } catch {
    return undefined;
  }
}

/** The folder above a prefix: `a/b/` → `a/`, `a/` → ''. */
export function parentOf(prefix: string): string {
  const parts = prefix.split('/').filter(Boolean);
  return parts.length <= 1 ? '' : `${parts.slice(0, -1).join('/')}/`;
}
