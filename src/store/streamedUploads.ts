/**
 * Streamed uploads of unknown length (or over S3's 5 GiB single-PUT limit) through the gateway:
 * cut into parts, one filling while the one before it is sent, and recorded under
 * STREAM_ENTRY_PREFIX while they run, so a crash leaves something the sweep can abort.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CompleteMultipartUploadCommand, DeleteObjectCommand, UploadPartCommand, type CompletedPart } from '@aws-sdk/client-s3';
import type { FairPool, Release } from '../shares';
import type { MultipartSessions } from './multipartSessions';
import { entriesUnder, type S3Context } from './s3Context';
import type { WriteOptions, Written } from './types';

/**
 * Parts of a streamed upload of unknown length (or over S3's 5 GiB single-PUT limit): 10,000
 * parts of 16 MiB allow objects up to about 156 GiB. Each part is held in a buffer from the
 * gateway's pool (UNKNOWN_LENGTH_BUFFER_MIB): one per upload, a second when the pool has one to
 * spare so the next part fills while one is sent.
 */
export const PART_SIZE = 16 * 1024 * 1024;
/**
 * Where the gateway records its own streamed multipart uploads while they run: outside every
 * namespace (those are 40 hex characters), so no caller's key can reach it.
 */
export const STREAM_ENTRY_PREFIX = '.storage-gateway/streams/';

export class StreamedUploads {
  constructor(
    private readonly s3: S3Context,
    private readonly sessions: MultipartSessions,
    /** A live stream refreshes its entry this often, so it never looks dead. */
    private readonly streamHeartbeatMs: number,
    /** Part buffers: one slot is one PART_SIZE buffer, shared fairly among callers. */
    private readonly buffers: FairPool,
  ) {}

  async put(bucket: string, key: string, body: Readable, options: WriteOptions): Promise<Written> {
    // The first part buffer, or a refusal before anything is read or opened: the pool bounds
    // what all uploads of unknown length hold, whoever sends them and however slowly.
    const principal = options.principal ?? '';
    const held: Release[] = [this.buffers.tryAcquire(principal)];
    try {
      return await this.streamWithEntry(bucket, key, body, options, principal, held);
    } finally {
      for (const release of held) release();
    }
  }

  private async streamWithEntry(bucket: string, key: string, body: Readable, options: WriteOptions, principal: string, held: Release[]) {
    const uploadId = await this.sessions.createMultipart(bucket, key, options);
    // Recorded until the stream ends, so a crash leaves something the sweep can find.
    const entry = streamEntryKey(key, uploadId);
    const record = Buffer.from(JSON.stringify({ key, uploadId }));
    try {
      await this.writeStreamEntry(bucket, entry, record);
    } catch (error) {
      await this.sessions.abortQuietly(bucket, key, uploadId);
      throw error;
    }
    const heartbeat = setInterval(() => void this.writeStreamEntry(bucket, entry, record).catch(() => undefined), this.streamHeartbeatMs);
    heartbeat.unref();
    try {
      return await this.streamParts(bucket, key, uploadId, body, options, principal, held);
    } finally {
      clearInterval(heartbeat);
      await this.s3
        .call('deleteObject', () => this.s3.http.send({ method: 'DELETE', bucket, key: entry }).then((a) => a.body.dump()))
        .catch(() => undefined);
    }
  }

  /** `held`: the part buffers' slots this upload holds (one, and a second if one comes free). */
  private async streamParts(
    bucket: string,
    key: string,
    uploadId: string,
    body: Readable,
    options: WriteOptions,
    principal: string,
    held: Release[],
  ): Promise<Written> {
    return this.s3.call(
      'putObjectInParts',
      async () => {
        const parts: CompletedPart[] = [];
        let size = 0;
        let sending: Promise<void> = Promise.resolve();
        const send = (partNumber: number, chunk: Buffer) =>
          this.s3.transfers
            .send(
              new UploadPartCommand({
                Bucket: bucket,
                Key: key,
                UploadId: uploadId,
                PartNumber: partNumber,
                Body: chunk,
                ContentLength: chunk.length,
              }),
            )
            .then((answer) => void parts.push({ PartNumber: partNumber, ETag: answer.ETag ?? '' }));
        try {
          // Each part is copied into a buffer of its own, allocated once; with a second buffer
          // one part is sent while the next fills, without it the upload waits for each send.
          const spare: Buffer[] = [Buffer.allocUnsafe(PART_SIZE)];
          let filling = spare.pop() as Buffer;
          let filled = 0;
          let partNumber = 0;
          let inFlight: Buffer | undefined;
          const flush = async () => {
            const part = filling;
            const length = filled;
            await sending;
            if (inFlight) spare.push(inFlight);
            inFlight = part;
            sending = send(++partNumber, part.subarray(0, length));
            if (spare.length === 0 && held.length < 2) {
              const second = this.tryBuffer(principal);
              if (second) {
                held.push(second);
                spare.push(Buffer.allocUnsafe(PART_SIZE));
              }
            }
            if (spare.length === 0) {
              // No second buffer: this one is free again once its part is sent.
              await sending;
              spare.push(inFlight);
              inFlight = undefined;
            }
            filling = spare.pop() as Buffer;
            filled = 0;
          };
          for await (const data of body as AsyncIterable<Buffer>) {
            size += data.length;
            for (let offset = 0; offset < data.length;) {
              const taken = data.copy(filling, filled, offset);
              filled += taken;
              offset += taken;
              if (filled === PART_SIZE) await flush();
            }
          }
          if (filled > 0 || partNumber === 0) await flush();
          await sending;
          parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
          const done = await this.s3.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts },
              ...(options.exclusive && { IfNoneMatch: '*' }),
            }),
          );
          return { etag: done.ETag ?? '', size };
        } catch (error) {
          await sending.catch(() => undefined);
          await this.sessions.abortQuietly(bucket, key, uploadId);
          throw error;
        }
      },
      options.exclusive,
    );
  }

  /** A second buffer if the pool has one to spare for this principal; none is no error. */
  private tryBuffer(principal: string): Release | undefined {
    try {
      return this.buffers.tryAcquire(principal);
    } catch {
      return undefined;
    }
  }

  /** Marks a streamed upload of the gateway's own as alive (its entry's modified time). */
  private async writeStreamEntry(bucket: string, entry: string, record: Buffer): Promise<void> {
    await this.s3.call('putObject', async () => {
      const answer = await this.s3.http.send({
        method: 'PUT',
        bucket,
        key: entry,
        headers: { 'content-length': String(record.length) },
        body: record,
      });
      await answer.body.dump();
    });
  }

  /**
   * Aborts the gateway's own streamed uploads whose process died: their entry under
   * STREAM_ENTRY_PREFIX has not been refreshed for `staleAfterMs`. Callers' resumable sessions
   * have no entry and are never touched. Answers how many were aborted.
   */
  async sweepOrphanedStreams(bucket: string, staleAfterMs: number): Promise<number> {
    return this.s3.call('sweepOrphanedStreams', async () => {
      let swept = 0;
      for await (const entry of entriesUnder(this.s3.client, bucket, STREAM_ENTRY_PREFIX)) {
        if (Date.now() - entry.lastModified.getTime() < staleAfterMs) continue;
        const answer = await this.s3.http.send({ method: 'GET', bucket, key: entry.key }).catch(() => undefined);
        const stream = answer ? parseStreamRecord(await answer.body.text()) : undefined;
        if (stream) await this.sessions.abortQuietly(bucket, stream.key, stream.uploadId);
        await this.s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: entry.key }));
        swept++;
      }
      return swept;
    });
  }
}

/** The entry recording one streamed upload, named by a hash (keys may be 1 KiB); its body says which. */
function streamEntryKey(key: string, uploadId: string): string {
  return STREAM_ENTRY_PREFIX + createHash('sha256').update(`${key}\n${uploadId}`).digest('hex');
}

function parseStreamRecord(text: string): { key: string; uploadId: string } | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    const { key, uploadId } = (parsed ?? {}) as { key?: unknown; uploadId?: unknown };
    return typeof key === 'string' && typeof uploadId === 'string' ? { key, uploadId } : undefined;
  } catch {
    return undefined;
  }
}
