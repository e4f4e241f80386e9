/**
 * SeaweedFS stores an upload URL's object with only what the uploader sent: no x-amz-meta-*
 * (it ignores the signed query), and the uploader's Content-Type, or with none one it guesses
 * from the bytes. So the gateway records each URL's type and metadata when it issues it, and
 * settles an object found without metadata under a live record (see settle).
 */
import { createHash } from 'node:crypto';
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { isPreconditionFailure, statusOf } from './failures';
import { entriesUnder, headAsStored, type S3Context } from './s3Context';
import type { SignedAnswer } from './signedHttp';
import type { ObjectInfo, UploadUrlOptions } from './types';

/**
 * SeaweedFS: where the gateway records each upload URL it issued (Content-Type and metadata
 * the upload must end with), until the URL expires; see settle.
 */
export const URL_UPLOAD_PREFIX = '.storage-gateway/url-uploads/';
/** A record outlives its URL by this much, for clock skew between the gateway and the store. */
const URL_RECORD_MARGIN_MS = 15 * 60_000;

export class UrlUploadRecords {
  constructor(private readonly s3: S3Context) {}

  /**
   * Records what an upload URL about to be issued must end with. Before the URL exists, so
   * whatever it stores can be settled; kept as long as the longest-lived URL for the key (an
   * earlier one may outlive this one).
   */
  async record(bucket: string, key: string, options: UploadUrlOptions): Promise<void> {
    await this.s3.call('putObject', async () => {
      const earlier = await this.readUrlRecord(bucket, urlRecordKey(key));
      const expires = Math.max(Date.now() + options.expiresIn * 1000, earlier?.key === key ? earlier.expires : 0);
      const record: UrlUploadRecord = { key, contentType: options.contentType, metadata: options.metadata, expires };
      const body = Buffer.from(JSON.stringify(record));
      const answer = await this.s3.http.send({
        method: 'PUT',
        bucket,
        key: urlRecordKey(key),
        headers: { 'content-length': String(body.length) },
        body,
      });
      await answer.body.dump();
    });
  }

  /**
   * SeaweedFS stores an upload URL's object with only what the uploader sent: no x-amz-meta-*
   * (it ignores the signed query), and the uploader's Content-Type, or with none one it guesses
   * from the bytes. So the gateway records each URL's type and metadata when it issues it, and
   * an object found without metadata under a live record is given them (a copy onto itself,
   * only while its ETag is the one seen, metadata only on SeaweedFS). This runs on every read
   * through the gateway (get, head, exists, a download URL) and every SETTLE_SWEEP_MS
   * (sweepUrlUploads). Answers the object's info as it now stands.
   */
  async settle(bucket: string, key: string, info: ObjectInfo): Promise<ObjectInfo> {
    if (this.s3.settings.engine !== 'seaweedfs' || Object.keys(info.metadata).length > 0) return info;
    const record = await this.readUrlRecord(bucket, urlRecordKey(key));
    if (!record || record.key !== key) return info;
    try {
      await this.s3.copies.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: key,
          CopySource: `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
          CopySourceIfMatch: info.etag,
          MetadataDirective: 'REPLACE',
          ContentType: record.contentType,
          Metadata: record.metadata,
        }),
      );
    } catch (error) {
      // Changed meanwhile (another upload through the URL): the next read or sweep settles it.
      if (isPreconditionFailure(error) || statusOf(error) === 404) return info;
      throw error;
    }
    return { ...info, contentType: record.contentType, metadata: record.metadata };
  }

  private async readUrlRecord(bucket: string, recordKey: string): Promise<UrlUploadRecord | undefined> {
    let answer: SignedAnswer;
    try {
      answer = await this.s3.http.send({ method: 'GET', bucket, key: recordKey });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
    return parseUrlRecord(await answer.body.text());
  }

  /**
   * SeaweedFS: settles the objects of every upload URL recorded in the bucket, and forgets the
   * records of URLs that have expired. Answers how many objects it settled.
   */
  async sweep(bucket: string): Promise<number> {
    if (this.s3.settings.engine !== 'seaweedfs') return 0;
    return this.s3.call('sweepUrlUploads', async () => {
      let settled = 0;
      for await (const entry of entriesUnder(this.s3.client, bucket, URL_UPLOAD_PREFIX)) {
        const record = await this.readUrlRecord(bucket, entry.key);
        if (record) {
          const before = await headAsStored(this.s3.http, bucket, record.key).catch((error: unknown) => {
            if (statusOf(error) === 404) return undefined;
            throw error;
          });
          if (before && Object.keys(before.metadata).length === 0) {
            const after = await this.settle(bucket, record.key, before);
            if (Object.keys(after.metadata).length > 0) settled++;
          }
        }
        if (!record || Date.now() > record.expires + URL_RECORD_MARGIN_MS) {
          await this.s3.http.send({ method: 'DELETE', bucket, key: entry.key }).then((a) => a.body.dump());
        }
      }
      return settled;
    });
  }
}

/** What an upload URL issued on SeaweedFS must end with, kept until the URL expires. */
interface UrlUploadRecord {
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  /** When the URL expires (ms since the epoch). */
  expires: number;
}

/** One record per key (keys may be 1 KiB): the latest URL issued for it. */
function urlRecordKey(key: string): string {
  return URL_UPLOAD_PREFIX + createHash('sha256').update(key).digest('hex');
}

function parseUrlRecord(text: string): UrlUploadRecord | undefined {
  try {
    const { key, contentType, metadata, expires } = (JSON.parse(text) ?? {}) as Partial<UrlUploadRecord>;
    if (
      typeof key !== 'string' ||
      typeof contentType !== 'string' ||
      typeof expires !== 'number' ||
      typeof metadata !== 'object' ||
      metadata === null
    )
      return undefined;
    return { key, contentType, metadata, expires };
  } catch {
    return undefined;
  }
}
