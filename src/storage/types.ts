/** The storage types of the Storage API and the bucket each one lives in. */
import { InvalidStorageType } from './errors';

export const STORAGE_TYPES = ['data', 'tmp', 'products', 'result', 'logs'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

export function isStorageType(value: string): value is StorageType {
  return (STORAGE_TYPES as readonly string[]).includes(value);
}

export function parseStorageType(value: string): StorageType {
  if (!isStorageType(value)) throw new InvalidStorageType(value, STORAGE_TYPES);
  return value;
}

/** `storage` + `tmp` gives `storage-tmp`: one bucket per storage type. */
export function bucketName(prefix: string, type: StorageType): string {
  return `${prefix}-${type}`;
}

/** Objects in the tmp bucket expire this many days after they were written. */
export const TMP_EXPIRY_DAYS = 7;
/** Incomplete multipart uploads are aborted this many days after they began, in every bucket. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 7;
