/**
 * The gateway's buckets: one per storage type, created with their lifecycle rules (tmp's
 * expiry, aborting forgotten multipart uploads) and the CORS rule browsers need for presigned
 * URLs, at every start; and whether they are all still there, for /readyz.
 */
import type { Store } from '../store/types';
import { ABORT_INCOMPLETE_UPLOAD_DAYS, STORAGE_TYPES, TMP_EXPIRY_DAYS, type StorageType } from './types';

/** Lifecycle rule IDs; operators see them on the buckets (and may add rules of their own). */
export const RULE_TMP_EXPIRY = 'storage-gateway-tmp-expiry';
export const RULE_ABORT_INCOMPLETE_UPLOADS = 'storage-gateway-abort-incomplete-uploads';
/**
 * The bucket CORS rule for browsers using presigned URLs (the storage browser uploads parts
 * straight to the store and reads their ETags). Any origin: a presigned URL is its own
 * authorization and the store sets no cookies, so a page on another origin gains nothing a
 * holder of the URL could not do with curl; without the rule browsers are only kept from
 * reading the answers.
 */
export const RULE_BROWSER_TRANSFERS = 'storage-gateway-browser-transfers';
const BROWSER_TRANSFERS_CORS = {
  id: RULE_BROWSER_TRANSFERS,
  methods: ['GET', 'HEAD', 'PUT'] as ('GET' | 'HEAD' | 'PUT')[],
  origins: ['*'],
  exposeHeaders: ['ETag', 'Content-Length', 'Content-Range'],
  maxAgeSeconds: 3600,
};

export class BucketProvisioning {
  constructor(
    private readonly store: Store,
    private readonly bucketFor: (type: StorageType) => string,
  ) {}

  /** Creates the buckets and their lifecycle rules; safe to run at every start. */
  async prepare() {
    return Promise.all(
      STORAGE_TYPES.map((type) =>
        this.store.ensureBucket(
          this.bucketFor(type),
          [
            ...(type === 'tmp' ? [{ id: RULE_TMP_EXPIRY, expireAfterDays: TMP_EXPIRY_DAYS }] : []),
            { id: RULE_ABORT_INCOMPLETE_UPLOADS, abortIncompleteUploadsAfterDays: ABORT_INCOMPLETE_UPLOAD_DAYS },
          ],
          BROWSER_TRANSFERS_CORS,
        ),
      ),
    );
  }

  /** Resolves when the store is reachable and every bucket is there. */
  async checkReady(): Promise<void> {
    await this.store.checkBuckets(STORAGE_TYPES.map((type) => this.bucketFor(type)));
  }
}
