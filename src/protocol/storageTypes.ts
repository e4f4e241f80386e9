/**
 * The storage types of the Storage API, as callers and the gateway both know them: shared by
 * the client and the server, so it imports nothing.
 */
export const STORAGE_TYPES = ['data', 'tmp', 'products', 'result', 'logs'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

export function isStorageType(value: string): value is StorageType {
  return (STORAGE_TYPES as readonly string[]).includes(value);
}

/** What a caller may be allowed to do on a storage type (the policy table's columns). */
export const OPERATIONS = ['read', 'exists', 'list', 'write', 'delete', 'signUpload', 'signDownload'] as const;
export type Operation = (typeof OPERATIONS)[number];

/**
 * A caller's namespace, as namespace.ts derives it: 40 lowercase hex characters (here, apart
 * from that derivation, so the browser's code can check one without Node's crypto).
 */
export const NAMESPACE_PATTERN = /^[0-9a-f]{40}$/;

/** The bucket that holds one storage type's objects: `<prefix>-<type>`, as operators see it. */
export function bucketName(prefix: string, type: StorageType): string {
  return `${prefix}-${type}`;
}

/** Objects in the tmp bucket expire this many days after they were written. */
export const TMP_EXPIRY_DAYS = 7;
/** Incomplete multipart uploads are aborted this many days after they began, in every bucket. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 7;
