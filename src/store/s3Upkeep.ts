/**
 * The S3 store's background side (StoreUpkeep, scheduled by upkeep.ts): what the gateway does
 * for what an engine does not do by itself. Each sweep belongs to the part whose objects it
 * tends (streamed uploads, upload-URL records, multipart sessions); this gathers them behind
 * the one interface, and keeps SeaweedFS's expiry as a filer TTL.
 */
import { StoreUnavailable } from '../errors';
import type { MultipartSessions } from './multipartSessions';
import type { S3Context } from './s3Context';
import { ensureBucketTtl } from './seaweedFiler';
import type { StreamedUploads } from './streamedUploads';
import type { StoreUpkeep } from './types';
import type { UrlUploadRecords } from './urlUploadRecords';

export class S3Upkeep implements StoreUpkeep {
  constructor(
    private readonly s3: S3Context,
    private readonly parts: { streamed: StreamedUploads; records: UrlUploadRecords; sessions: MultipartSessions },
  ) {}

  /** Aborts the gateway's own streamed uploads whose process died (streamedUploads.ts). */
  sweepOrphanedStreams(bucket: string, staleAfterMs: number): Promise<number> {
    return this.parts.streamed.sweepOrphanedStreams(bucket, staleAfterMs);
  }

  /** SeaweedFS: settles what upload URLs stored, forgets expired records (urlUploadRecords.ts). */
  sweepUrlUploads(bucket: string): Promise<number> {
    return this.parts.records.sweep(bucket);
  }

  /** SeaweedFS: aborts multipart uploads older than the lifecycle rule's age, which it does not apply itself. */
  abortStaleUploads(bucket: string, olderThanMs: number): Promise<number> {
    return this.parts.sessions.abortStaleUploads(bucket, olderThanMs);
  }

  /**
   * SeaweedFS stores lifecycle rules but `weed server` does not apply them: the expiry is
   * applied as a filer path TTL (seaweedFiler.ts), when the gateway knows the filer.
   */
  async ensureFilerTtl(bucket: string, days: number): Promise<'written' | 'present' | 'unconfigured'> {
    const filerUrl = this.s3.settings.filerUrl;
    if (filerUrl === undefined) return 'unconfigured';
    return this.s3.call('ensureFilerTtl', async () => {
      try {
        return await ensureBucketTtl(filerUrl, bucket, days);
      } catch (error) {
        // The filer not answering is an outage like any other: retried until it answers.
        throw new StoreUnavailable(undefined, `${(error as Error).message} (filer ${filerUrl})`);
      }
    });
  }
}
