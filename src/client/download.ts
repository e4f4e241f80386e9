/**
 * getFile: a blob streamed to a file or a writable stream. When the connection drops, the
 * download goes on from the last byte received with a Range request, as long as the object
 * is still the same one (same ETag). A file download lands in `<file>.<tag>.partial` first,
 * named after the object's ETag, so a later call for the same object resumes it, and the
 * file itself only ever appears whole.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { StorageType } from '../protocol/storageTypes';
import { UnavailableError } from './errors';
import { withRetries } from './retry';
import type { Transport } from './transport';
import type { ProgressCallback } from './upload';

export interface DownloadSettings {
  type: StorageType;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface DownloadResult {
  size: number;
  etag: string;
  /** Bytes found from an earlier, interrupted download of the same object. */
  resumedBytes: number;
}

export async function downloadToFile(transport: Transport, key: string, file: string, settings: DownloadSettings): Promise<DownloadResult> {
  const { first, etag, size } = await openObject(transport, key, settings);
  const partial = `${file}.${createHash('sha256').update(etag).digest('hex').slice(0, 12)}${PARTIAL}`;
  let resumedBytes = await stat(partial).then(
    (found) => found.size,
    () => 0,
  );
  if (resumedBytes > size) {
    await truncate(partial, 0);
    resumedBytes = 0;
  }
  if (resumedBytes > 0) await first.body?.cancel();
  const out = createWriteStream(partial, { flags: resumedBytes > 0 ? 'a' : 'w' });
  const closed = once(out, 'close');
  try {
    await transfer(transport, key, out, { ...settings, etag, size, offset: resumedBytes }, resumedBytes > 0 ? undefined : first);
  } finally {
    // Also after a failure: what arrived is flushed to the .partial file for the next run.
    out.end();
    await closed;
  }
  await rename(partial, file);
  await removeStalePartials(file);
  return { size, etag, resumedBytes };
}

export async function downloadToStream(
  transport: Transport,
  key: string,
  target: Writable,
  settings: DownloadSettings,
): Promise<DownloadResult> {
  const { first, etag, size } = await openObject(transport, key, settings);
  await transfer(transport, key, target, { ...settings, etag, size, offset: 0 }, first);
  return { size, etag, resumedBytes: 0 };
}

const PARTIAL = '.partial';

/** Leftovers of broken downloads of objects since replaced: nothing can resume them now. */
async function removeStalePartials(file: string): Promise<void> {
  const name = path.basename(file);
  const stale = (await readdir(path.dirname(file))).filter(
    (entry) =>
      entry.startsWith(`${name}.`) && entry.endsWith(PARTIAL) && /^[0-9a-f]{12}$/.test(entry.slice(name.length + 1, -PARTIAL.length)),
  );
  await Promise.all(stale.map((entry) => rm(path.join(path.dirname(file), entry), { force: true })));
}

/** The exact stored bytes: a resumed download must continue the same byte stream. */
export const IDENTITY = { 'accept-encoding': 'identity' };

/** A plain GET: it names the object (ETag, size) and, most often, is the download itself. */
async function openObject(
  transport: Transport,
  key: string,
  settings: DownloadSettings,
): Promise<{ first: Response; etag: string; size: number }> {
  const first = await transport.call('get', { type: settings.type, key }, { headers: IDENTITY, signal: settings.signal });
  return { first, etag: first.headers.get('etag') ?? '', size: Number(first.headers.get('content-length')) };
}

/**
 * Writes bytes `offset..size` of the object to `target`, starting with `first` when given,
 * and resuming with Range after a failure.
 */
async function transfer(
  transport: Transport,
  key: string,
  target: Writable,
  job: DownloadSettings & { etag: string; size: number; offset: number },
  first: Response | undefined,
): Promise<void> {
  let position = job.offset;
  let pending = first;
  // A write that fails (disk full, a closed pipe) ends the download: retrying cannot help.
  let writeFailure: Error | undefined;
  const noteWriteFailure = (error: Error) => (writeFailure ??= error);
  target.on('error', noteWriteFailure);
  job.onProgress?.({ transferred: position, total: job.size });
  await withRetries(transport.retryPolicy, job.signal, async () => {
    if (position >= job.size) {
      await pending?.body?.cancel();
      return;
    }
    let response = pending;
    pending = undefined;
    if (!response) {
      const headers: Record<string, string> = { ...IDENTITY, range: `bytes=${position}-` };
      response = await transport.call('get', { type: job.type, key }, { headers, signal: job.signal, retry: false });
      if (response.headers.get('etag') !== job.etag) {
        await response.body?.cancel();
        throw new Error(`${key} changed while it was being downloaded; download it again`);
      }
      if (response.status !== 206) throw new Error(`The gateway ignored the Range request for ${key}`);
    }
    try {
      for await (const chunk of response.body ?? []) {
        if (!target.write(chunk)) await once(target, 'drain', { signal: job.signal });
        position += (chunk as Uint8Array).length;
        job.onProgress?.({ transferred: position, total: job.size });
      }
    } catch (error) {
      if (writeFailure) throw writeFailure;
      if (job.signal?.aborted) throw error;
      // The connection dropped mid-body: the retry asks for the rest.
      throw new UnavailableError(`The download of ${key} was interrupted at byte ${position}`, 0, 'network_error', undefined, undefined, {
        cause: error,
      });
    }
    if (position < job.size) throw new UnavailableError(`The download of ${key} ended early at byte ${position}`, 0, 'network_error');
  }).finally(() => target.off('error', noteWriteFailure));
  if (writeFailure) throw writeFailure;
}
