/**
 * StorageClient: the Storage API from TypeScript, on the platform's fetch. It mirrors the
 * original Python client (set, get, exists, delete, list, iter_list, get_upload_url,
 * get_signed_url, set_file, get_file, copy_from_bucket); the storage type is an option on
 * every call, `data` by default.
 */
import { Readable, type Writable } from 'node:stream';
import { namespaceFor } from '../protocol/namespace';
import { HEADERS } from '../protocol/routes';
import type { AnswerOf } from '../protocol/answers';
import type { StorageType } from '../protocol/storageTypes';
import { downloadToFile, downloadToStream, IDENTITY, type DownloadResult } from './download';
import { BadRequestError, NotFoundError } from './errors';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
import { Transport, type RequestBody, type TokenSource } from './transport';
import { uploadFile, type ProgressCallback, type UploadResult } from './upload';
import { DEFAULT_CONTENT_TYPE } from '../protocol/contentTypes';

const MiB = 1024 * 1024;

export interface StorageClientOptions {
  /** The API root, e.g. `http://localhost:8080/storage/v1` (a bare server URL gets `/storage/v1`). */
  url: string;
  /** A bearer token, or a function returning one (called for every request, so it may refresh). */
  token?: TokenSource;
  /** For service tokens: the namespace to act for (sent as X-Storage-Namespace). */
  actFor?: string;
  /**
   * Retries for network errors, 5xx and 429 answers (default: for up to 60 s, from 250 ms apart
   * to 10 s apart, at most 30); `onRetry` is told of each one. A host name that does not resolve
   * is not retried (HostNotFoundError).
   */
  retry?: Partial<RetryPolicy>;
  /** Sizes from this up go through a multipart session in setFile (default 64 MiB). */
  multipartThreshold?: number;
  /** Parts uploaded at once by setFile (default 4). */
  concurrency?: number;
  /** Another fetch (a proxy's, a test's); the platform's by default. */
  fetch?: typeof fetch;
}

export interface TypeOption {
  /** Storage type: data (default), tmp, products, result or logs. */
  type?: StorageType;
  signal?: AbortSignal;
}

export interface ObjectInfo {
  size: number;
  contentType: string;
  etag: string;
  lastModified: Date;
}

export interface ListPage {
  keys: string[];
  /** Present when more keys remain: pass it as `next` to get the following page. */
  next?: string;
}

/** What the gateway answers to a write: the key, its size and the store's entity tag. */
export type SetResult = AnswerOf<'set'>;

/** The caller's usage of each storage type (GET /usage): bytes and objects stored, holds, quota, largest upload. */
export type Usage = AnswerOf<'usage'>;
/** One storage type's usage; `quotaBytes` and `maxUploadBytes` are null where there is no limit. */
export type TypeUsage = Usage['types'][StorageType];

/**
 * Temporary S3 credentials for the caller's namespace (POST /credentials): keys, the store's
 * public endpoint and region, when they expire, and per storage type the bucket, prefix and
 * rights they carry.
 */
export type S3Credentials = AnswerOf<'credentials'>;
/** One storage type's part of S3Credentials: `s3://bucket/prefix` and what may be done there. */
export type S3Grant = S3Credentials['grants'][number];

export interface CredentialsOptions {
  /** Their lifetime in seconds: 900 up to the gateway's CREDENTIALS_MAX_TTL_SECONDS (its default), never past the token. */
  expiresIn?: number;
  signal?: AbortSignal;
}

export interface UrlOptions extends TypeOption {
  /** Lifetime of the URL in seconds (the gateway bounds it). */
  expiresIn?: number;
}

export interface UploadUrlOptions extends UrlOptions {
  /** Binds the upload's Content-Type: the uploader must send exactly this. */
  contentType?: string;
  /**
   * The upload's exact length in bytes, bound into the URL (a PUT of another length is refused).
   * Required on a storage type with a quota or a largest upload (else BadRequestError).
   */
  size?: number;
}

export interface SetFileOptions extends TypeOption {
  contentType?: string;
  onProgress?: ProgressCallback;
  /** Resume an interrupted upload of the same file (default true; files only). */
  resume?: boolean;
  /** On failure or cancellation, abort the session rather than keep it to resume (default false). */
  abortOnFailure?: boolean;
  /**
   * A stream's length when known: declared to the gateway (required on a storage type with a
   * quota or a largest upload) and picks a part size large enough for it. The stream must then
   * hold exactly this many bytes.
   */
  size?: number;
}

export interface GetFileOptions extends TypeOption {
  onProgress?: ProgressCallback;
}

export type BlobInput = string | Uint8Array | Readable;

export class StorageClient {
  private readonly transport: Transport;
  private readonly actFor: string | undefined;
  private readonly multipartThreshold: number;
  private readonly concurrency: number;

  constructor(options: StorageClientOptions) {
    this.actFor = options.actFor;
    this.transport = new Transport(
      options.url,
      options.token,
      options.actFor,
      { ...DEFAULT_RETRY_POLICY, ...options.retry },
      options.fetch,
    );
    this.multipartThreshold = options.multipartThreshold ?? 64 * MiB;
    this.concurrency = options.concurrency ?? 4;
  }

  /** The API root requests go to. */
  get url(): string {
    return this.transport.root;
  }

  /** Stores `value` at `key` (through the gateway, streamed; a stream is sent once, without retries). */
  async set(key: string, value: BlobInput, options: TypeOption & { contentType?: string } = {}): Promise<SetResult> {
    const body = bodyOf(value);
    return this.transport.json(
      'set',
      { type: typeOf(options), key },
      {
        headers: {
          'content-type': options.contentType ?? (typeof value === 'string' ? 'text/plain; charset=utf-8' : DEFAULT_CONTENT_TYPE),
        },
        body: body.make,
        retry: body.repeatable,
        signal: options.signal,
      },
    );
  }

  /** The blob's bytes. For large blobs use getStream or getFile. */
  async get(key: string, options: TypeOption = {}): Promise<Buffer> {
    const response = await this.transport.call('get', { type: typeOf(options), key }, { signal: options.signal });
    return Buffer.from(await response.arrayBuffer());
  }

  /** The blob as a stream; `range` reads only bytes start..end (inclusive), as HTTP Range does. */
  async getStream(key: string, options: TypeOption & { range?: { start: number; end?: number } } = {}): Promise<Readable> {
    const headers: Record<string, string> = { ...IDENTITY };
    if (options.range) headers.range = `bytes=${options.range.start}-${options.range.end ?? ''}`;
    const response = await this.transport.call('get', { type: typeOf(options), key }, { headers, signal: options.signal });
    return response.body ? Readable.fromWeb(response.body as import('node:stream/web').ReadableStream) : Readable.from([]);
  }

  /** Size, content type, ETag and date of the blob; NotFoundError when absent. */
  async head(key: string, options: TypeOption = {}): Promise<ObjectInfo> {
    const { headers } = await this.transport.call('exists', { type: typeOf(options), key }, { signal: options.signal });
    return {
      size: Number(headers.get('content-length')),
      contentType: headers.get('content-type') ?? DEFAULT_CONTENT_TYPE,
      etag: headers.get('etag') ?? '',
      lastModified: new Date(headers.get('last-modified') ?? 0),
    };
  }

  async exists(key: string, options: TypeOption = {}): Promise<boolean> {
    try {
      await this.head(key, options);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /** Deletes the key; deleting a key that is not there is not an error. */
  async delete(key: string, options: TypeOption = {}): Promise<void> {
    await this.transport.call('delete', { type: typeOf(options), key }, { signal: options.signal });
  }

  /** One page of keys under `prefix`, in key order. */
  async list(prefix = '', options: TypeOption & { next?: string } = {}): Promise<ListPage> {
    const response = await this.transport.call(
      'list',
      { type: typeOf(options) },
      {
        query: { prefix: prefix || undefined },
        headers: options.next ? { [HEADERS.next]: options.next } : {},
        signal: options.signal,
      },
    );
    const next = response.headers.get(HEADERS.next) ?? undefined;
    // Without a delimiter the gateway answers the plain array of keys.
    const answer = (await response.json()) as AnswerOf<'list'>;
    return { keys: Array.isArray(answer) ? answer : answer.keys, next };
  }

  /** Every key under `prefix`, page after page, as iter_list did. */
  async *iterList(prefix = '', options: TypeOption = {}): AsyncGenerator<string> {
    let next: string | undefined;
    do {
      const page = await this.list(prefix, { ...options, next });
      yield* page.keys;
      next = page.next;
    } while (next);
  }

  /** A presigned URL a plain PUT of the bytes uploads to, with no further authentication. */
  async getUploadUrl(key: string, options: UploadUrlOptions = {}): Promise<string> {
    const query = { expires_in: options.expiresIn, content_type: options.contentType, size: options.size };
    const response = await this.transport.call(
      'upload_url',
      { type: typeOf(options), key },
      {
        query,
        signal: options.signal,
      },
    );
    return response.text();
  }

  /** A presigned URL to download the blob from. */
  async getSignedUrl(key: string, options: UrlOptions = {}): Promise<string> {
    const query = { expires_in: options.expiresIn };
    const response = await this.transport.call(
      'download_url',
      { type: typeOf(options), key },
      {
        query,
        signal: options.signal,
      },
    );
    return response.text();
  }

  /**
   * Uploads a file (by path) or a stream straight to the object store, in parallel parts when
   * large. An interrupted upload of a file resumes where it stopped when called again.
   */
  async setFile(key: string, source: string | Readable, options: SetFileOptions = {}): Promise<UploadResult> {
    return uploadFile(this.transport, key, source, {
      type: typeOf(options),
      contentType: options.contentType,
      onProgress: options.onProgress,
      signal: options.signal,
      concurrency: this.concurrency,
      multipartThreshold: this.multipartThreshold,
      resume: options.resume ?? true,
      abortOnFailure: options.abortOnFailure ?? false,
      size: options.size,
    });
  }

  /** Downloads the blob to a file (by path) or into a stream, resuming after dropped connections. */
  async getFile(key: string, target: string | Writable, options: GetFileOptions = {}): Promise<DownloadResult> {
    const settings = { type: typeOf(options), onProgress: options.onProgress, signal: options.signal };
    return typeof target === 'string'
      ? downloadToFile(this.transport, key, target, settings)
      : downloadToStream(this.transport, key, target, settings);
  }

  /**
   * What the caller (or, with `actFor`, the namespace a service token acts for) stores in each
   * storage type, what uploads under way hold, and the type's quota and largest upload.
   */
  async usage(options: { signal?: AbortSignal } = {}): Promise<Usage> {
    return this.transport.json('usage', {}, { signal: options.signal });
  }

  /**
   * Temporary S3 credentials for S3 tools (aws cli, boto3, rclone, GDAL) on the caller's
   * namespace (with `actFor`, the namespace acted for), with the rights raw S3 can enforce:
   * `grants` says which, per storage type. BadRequestError for an `expiresIn` the gateway
   * refuses (or a token expiring within 900 s); NotSupportedError where the store cannot scope
   * credentials. The gateway hands the same ones back until half their life has passed, so a
   * retried call is harmless.
   */
  async credentials(options: CredentialsOptions = {}): Promise<S3Credentials> {
    return this.transport.json('credentials', {}, { query: { expires_in: options.expiresIn }, signal: options.signal });
  }

  /**
   * Copies `sourceKey` from another bucket the gateway may read (COPY_SOURCE_BUCKETS) to
   * `destKey` in the caller's namespace, server-side.
   */
  async copyFromBucket(sourceBucket: string, sourceKey: string, destKey: string, options: TypeOption = {}): Promise<SetResult> {
    const namespace = this.actFor ?? namespaceFor(await this.subject());
    const params = { user_ns: namespace, src_bucket: sourceBucket, src: sourceKey, dest_type: typeOf(options), dest: destKey };
    return this.transport.json('copy', params, { signal: options.signal });
  }

  /** The token's subject, read (not verified: the gateway does that) to name the caller's namespace. */
  private async subject(): Promise<string> {
    const token = await this.transport.bearerToken();
    const payload = token?.split('.')[1];
    try {
      const { sub } = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
      if (typeof sub === 'string' && sub) return sub;
    } catch {
      // Reported below.
    }
    throw new BadRequestError("The token names no subject, so the caller's namespace is unknown", 0, 'bad_token');
  }
}

function typeOf(options: TypeOption): StorageType {
  return options.type ?? 'data';
}

/** A request body, and whether it can be sent again on a retry. */
function bodyOf(value: BlobInput): { make: () => RequestBody; repeatable: boolean } {
  if (value instanceof Readable) return { make: () => Readable.toWeb(value) as ReadableStream, repeatable: false };
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return { make: () => bytes, repeatable: true };
}
