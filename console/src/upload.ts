/**
 * One file from the browser straight to the store, the way the CLI does it: below one part,
 * one PUT to an upload URL; from there a multipart session whose parts go up in parallel
 * through presigned part URLs, each retried, then completed by the gateway. The bytes never
 * pass through the gateway. Progress counts bytes the store has taken; cancelling aborts the
 * session so nothing is left behind.
 */
import type { StorageType } from '../../src/protocol/storageTypes';
import { ApiError, type Api } from './api';
import type { ParamsOf } from '../../src/protocol/routes';
import type { AnswerOf } from '../../src/protocol/answers';
import { requiredUploadHeaders } from '../../src/protocol/uploadUrls';
import { safeContentType } from '../../src/protocol/contentTypes';

/** Below this a file goes in one PUT; the gateway's default part size. */
export const SINGLE_PUT_LIMIT = 16 * 1024 * 1024;
/** Parts in flight at once. */
const PARALLEL_PARTS = 4;
/** Part URLs asked for at once. */
const URL_BATCH = 16;
const ATTEMPTS = 3;

export interface UploadOptions {
  onProgress: (sent: number) => void;
  signal: AbortSignal;
  /** A session this file was being sent in before (a page reload): its parts already there are kept. */
  resume?: { uploadId: string; partSize: number } | undefined;
  /** Told the session once it is open, so it can be resumed. */
  onSession?: (session: { uploadId: string; partSize: number }) => void;
}

/** The media type to store: the file's own when the gateway takes it, else bytes. */
export function contentTypeOf(file: File): string {
  return safeContentType(file.type);
}

export async function uploadFile(api: Api, type: StorageType, key: string, file: File, options: UploadOptions): Promise<void> {
  const contentType = contentTypeOf(file);
  if (file.size < SINGLE_PUT_LIMIT) {
    // The size binds the URL to the file's length; a type with a quota or a largest upload requires it.
    const url = await api.text('upload_url', { type, key }, { query: { content_type: contentType, size: file.size } });
    const headers: Record<string, string> = { 'content-type': contentType, ...requiredUploadHeaders(url) };
    await withRetries(options.signal, () => put(url, file, headers, options.onProgress, options.signal));
    return;
  }
  const object = { type, key };
  const etags = new Map<number, string>();
  let session = options.resume && (await partsStored(api, object, options.resume, file.size, etags)) ? options.resume : undefined;
  if (!session) {
    etags.clear();
    session = await api.json('multipart_start', object, { query: { size: file.size, content_type: contentType } });
    options.onSession?.({ uploadId: session.uploadId, partSize: session.partSize });
  }
  const { partSize } = session;
  const uploadId = session.uploadId;
  const inSession = { ...object, uploadId };
  try {
    const count = Math.ceil(file.size / partSize);
    const sizeOf = (partNumber: number) => Math.min(file.size, partNumber * partSize) - (partNumber - 1) * partSize;
    const sent = new Map<number, number>([...etags.keys()].map((partNumber) => [partNumber, sizeOf(partNumber)]));
    const report = () => options.onProgress([...sent.values()].reduce((sum, n) => sum + n, 0));
    report();
    const batches = new Map<number, Promise<Map<number, string>>>();
    const urlFor = async (partNumber: number) => {
      const batch = Math.floor((partNumber - 1) / URL_BATCH);
      let urls = batches.get(batch);
      if (!urls) {
        const first = batch * URL_BATCH + 1;
        const last = Math.min(count, first + URL_BATCH - 1);
        urls = api
          .json('multipart_part_urls', inSession, { query: { parts: `${first}-${last}` } })
          .then((answer) => new Map(answer.urls.map((u) => [u.partNumber, u.url])));
        batches.set(batch, urls);
      }
      const url = (await urls).get(partNumber);
      if (!url) throw new ApiError(502, 'no_url', `The gateway gave no URL for part ${partNumber}.`);
      return url;
    };
    const pending = Array.from({ length: count }, (_, i) => i + 1).filter((partNumber) => !etags.has(partNumber));
    const worker = async () => {
      for (let partNumber = pending.shift(); partNumber !== undefined && !options.signal.aborted; partNumber = pending.shift()) {
        const start = (partNumber - 1) * partSize;
        const blob = file.slice(start, start + sizeOf(partNumber));
        const url = await urlFor(partNumber);
        const etag = await withRetries(options.signal, () =>
          put(
            url,
            blob,
            {},
            (bytes) => {
              sent.set(partNumber, bytes);
              report();
            },
            options.signal,
          ),
        );
        etags.set(partNumber, etag);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, Math.max(pending.length, 1)) }, worker));
    if (options.signal.aborted) throw new DOMException('The upload was cancelled', 'AbortError');
    // Without readable ETags (a store that does not expose them) the gateway completes with
    // every part it finds stored.
    const parts = [...etags].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag }));
    const body = parts.every((part) => part.etag) ? JSON.stringify({ parts }) : '{}';
    await api.json('multipart_complete', inSession, { headers: { 'content-type': 'application/json' }, body });
  } catch (error) {
    // Best effort: the buckets' lifecycle rule removes what this leaves.
    await api.empty('multipart_abort', inSession).catch(() => undefined);
    throw error;
  }
}

/**
 * The parts a session already holds that fit this file (by number and size), into `etags`;
 * false when the session is gone (completed, aborted or expired), so a new one is started.
 */
async function partsStored(
  api: Api,
  object: ParamsOf<'multipart_start'>,
  session: { uploadId: string; partSize: number },
  size: number,
  etags: Map<number, string>,
): Promise<boolean> {
  let listed: AnswerOf<'multipart_parts'>;
  try {
    listed = await api.json('multipart_parts', { ...object, uploadId: session.uploadId });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return false;
    throw error;
  }
  const count = Math.ceil(size / session.partSize);
  for (const part of listed.parts) {
    const expected = Math.min(size, part.partNumber * session.partSize) - (part.partNumber - 1) * session.partSize;
    if (part.partNumber <= count && part.size === expected && part.etag) etags.set(part.partNumber, part.etag);
  }
  return true;
}

/** A PUT with upload progress (XMLHttpRequest: fetch reports none); answers the ETag. */
function put(url: string, body: Blob, headers: Record<string, string>, onProgress: (sent: number) => void, signal: AbortSignal) {
  return new Promise<string>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => onProgress(event.loaded);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(body.size);
        resolve(request.getResponseHeader('etag') ?? '');
        return;
      }
      onProgress(0);
      reject(storeRefusal(request));
    };
    request.onerror = () => {
      onProgress(0);
      reject(new ApiError(0, 'network', 'The store did not take the upload (no answer, or it refused this page: CORS).'));
    };
    request.onabort = () => reject(new DOMException('The upload was cancelled', 'AbortError'));
    if (signal.aborted) {
      reject(new DOMException('The upload was cancelled', 'AbortError'));
      return;
    }
    signal.addEventListener('abort', () => request.abort(), { once: true });
    request.send(body);
  });
}

/** The store's XML error in plain words. */
function storeRefusal(request: XMLHttpRequest): ApiError {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(request.responseText)?.[1] ?? `http_${request.status}`;
  const words: Record<string, string> = {
    PreconditionFailed: 'Something is already stored at this key, and it may not be replaced.',
    AccessDenied: 'The store refused the upload: its link has expired or does not match.',
  };
  return new ApiError(request.status, code, words[code] ?? `The store refused the upload (${code}).`);
}

/** Retries network failures and store errors (5xx) with backoff; never a refusal or a cancel. */
async function withRetries<T>(signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const status = error instanceof ApiError ? error.status : -1;
      const retryable = status === 0 || status >= 500;
      if (!retryable || tries >= ATTEMPTS || signal.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (tries - 1)));
    }
  }
}
