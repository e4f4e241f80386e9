/** The Storage API client: `import { StorageClient } from 'storage-gateway-client'` (packages/client). */
export { StorageClient } from './client';
export type {
  BlobInput,
  GetFileOptions,
  ListPage,
  ObjectInfo,
  SetFileOptions,
  SetResult,
  StorageClientOptions,
  TypeOption,
  UploadUrlOptions,
  UrlOptions,
} from './client';
export type { DownloadResult } from './download';
export {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  HostNotFoundError,
  NotFoundError,
  StorageClientError,
  UnauthorizedError,
  UnavailableError,
} from './errors';
export type { RetryListener, RetryNotice, RetryPolicy } from './retry';
export type { Progress, ProgressCallback, UploadResult } from './upload';
export { STORAGE_TYPES, type StorageType } from '../protocol/storageTypes';
