/**
 * The pieces an upload is made of (upload.ts): part URLs fetched in batches, a stream read in
 * parts, a buffer sent in slices, and the MD5 a part's ETag is compared with on a resume.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MAX_PARTS } from '../protocol/multipart';
import type { ParamsOf } from '../protocol/routes';
import type { Transport } from './transport';

const MiB = 1024 * 1024;
/** Part URLs asked for in one request: enough to keep the workers busy, few enough to stay fresh. */
const URL_BATCH = 16;

/** Presigned part URLs, asked for in batches just before they are needed. */
export class PartUrls {
  private readonly urls = new Map<number, string>();

  constructor(
    private readonly transport: Transport,
    private readonly session: ParamsOf<'multipart_part_urls'>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async urlFor(partNumber: number): Promise<string> {
    const known = this.urls.get(partNumber);
    if (known) return known;
    const last = Math.min(MAX_PARTS, partNumber + URL_BATCH - 1);
    const wanted = Array.from({ length: last - partNumber + 1 }, (_, i) => partNumber + i).filter((n) => !this.urls.has(n));
    const { urls } = await this.transport.json('multipart_part_urls', this.session, {
      query: { parts: wanted.join(',') },
      signal: this.signal,
    });
    for (const { partNumber: n, url } of urls) this.urls.set(n, url);
    const url = this.urls.get(partNumber);
    if (!url) throw new Error(`The gateway sent no URL for part ${partNumber}`);
    return url;
  }

  forget(partNumber: number): void {
    this.urls.delete(partNumber);
  }
}

/** Reads a Node stream in pieces of a chosen size. */
export class ChunkReader {
  private readonly chunks: AsyncIterator<Buffer>;
  private leftover: Buffer | undefined;

  constructor(stream: Readable) {
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Up to `size` bytes; fewer only at the end of the stream. */
  async read(size: number): Promise<Buffer> {
    const pieces: Buffer[] = [];
    let length = 0;
    while (length < size) {
      let chunk = this.leftover;
      this.leftover = undefined;
      if (!chunk) {
        const next = await this.chunks.next();
        if (next.done) break;
        chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      }
      if (length + chunk.length > size) {
        this.leftover = chunk.subarray(size - length);
        chunk = chunk.subarray(0, size - length);
      }
      pieces.push(chunk);
      length += chunk.length;
    }
    return Buffer.concat(pieces, length);
  }
}

/** A buffer as a stream of 1 MiB slices, so progress moves while it is sent. */
export function bufferStream(buffer: Buffer): Readable {
  const slices = function* () {
    for (let offset = 0; offset < buffer.length; offset += MiB) yield buffer.subarray(offset, offset + MiB);
  };
  return Readable.from(slices(), { objectMode: false });
}

export async function md5Of(stream: Readable): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
