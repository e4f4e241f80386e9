/** The Storage API client: `import { StorageClient } from 'storage-gateway-client'` (packages/client). */
export { StorageClient } from './client';
export type {
  BlobInput,
  CredentialsOptions,
  GetFileOptions,
  ListPage,
  ObjectInfo,
  S3Credentials,
  S3Grant,
  SetFileOptions,
  SetResult,
  StorageClientOptions,
  TypeOption,
  TypeUsage,
  UploadUrlOptions,
  UrlOptions,
  Usage,
} from './client';
export type { DownloadResult } from './download';
export {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  HostNotFoundError,
  NotFoundError,
  NotSupportedError,
  QuotaExceededError,
  StorageClientError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
} from './errors';
export type { RetryListener, RetryNotice, RetryPolicy } from './retry';
export type { Progress, ProgressCallback, UploadResult } from './upload';
export { STORAGE_TYPES, type StorageType } from '../protocol/storageTypes';
