/**
 * Server-side copies: no byte passes through the gateway. Up to S3's 5 GiB limit in one
 * CopyObject; larger ones, and exclusive ones (whose completion S3 can make conditional),
 * part by part through a multipart upload.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Forbidden, NotFound, StoreAccessDenied } from '../errors';
import type { MultipartSessions } from './multipartSessions';
import { headAsStored, type S3Context } from './s3Context';
import type { CopyOptions, ObjectInfo, Written } from './types';

const COPY_PARALLEL_PARTS = 4;

export interface CopyLimits {
  /** Objects larger than this are copied in parts. */
  singleCopyLimit: number;
  copyPartSize: number;
}

export class ServerCopies {
  constructor(
    private readonly s3: S3Context,
    private readonly sessions: MultipartSessions,
    private readonly limits: CopyLimits,
  ) {}

  /**
   * Copies an object server-side, from any bucket the gateway can read, replacing its
   * metadata with ours and its content type with the one `contentTypeFor` makes of the source's. No bytes pass through the gateway. An
   * exclusive copy goes through a multipart upload, whose completion S3 can make conditional.
   */
  async copy(source: { bucket: string; key: string }, target: { bucket: string; key: string }, options: CopyOptions): Promise<Written> {
    let info: ObjectInfo;
    try {
      // A copy source is outside the gateway's buckets: read as stored, never settled.
      info = await this.s3.call('headObject', () => headAsStored(this.s3.http, source.bucket, source.key, options.principal));
    } catch (error) {
      if (error instanceof NotFound) throw new NotFound('No object at the source key (or no such source bucket)');
      if (error instanceof StoreAccessDenied) throw new Forbidden('The gateway may not read that source bucket');
      throw error;
    }
    await options.inspect?.(info);
    const copySource = `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}`;
    this.s3.writing(target.bucket, target.key);
    const written = {
      Bucket: target.bucket,
      Key: target.key,
      ContentType: options.contentTypeFor(info.contentType),
      Metadata: options.metadata,
    };
    return this.s3.call(
      'copyObject',
      async () => {
        if (info.contentLength <= this.limits.singleCopyLimit && !options.exclusive) {
          const command = new CopyObjectCommand({ ...written, CopySource: copySource, MetadataDirective: 'REPLACE' });
          const answer = await this.s3.heavy(options.principal, () => this.s3.copies.send(command));
          return { etag: answer.CopyObjectResult?.ETag ?? '', size: info.contentLength };
        }
        const partSize = Math.max(this.limits.copyPartSize, Math.ceil(info.contentLength / 10_000));
        const { UploadId } = await this.s3.turn(options.principal, () => this.s3.client.send(new CreateMultipartUploadCommand(written)));
        if (!UploadId) throw new Error('the store created a multipart upload without an id');
        const ranges: { partNumber: number; range: string | undefined }[] = [];
        for (let start = 0, n = 1; start < info.contentLength; start += partSize, n++) {
          ranges.push({ partNumber: n, range: `bytes=${start}-${Math.min(start + partSize, info.contentLength) - 1}` });
        }
        // An empty source still needs one (empty) part.
        if (ranges.length === 0) ranges.push({ partNumber: 1, range: undefined });
        try {
          const parts: CompletedPart[] = [];
          for (let i = 0; i < ranges.length; i += COPY_PARALLEL_PARTS) {
            const batch = ranges.slice(i, i + COPY_PARALLEL_PARTS);
            const answers = await Promise.all(
              batch.map(({ partNumber, range }) => {
                const command = new UploadPartCopyCommand({
                  Bucket: target.bucket,
                  Key: target.key,
                  UploadId,
                  PartNumber: partNumber,
                  CopySource: copySource,
                  CopySourceRange: range,
                });
                return this.s3.heavy(options.principal, () => this.s3.copies.send(command));
              }),
            );
            answers.forEach((answer, j) => parts.push({ PartNumber: batch[j]?.partNumber ?? 0, ETag: answer.CopyPartResult?.ETag ?? '' }));
          }
          const complete = new CompleteMultipartUploadCommand({
            Bucket: target.bucket,
            Key: target.key,
            UploadId,
            MultipartUpload: { Parts: parts },
            ...(options.exclusive && { IfNoneMatch: '*' }),
          });
          const done = await this.s3.heavy(options.principal, () => this.s3.client.send(complete));
          return { etag: done.ETag ?? '', size: info.contentLength };
        } catch (error) {
          await this.sessions.abortQuietly(target.bucket, target.key, UploadId);
          throw error;
        }
      },
      options.exclusive,
    );
  }
}
