/** The storage types of the Storage API and the bucket each one lives in. */
import { InvalidStorageType } from '../errors';
import { isStorageType, STORAGE_TYPES, type StorageType } from '../protocol/storageTypes';

export { ABORT_INCOMPLETE_UPLOAD_DAYS, isStorageType, STORAGE_TYPES, TMP_EXPIRY_DAYS, type StorageType } from '../protocol/storageTypes';

export function parseStorageType(value: string): StorageType {
  if (!isStorageType(value)) throw new InvalidStorageType(value, STORAGE_TYPES);
  return value;
}

/** `storage` + `tmp` gives `storage-tmp`: one bucket per storage type. */
export function bucketName(prefix: string, type: StorageType): string {
  return `${prefix}-${type}`;
}
