/** The storage types of the Storage API and the bucket each one lives in. */
import { InvalidStorageType } from '../errors';
import { isStorageType, STORAGE_TYPES, type StorageType } from '../protocol/storageTypes';

export {
  ABORT_INCOMPLETE_UPLOAD_DAYS,
  bucketName,
  isStorageType,
  STORAGE_TYPES,
  TMP_EXPIRY_DAYS,
  type StorageType,
} from '../protocol/storageTypes';

export function parseStorageType(value: string): StorageType {
  if (!isStorageType(value)) throw new InvalidStorageType(value, STORAGE_TYPES);
  return value;
}
