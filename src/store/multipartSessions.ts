/**
 * Multipart upload sessions on S3: created, listed, completed and aborted for callers who
 * upload their parts straight to the store, and for the gateway's own streamed uploads.
 * SeaweedFS keeps every upload of a part number where S3 keeps the last: the latest is chosen
 * here, so both behave alike.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import { BadRequest, Conflict } from '../errors';
import { nameOf, PARTS_REFUSED } from './failures';
import type { S3Context } from './s3Context';
import type { OpenUpload, Principal, UploadedPart, WriteOptions, Written } from './types';

/** A part as listed, with what tells uploads of one part number apart. */
interface LatestPart extends UploadedPart {
  /** LastModified, ms since the epoch. */
  modified: number;
  /** The ETags of every upload of this part number with that same date (`etag` among them). */
  latestEtags: string[];
}

export class MultipartSessions {
  constructor(private readonly s3: S3Context) {}

  async createMultipart(bucket: string, key: string, options: WriteOptions): Promise<string> {
    return this.s3.call('createMultipartUpload', async () => {
      const command = new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        ContentType: options.contentType,
        Metadata: options.metadata,
      });
      const answer = await this.s3.turn(options.principal, () => this.s3.client.send(command));
      if (!answer.UploadId) throw new Error('the store created a multipart upload without an id');
      return answer.UploadId;
    });
  }

  /**
   * Unfinished uploads to exactly this key, oldest first. The store's own listing is the only
   * proof that an upload id belongs to a key: ids are never taken on a caller's word.
   */
  async listUploads(bucket: string, key: string, principal?: Principal): Promise<OpenUpload[]> {
    return this.s3.call('listMultipartUploads', async () => {
      const uploads: OpenUpload[] = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const command = new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: key,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        });
        const page = await this.s3.turn(principal, () => this.s3.client.send(command));
        for (const upload of page.Uploads ?? []) {
          if (upload.Key === key && upload.UploadId) {
            uploads.push({ uploadId: upload.UploadId, initiated: upload.Initiated ?? new Date(0) });
          }
        }
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
      return uploads.sort((a, b) => a.initiated.getTime() - b.initiated.getTime());
    });
  }

  /**
   * The parts the store holds for an upload so far, in part order: what a resuming client
   * skips. One per part number, the latest: SeaweedFS keeps and lists every upload of a part
   * number (and would complete with any of them), where S3 keeps only the last.
   */
  async listParts(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<UploadedPart[]> {
    return (await this.listPartUploads(bucket, key, uploadId, principal)).map(({ partNumber, size, etag }) => ({ partNumber, size, etag }));
  }

  /** Every part upload the store lists, reduced to the latest per part number (see listParts). */
  private async listPartUploads(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<LatestPart[]> {
    return this.s3.call('listParts', async () => {
      const latest = new Map<number, LatestPart>();
      let marker: string | undefined;
      for (;;) {
        const command = new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker });
        const page = await this.s3.turn(principal, () => this.s3.client.send(command));
        for (const part of page.Parts ?? []) {
          const etag = part.ETag ?? '';
          const seen: LatestPart = {
            partNumber: part.PartNumber ?? 0,
            size: part.Size ?? 0,
            etag,
            modified: part.LastModified?.getTime() ?? 0,
            latestEtags: [etag],
          };
          const before = latest.get(seen.partNumber);
          if (!before || seen.modified > before.modified) latest.set(seen.partNumber, seen);
          // SeaweedFS dates parts to the second: uploads within one second cannot be ordered.
          else if (seen.modified === before.modified && !before.latestEtags.includes(etag)) before.latestEtags.push(etag);
        }
        if (!page.IsTruncated || !page.NextPartNumberMarker) break;
        // SeaweedFS starts the next page after the marker's part number, skipping any further
        // uploads of it: start one before, so every upload of the marker's part is seen.
        const next =
          this.s3.settings.engine === 'seaweedfs' ? String(Math.max(0, Number(page.NextPartNumberMarker) - 1)) : page.NextPartNumberMarker;
        marker = next === marker ? page.NextPartNumberMarker : next;
      }
      return [...latest.values()].sort((a, b) => a.partNumber - b.partNumber);
    });
  }

  /** The latest upload of every part, for completing without a list: refused where that is ambiguous (see above). */
  async latestPartsToComplete(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<UploadedPart[]> {
    const parts = await this.listPartUploads(bucket, key, uploadId, principal);
    const unclear = parts.find((part) => part.latestEtags.length > 1);
    if (unclear) {
      throw new Conflict(
        `Part ${unclear.partNumber} was uploaded twice within one second with different content: name the parts and their ETags to complete`,
      );
    }
    return parts.map(({ partNumber, size, etag }) => ({ partNumber, size, etag }));
  }

  async completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    options: { exclusive?: boolean; principal?: Principal } = {},
  ): Promise<Written> {
    const { principal } = options;
    // SeaweedFS completes with any upload of a part number the ETag names, even one uploaded
    // again since; S3 (and MinIO) refuse all but the last. Check against the latest here.
    if (this.s3.settings.engine === 'seaweedfs') await this.refuseSupersededParts(bucket, key, uploadId, parts, principal);
    this.s3.writing(bucket, key);
    // A completion of thousands of parts keeps the store busy: it waits its turn among heavy calls.
    return this.s3.call(
      'completeMultipartUpload',
      () =>
        this.s3.heavy(principal, async () => {
          const answer = await this.s3.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
              ...(options.exclusive && { IfNoneMatch: '*' }),
            }),
          );
          const head = await this.s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          return { etag: answer.ETag ?? head.ETag ?? '', size: head.ContentLength ?? 0 };
        }),
      options.exclusive,
    );
  }

  /**
   * Every named part must be the latest upload of its number. Uploads within the same second
   * (a client re-sending a part it found changed) cannot be ordered on SeaweedFS: any of them
   * may be named, as the caller knows which it sent last.
   */
  private async refuseSupersededParts(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    principal: Principal,
  ): Promise<void> {
    const latest = new Map((await this.listPartUploads(bucket, key, uploadId, principal)).map((part) => [part.partNumber, part]));
    for (const { partNumber, etag } of parts) {
      const part = latest.get(partNumber);
      if (!part?.latestEtags.some((candidate) => unquote(candidate) === unquote(etag)))
        throw new BadRequest(PARTS_REFUSED.InvalidPart as string);
    }
  }

  async abortMultipart(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<void> {
    const command = new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId });
    await this.s3.call('abortMultipartUpload', () => this.s3.turn(principal, () => this.s3.client.send(command)));
  }

  /**
   * SeaweedFS: aborts multipart uploads begun more than `olderThanMs` ago. It stores the
   * AbortIncompleteMultipartUpload rule but `weed server` alone does not apply it.
   */
  async abortStaleUploads(bucket: string, olderThanMs: number): Promise<number> {
    if (this.s3.settings.engine !== 'seaweedfs') return 0;
    return this.s3.call('abortStaleUploads', async () => {
      let aborted = 0;
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const page = await this.s3.client.send(
          new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId || !upload.Initiated || Date.now() - upload.Initiated.getTime() < olderThanMs) continue;
          await this.abortQuietly(bucket, upload.Key, upload.UploadId);
          aborted++;
        }
        if (!page.IsTruncated) return aborted;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    });
  }

  /** Aborts a multipart upload of the gateway's own, retrying, so a failed stream leaves no parts. */
  async abortQuietly(bucket: string, key: string, uploadId: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.s3.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
        return;
      } catch (error) {
        if (nameOf(error) === 'NoSuchUpload') return;
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
    }
  }
}

/** An ETag without its quotes (callers may send either form). */
function unquote(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '');
}
