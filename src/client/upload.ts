/**
 * setFile: a file or stream goes straight to the object store through presigned URLs, never
 * through the gateway. Below a threshold it is one PUT; above it a multipart session whose parts
 * go up in parallel, each retried with backoff. A file's upload resumes after an interruption,
 * even in another process: the newest open session on the key is reused, and each part already
 * there is kept when its size and MD5 match the file's bytes (S3 part ETags are their MD5).
 * Every upload declares its size where it is known (a file's always, a stream's when given),
 * as a storage type with a quota or a largest upload requires; its URLs then bind the length.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { partSizeFor, uploadSizeProblem } from '../protocol/multipart';
import type { ParamsOf } from '../protocol/routes';
import { requiredUploadHeaders } from '../protocol/uploadUrls';
import type { AnswerOf } from '../protocol/answers';
import type { StorageType } from '../protocol/storageTypes';
import { BadRequestError, ForbiddenError, NotFoundError, UnavailableError } from './errors';
import { withRetries } from './retry';
import type { Transport } from './transport';
import { bufferStream, ChunkReader, md5Of, PartUrls } from './uploadPieces';
import { DEFAULT_CONTENT_TYPE } from '../protocol/contentTypes';

export interface Progress {
  /** Bytes sent (uploads) or received (downloads) so far, counting what a resume skipped. */
  transferred: number;
  /** Bytes in all, when known. */
  total?: number;
}
export type ProgressCallback = (progress: Progress) => void;

export interface UploadSettings {
  type: StorageType;
  contentType?: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Parts in flight at once. */
  concurrency: number;
  /** Sizes from this up use a multipart session. */
  multipartThreshold: number;
  /** Reuse an open session on the key (files only); when false a failed upload is aborted. */
  resume: boolean;
  /**
   * Abort the session when the upload fails or is cancelled, so no parts are left on the store
   * (the CLI), rather than keep it for a later call to resume.
   */
  abortOnFailure?: boolean;
  /**
   * A stream's length, when the caller knows it: declared to the gateway (a storage type with a
   * quota or a largest upload requires it) and picks the part size for huge streams. A file's is
   * its own.
   */
  size?: number;
}

export interface UploadResult {
  key: string;
  size: number;
  etag: string;
  /** 0 for a single PUT. */
  parts: number;
  /** Bytes a resume found already uploaded and did not send again. */
  resumedBytes: number;
}

interface Part {
  partNumber: number;
  size: number;
  /** A fresh stream of the part's bytes for each attempt. */
  open: () => Readable;
}

const MD5_ETAG = /^"?([0-9a-f]{32})"?$/;

export async function uploadFile(
  transport: Transport,
  key: string,
  source: string | Readable,
  settings: UploadSettings,
): Promise<UploadResult> {
  if (typeof source === 'string') {
    const { size } = await stat(source);
    const upload = new Upload(transport, key, { ...settings, size }, size);
    // createReadStream's `end` is inclusive, so an empty range needs no file read at all.
    const fileRange = (start: number, end: number) => () =>
      end > start ? createReadStream(source, { start, end: end - 1 }) : Readable.from([]);
    if (size < settings.multipartThreshold) return upload.single(size, fileRange(0, size));
    return upload.multipartFromFile(size, fileRange);
  }
  const upload = new Upload(transport, key, settings, settings.size);
  const reader = new ChunkReader(source);
  const head = await reader.read(settings.multipartThreshold);
  if (head.length < settings.multipartThreshold) return upload.single(head.length, () => bufferStream(head));
  return upload.multipartFromStream(reader, head);
}

class Upload {
  private transferred = 0;
  /** The part size the gateway chose for the session this upload started (its start answer). */
  private startedPartSize = 0;
  /** The object the upload stores: its routes' path parameters. */
  private readonly object: ParamsOf<'multipart_start'>;

  constructor(
    private readonly transport: Transport,
    private readonly key: string,
    private readonly settings: UploadSettings,
    /** Bytes in all, when known: what progress reports count towards. */
    private readonly total: number | undefined,
  ) {
    this.object = { type: settings.type, key };
  }

  async single(size: number, open: () => Readable): Promise<UploadResult> {
    this.checkDeclared(size, true);
    // The size binds the URL to this length; a type with a quota or a largest upload requires it.
    const query = { content_type: this.settings.contentType, size };
    const url = await (
      await this.transport.call('upload_url', this.object, {
        query,
        signal: this.settings.signal,
      })
    ).text();
    const etag = await this.put(url, { partNumber: 0, size, open });
    return { key: this.key, size, etag, parts: 0, resumedBytes: 0 };
  }

  async multipartFromFile(size: number, fileRange: (start: number, end: number) => () => Readable): Promise<UploadResult> {
    const problem = uploadSizeProblem(size);
    if (problem) throw new BadRequestError(problem, 0, 'bad_request');
    const layout = (partSize: number) => ({
      partCount: Math.ceil(size / partSize),
      partAt: (partNumber: number): Part => {
        const start = (partNumber - 1) * partSize;
        const end = Math.min(size, start + partSize);
        return { partNumber, size: end - start, open: fileRange(start, end) };
      },
    });
    // A session found open was started for this size, so its parts are partSizeFor's (the
    // gateway's rule too); a new one's are those its start answers, which its part URLs bind.
    const found = this.settings.resume ? await this.resumable(layout(partSizeFor(size))) : undefined;
    const uploadId = found?.uploadId ?? (await this.start(size)).uploadId;
    const { partCount, partAt } = layout(found ? partSizeFor(size) : this.startedPartSize);
    const done = found?.done ?? new Map<number, string>();
    const resumedBytes = [...done.keys()].reduce((sum, n) => sum + partAt(n).size, 0);
    this.report(resumedBytes);
    const pending = Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !done.has(n));
    let next = 0;
    const nextPart = async () => (next < pending.length ? partAt(pending[next++] as number) : undefined);
    try {
      await this.runParts(uploadId, nextPart, done);
      return { ...(await this.complete(uploadId, done, size)), parts: partCount, resumedBytes };
    } catch (error) {
      // Left open, the session is what the next attempt resumes; the gateway (or the buckets'
      // lifecycle rule) removes it if nobody does.
      if (this.abortsOnFailure) await this.abort(uploadId);
      throw error;
    }
  }

  async multipartFromStream(reader: ChunkReader, head: Buffer): Promise<UploadResult> {
    const session = await this.start(this.settings.size);
    const done = new Map<number, string>();
    // The head already read is sliced into the first parts; the rest is read part by part.
    let carried: Buffer | undefined = head;
    let partNumber = 0;
    let total = 0;
    let reading = Promise.resolve<Part | undefined>(undefined);
    const readPart = async (): Promise<Part | undefined> => {
      let bytes: Buffer;
      if (carried && carried.length >= session.partSize) {
        bytes = carried.subarray(0, session.partSize);
        carried = carried.length > session.partSize ? carried.subarray(session.partSize) : undefined;
      } else {
        const rest = await reader.read(session.partSize - (carried?.length ?? 0));
        bytes = carried ? Buffer.concat([carried, rest]) : rest;
        carried = undefined;
      }
      total += bytes.length;
      // Fewer bytes than a part only at the stream's end.
      this.checkDeclared(total, bytes.length < session.partSize);
      if (bytes.length === 0) return undefined;
      const part = bytes;
      return { partNumber: ++partNumber, size: part.length, open: () => bufferStream(part) };
    };
    // One reader at a time: parts must come off the stream in order.
    const nextPart = () => (reading = reading.then(readPart, readPart));
    try {
      await this.runParts(session.uploadId, nextPart, done);
      return { ...(await this.complete(session.uploadId, done, total)), parts: done.size, resumedBytes: 0 };
    } catch (error) {
      // A stream cannot be read again, so its session could never be resumed.
      await this.abort(session.uploadId);
      throw error;
    }
  }

  /** Runs `concurrency` workers over the parts; after the first failure none starts another. */
  private async runParts(uploadId: string, nextPart: () => Promise<Part | undefined>, done: Map<number, string>): Promise<void> {
    const urls = new PartUrls(this.transport, this.session(uploadId), this.settings.signal);
    let failed = false;
    const worker = async () => {
      for (let part = await nextPart(); part && !failed; part = await nextPart()) {
        try {
          done.set(part.partNumber, await this.putPart(urls, part));
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: this.settings.concurrency }, worker));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private async putPart(urls: PartUrls, part: Part): Promise<string> {
    try {
      return await this.put(await urls.urlFor(part.partNumber), part);
    } catch (error) {
      // A part URL can expire during a long upload: ask for a fresh one, once.
      if (!(error instanceof ForbiddenError)) throw error;
      urls.forget(part.partNumber);
      return this.put(await urls.urlFor(part.partNumber), part);
    }
  }

  /** PUTs the bytes to a presigned URL with retries; checks the answer's ETag against their MD5. */
  private async put(url: string, part: Part): Promise<string> {
    return withRetries(this.transport.retryPolicy, this.settings.signal, async () => {
      const md5 = createHash('md5');
      let sent = 0;
      const source = part.open();
      const report = (bytes: number) => this.report(bytes);
      // Hashes and counts the bytes as fetch pulls them, at fetch's pace.
      const stream = Readable.from(
        (async function* () {
          for await (const chunk of source) {
            md5.update(chunk as Buffer);
            sent += (chunk as Buffer).length;
            report((chunk as Buffer).length);
            yield chunk as Buffer;
          }
        })(),
      );
      try {
        const headers: Record<string, string> = { 'content-length': String(part.size), ...requiredUploadHeaders(url) };
        headers['content-type'] = this.settings.contentType ?? DEFAULT_CONTENT_TYPE;
        const response = await this.transport.direct('PUT', url, {
          headers,
          body: () => Readable.toWeb(stream) as ReadableStream,
          signal: this.settings.signal,
          retry: false,
        });
        await response.body?.cancel();
        const etag = response.headers.get('etag') ?? '';
        const stored = MD5_ETAG.exec(etag)?.[1];
        if (stored && sent === part.size && stored !== md5.digest('hex')) {
          throw new UnavailableError(`The store received different bytes than were sent (part ${part.partNumber})`, 0, 'checksum_mismatch');
        }
        return etag;
      } catch (error) {
        source.destroy();
        this.report(-sent);
        throw error;
      }
    });
  }

  /**
   * A stream declared `size` bytes long (settings.size) must be exactly that: its URLs bind the
   * length, so the store would refuse the bytes with a mere signature error. Checked as bytes
   * are read (`total` so far), and at the stream's end.
   */
  private checkDeclared(total: number, ended: boolean): void {
    const declared = this.settings.size;
    if (declared === undefined || (total <= declared && (!ended || total === declared))) return;
    const read = ended ? `${total} bytes` : `more than ${declared} bytes`;
    throw new BadRequestError(`The stream held ${read}, not the ${declared} bytes its size said; nothing was stored`, 0, 'bad_request');
  }

  private async start(size: number | undefined): Promise<AnswerOf<'multipart_start'>> {
    const query = { size, content_type: this.settings.contentType };
    // Not cancelled mid-way: a session the gateway opened must be known here to be aborted.
    const session = await this.transport.json('multipart_start', this.object, { query, retry: false });
    this.startedPartSize = session.partSize;
    const signal = this.settings.signal;
    if (signal?.aborted) {
      if (this.abortsOnFailure) await this.abort(session.uploadId);
      signal.throwIfAborted();
    }
    return session;
  }

  /**
   * Completes the session. Completion is retried like the other calls, so an answer lost on
   * the way back (a gateway restarting after it completed) makes the retry find no session:
   * then the object itself says whether it was stored. An object of the expected size whose
   * ETag is a multipart one of as many parts is ours; anything else is a real failure.
   */
  private async complete(
    uploadId: string,
    done: Map<number, string>,
    expectedSize?: number,
  ): Promise<{ key: string; size: number; etag: string }> {
    const parts = [...done].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag }));
    const body = JSON.stringify({ parts });
    try {
      const stored = await this.transport.json('multipart_complete', this.session(uploadId), {
        headers: { 'content-type': 'application/json' },
        body: () => body,
        signal: this.settings.signal,
      });
      return { key: this.key, size: stored.size, etag: stored.etag };
    } catch (error) {
      if (!(error instanceof NotFoundError) || expectedSize === undefined) throw error;
      const stored = await this.storedAs(expectedSize, parts.length);
      if (!stored) throw error;
      return stored;
    }
  }

  /** The object at the key, if it is the one a completion of `partCount` parts would have stored. */
  private async storedAs(size: number, partCount: number): Promise<{ key: string; size: number; etag: string } | undefined> {
    const response = await this.transport.call('exists', this.object, { signal: this.settings.signal }).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    const etag = response?.headers.get('etag') ?? '';
    const sameSize = Number(response?.headers.get('content-length')) === size;
    return sameSize && etag.endsWith(`-${partCount}"`) ? { key: this.key, size, etag } : undefined;
  }

  /** Best effort: if this fails too, the buckets' lifecycle rule removes the session later. */
  private async abort(uploadId: string): Promise<void> {
    await this.transport.call('multipart_abort', this.session(uploadId), { retry: false }).catch(() => undefined);
  }

  /** The newest open session on the key, with the parts in it that match the file. */
  private async resumable({
    partCount,
    partAt,
  }: {
    partCount: number;
    partAt: (n: number) => Part;
  }): Promise<{ uploadId: string; done: Map<number, string> } | undefined> {
    const signal = this.settings.signal;
    const { uploads } = await this.transport.json('multipart_sessions', this.object, { signal });
    const newest = uploads.at(-1);
    if (!newest) return undefined;
    const { parts } = await this.transport.json('multipart_parts', this.session(newest.uploadId), { signal });
    const done = new Map<number, string>();
    for (const uploaded of parts) {
      if (uploaded.partNumber > partCount) continue;
      const local = partAt(uploaded.partNumber);
      const stored = MD5_ETAG.exec(uploaded.etag)?.[1];
      if (uploaded.size === local.size && stored && stored === (await md5Of(local.open()))) done.set(uploaded.partNumber, uploaded.etag);
    }
    return { uploadId: newest.uploadId, done };
  }

  /** The path parameters of one of the object's sessions. */
  private session(uploadId: string): ParamsOf<'multipart_parts'> {
    return { ...this.object, uploadId };
  }

  /** A failed or cancelled upload removes its session, unless it is kept for a resume. */
  private get abortsOnFailure(): boolean {
    return !this.settings.resume || this.settings.abortOnFailure === true;
  }

  private report(bytes: number): void {
    this.transferred += bytes;
    this.settings.onProgress?.({ transferred: this.transferred, total: this.total });
  }
}
