/**
 * The one module that talks to S3. Everything the gateway sends to the object store is here:
 * buckets and their lifecycle rules, object reads and writes (streamed), listing, presigning.
 * SDK errors are translated into the domain's errors at this seam, so nothing above it
 * imports the AWS SDK.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Settings } from '../config';
import { BadRequest, Conflict, Forbidden, NotFound, NotModified, StorageError, StoreAccessDenied, StoreUnavailable } from '../errors';
import { endpointsFor, routeByHealth, type StoreEndpoints } from './endpoints';
import { endpointOf, isPreconditionFailure, nameOf, PARTS_REFUSED, statusOf, translate } from './failures';
import { prepareBucket, type BucketReport, type CorsRuleSpec, type LifecycleRuleSpec } from './buckets';
import { ensureBucketTtl } from './seaweedFiler';
import { firstListedKey, headerOf, SignedHttp, type SignedAnswer } from './signedHttp';
import type { UrlSigner } from './urlSigner';

export interface ObjectInfo {
  contentType: string;
  contentLength: number;
  etag: string;
  lastModified: Date;
  /** The x-amz-meta-* values, by name without the prefix. */
  metadata: Record<string, string>;
}

export interface StoredObject extends ObjectInfo {
  body: Readable;
  /** Set when a Range was asked for: `bytes start-end/total`. */
  contentRange: string | undefined;
}

export interface ReadConditions {
  range?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: Date | undefined;
}

export interface WriteOptions {
  contentType: string;
  metadata: Record<string, string>;
  /** Only create: refuse (Conflict) if an object is already at the key, atomically in the store. */
  exclusive?: boolean;
}

export interface StreamOptions extends WriteOptions {
  /** The body's length when the caller declared it; the body is then sent as one PUT. */
  contentLength?: number | undefined;
}

export interface UploadedPart {
  partNumber: number;
  size: number;
  etag: string;
}

/** A part as listed, with what tells uploads of one part number apart. */
interface LatestPart extends UploadedPart {
  /** LastModified, ms since the epoch. */
  modified: number;
  /** The ETags of every upload of this part number with that same date (`etag` among them). */
  latestEtags: string[];
}

export interface ListPage {
  keys: string[];
  /** With a delimiter: the common prefixes, each folder rolled up into one (ending with the delimiter). */
  prefixes: string[];
  truncated: boolean;
}

/** A rule this gateway keeps on a bucket; rules with other IDs belong to operators and are kept. */
/**
 * Parts of a streamed upload of unknown length (or over S3's 5 GiB single-PUT limit). One part
 * fills while the one before it is sent, so such an upload holds at most 2 x PART_SIZE;
 * 10,000 parts of 16 MiB allow objects up to about 156 GiB.
 */
const PART_SIZE = 16 * 1024 * 1024;
/**
 * Where the gateway records its own streamed multipart uploads while they run: outside every
 * namespace (those are 40 hex characters), so no caller's key can reach it.
 */
export const STREAM_ENTRY_PREFIX = '.storage-gateway/streams/';
/**
 * SeaweedFS: where the gateway records each upload URL it issued (Content-Type and metadata
 * the upload must end with), until the URL expires; see settleUpload.
 */
export const URL_UPLOAD_PREFIX = '.storage-gateway/url-uploads/';
/** A record outlives its URL by this much, for clock skew between the gateway and the store. */
const URL_RECORD_MARGIN_MS = 15 * 60_000;
/** By default a stream entry not refreshed for an hour is a dead gateway's (ORPHAN_UPLOAD_AGE_SECONDS). */
const DEFAULT_ORPHAN_AGE_MS = 3600_000;
/** S3's limit for one PutObject; larger bodies of known length go in parts. */
const SINGLE_PUT_LIMIT = 5 * 1024 ** 3;
/** Sockets for small calls, kept apart from streams so slow readers cannot starve them. */
const CONTROL_SOCKETS = 64;
/** Sockets for streamed bodies: bounded in practice by MAX_TRANSFERS_PER_CALLER per caller. */
const TRANSFER_SOCKETS = 1024;
/** How long the store may stay silent on a call unless told otherwise (S3_RESPONSE_TIMEOUT_SECONDS). */
const DEFAULT_RESPONSE_TIMEOUT_MS = 10_000;

/** S3 copies at most 5 GiB in one CopyObject; larger objects are copied part by part. */
const SINGLE_COPY_LIMIT = 5 * 1024 ** 3;
/** Parts of a server-side copy: large, as no bytes pass through the gateway. */
const COPY_PART_SIZE = 512 * 1024 ** 2;
const COPY_PARALLEL_PARTS = 4;

const SILENT_SDK_LOGGER = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Told of every call to the store: how long it took and, if it failed, the error's name. */
export type { BucketReport, LifecycleRuleSpec } from './buckets';

export interface StoreObserver {
  observeStoreCall(operation: string, seconds: number, failure: string | undefined): void;
}

export interface StoreOptions {
  observer?: StoreObserver;
  /** Objects larger than this are copied in parts (tests lower it to exercise that path). */
  singleCopyLimit?: number;
  copyPartSize?: number;
  /** Signs presigned URLs with least-privilege credentials; without it no URL is issued. */
  signer?: UrlSigner;
  /** How long the store may stay silent on a call before it counts as unavailable. */
  responseTimeoutMs?: number;
  /** A streamed upload whose entry was not refreshed for this long belongs to a dead process. */
  orphanAgeMs?: number;
  /** The store's endpoints and their health (shared with the URL signer); by default from the settings. */
  endpoints?: StoreEndpoints;
}

export class ObjectStore {
  /** Small calls: heads, lists, deletes, multipart bookkeeping, bucket set-up. */
  private readonly client: S3Client;
  /** Parts of a streamed upload of unknown length, on their own sockets. */
  private readonly transfers: S3Client;
  /**
   * Server-side copies: the store answers a large CopyObject or UploadPartCopy only when it is
   * done, silent meanwhile, so these calls have no inactivity limit.
   */
  private readonly copies: S3Client;
  /** The hot calls (GET, HEAD, single PUT, DELETE) as signed HTTP, without the SDK's stack. */
  private readonly http: SignedHttp;
  private readonly signer: UrlSigner | undefined;
  readonly endpoints: StoreEndpoints;
  /** Endpoints made here (not handed in) are closed here. */
  private readonly ownsEndpoints: boolean;
  /** A live stream refreshes its entry four times per orphan age, so it never looks dead. */
  private readonly streamHeartbeatMs: number;

  private readonly singleCopyLimit: number;
  private readonly copyPartSize: number;
  private readonly observer: StoreObserver | undefined;

  constructor(
    private readonly settings: S3Settings,
    options: StoreOptions = {},
  ) {
    this.singleCopyLimit = options.singleCopyLimit ?? SINGLE_COPY_LIMIT;
    this.copyPartSize = options.copyPartSize ?? COPY_PART_SIZE;
    this.observer = options.observer;
    this.signer = options.signer;
    this.ownsEndpoints = options.endpoints === undefined;
    this.endpoints = options.endpoints ?? endpointsFor(settings);
    const endpoint = settings.endpoints[0];
    this.streamHeartbeatMs = (options.orphanAgeMs ?? DEFAULT_ORPHAN_AGE_MS) / 4;
    const responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    const common = {
      region: settings.region,
      credentials: settings.credentials,
      forcePathStyle: settings.forcePathStyle,
      // Since SDK 3.729 the default also bakes a CRC32 of an empty body into presigned PUT URLs,
      // which breaks a plain `curl -T`, and adds aws-chunked trailers to streamed uploads.
      requestChecksumCalculation: 'WHEN_REQUIRED' as const,
      responseChecksumValidation: 'WHEN_REQUIRED' as const,
    };
    this.client = new S3Client({
      ...common,
      endpoint,
      maxAttempts: 3,
      // A socket silent for this long (a frozen node) fails the call; each attempt has its own.
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 3000,
        socketTimeout: responseTimeoutMs,
        httpAgent: { keepAlive: true, maxSockets: CONTROL_SOCKETS },
      }),
    });
    this.http = new SignedHttp({
      endpoints: this.endpoints,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      // The SDK client's provider: static keys, or the default chain with its refreshes.
      credentials: this.client.config.credentials,
      connections: TRANSFER_SOCKETS,
      headersTimeoutMs: responseTimeoutMs,
    });
    this.copies = new S3Client({
      ...common,
      endpoint,
      maxAttempts: 3,
      requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, httpAgent: { keepAlive: true, maxSockets: CONTROL_SOCKETS } }),
    });
    this.transfers = new S3Client({
      ...common,
      endpoint,
      // Parts are buffers, so an attempt can be sent again (to another endpoint after a failure).
      maxAttempts: 3,
      // A stream cut by its client is expected and handled here; the SDK would warn on the console.
      logger: SILENT_SDK_LOGGER,
      // No socket idle timeout here: a download to a slow reader pauses the S3 socket by
      // back-pressure; the HTTP layer cuts a caller that moves nothing for too long.
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 3000,
        socketTimeout: responseTimeoutMs,
        httpAgent: { keepAlive: true, maxSockets: TRANSFER_SOCKETS },
      }),
    });
    // Configured endpoints (not AWS's own, which the SDK resolves): each attempt to a healthy one.
    if (endpoint !== undefined) for (const client of [this.client, this.copies, this.transfers]) routeByHealth(client, this.endpoints);
  }

  /** Where the gateway reaches the store, for start-up messages (no credentials in it). */
  describe(): string {
    return this.settings.endpoints.length > 0 ? this.settings.endpoints.join(',') : `AWS S3 (${this.settings.region})`;
  }

  async close(): Promise<void> {
    this.client.destroy();
    this.copies.destroy();
    this.transfers.destroy();
    this.signer?.close();
    await this.http.close();
    if (this.ownsEndpoints) await this.endpoints.close();
  }

  // ---- buckets ------------------------------------------------------------------------------

  /**
   * Creates the bucket if missing and makes sure our lifecycle rules are on it, keeping any
   * rule an operator added (buckets.ts). Idempotent: writes nothing when all is already in place.
   */
  async ensureBucket(bucket: string, rules: LifecycleRuleSpec[], cors?: CorsRuleSpec): Promise<BucketReport> {
    const report = await this.call('ensureBucket', () => prepareBucket(this.client, bucket, rules, cors));
    const expiry = rules.find((r) => r.expireAfterDays !== undefined)?.expireAfterDays;
    if (this.settings.engine === 'seaweedfs' && expiry !== undefined) report.filerTtl = await this.ensureFilerTtl(bucket, expiry);
    return report;
  }

  /**
   * SeaweedFS stores lifecycle rules but `weed server` does not apply them: the expiry is
   * applied as a filer path TTL (seaweedFiler.ts), when the gateway knows the filer.
   */
  async ensureFilerTtl(bucket: string, days: number): Promise<'written' | 'present' | 'unconfigured'> {
    const filerUrl = this.settings.filerUrl;
    if (filerUrl === undefined) return 'unconfigured';
    return this.call('ensureFilerTtl', async () => {
      try {
        return await ensureBucketTtl(filerUrl, bucket, days);
      } catch (error) {
        // The filer not answering is an outage like any other: retried until it answers.
        throw new StoreUnavailable(undefined, `${(error as Error).message} (filer ${filerUrl})`);
      }
    });
  }

  /** Throws unless every bucket is reachable with our credentials. */
  async checkBuckets(buckets: string[]): Promise<void> {
    await this.call('checkBuckets', () =>
      Promise.all(buckets.map((bucket) => this.client.send(new HeadBucketCommand({ Bucket: bucket })))),
    );
  }

  // ---- objects ------------------------------------------------------------------------------

  async get(bucket: string, key: string, conditions: ReadConditions = {}): Promise<StoredObject> {
    return this.call('getObject', async () => {
      const answer = await this.http.send({
        method: 'GET',
        bucket,
        key,
        headers: {
          range: conditions.range,
          'if-none-match': conditions.ifNoneMatch,
          'if-modified-since': conditions.ifModifiedSince?.toUTCString(),
        },
      });
      if (answer.status === 304) {
        await answer.body.dump();
        throw new NotModified('Not modified');
      }
      let info = objectInfo(answer.headers);
      try {
        info = await this.settleUpload(bucket, key, info);
      } catch (error) {
        answer.body.destroy();
        throw error;
      }
      return { body: answer.body, ...info, contentRange: headerOf(answer.headers, 'content-range') };
    });
  }

  async head(bucket: string, key: string): Promise<ObjectInfo> {
    return this.call('headObject', async () => this.settleUpload(bucket, key, await this.headAsStored(bucket, key)));
  }

  /** The object's headers as the store has them (nothing settled: also for buckets not the gateway's). */
  private async headAsStored(bucket: string, key: string): Promise<ObjectInfo> {
    const answer = await this.http.send({ method: 'HEAD', bucket, key });
    await answer.body.dump();
    return objectInfo(answer.headers);
  }

  // ---- SeaweedFS: settling what upload URLs stored -------------------------------------------

  /**
   * SeaweedFS stores an upload URL's object with only what the uploader sent: no x-amz-meta-*
   * (it ignores the signed query), and the uploader's Content-Type, or with none one it guesses
   * from the bytes. So the gateway records each URL's type and metadata when it issues it, and
   * an object found without metadata under a live record is given them (a copy onto itself,
   * only while its ETag is the one seen, metadata only on SeaweedFS). This runs on every read
   * through the gateway (get, head, exists, a download URL) and every SETTLE_SWEEP_MS
   * (sweepUrlUploads). Answers the object's info as it now stands.
   */
  private async settleUpload(bucket: string, key: string, info: ObjectInfo): Promise<ObjectInfo> {
    if (this.settings.engine !== 'seaweedfs' || Object.keys(info.metadata).length > 0) return info;
    const record = await this.readUrlRecord(bucket, urlRecordKey(key));
    if (!record || record.key !== key) return info;
    try {
      await this.copies.send(
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
      answer = await this.http.send({ method: 'GET', bucket, key: recordKey });
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
  async sweepUrlUploads(bucket: string): Promise<number> {
    if (this.settings.engine !== 'seaweedfs') return 0;
    return this.call('sweepUrlUploads', async () => {
      let settled = 0;
      for await (const entry of this.entriesUnder(bucket, URL_UPLOAD_PREFIX)) {
        const record = await this.readUrlRecord(bucket, entry.key);
        if (record) {
          const before = await this.headAsStored(bucket, record.key).catch((error: unknown) => {
            if (statusOf(error) === 404) return undefined;
            throw error;
          });
          if (before && Object.keys(before.metadata).length === 0) {
            const after = await this.settleUpload(bucket, record.key, before);
            if (Object.keys(after.metadata).length > 0) settled++;
          }
        }
        if (!record || Date.now() > record.expires + URL_RECORD_MARGIN_MS) {
          await this.http.send({ method: 'DELETE', bucket, key: entry.key }).then((a) => a.body.dump());
        }
      }
      return settled;
    });
  }

  /**
   * SeaweedFS: aborts multipart uploads begun more than `olderThanMs` ago. It stores the
   * AbortIncompleteMultipartUpload rule but `weed server` alone does not apply it.
   */
  async abortStaleUploads(bucket: string, olderThanMs: number): Promise<number> {
    if (this.settings.engine !== 'seaweedfs') return 0;
    return this.call('abortStaleUploads', async () => {
      let aborted = 0;
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const page = await this.client.send(
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

  /**
   * Streams `body` to the object. A body of declared length up to 5 GiB goes in one PUT with
   * no buffering; otherwise in parts, at most two in memory. If `body` fails before its end (a
   * client that disconnects or stalls), nothing is stored and a multipart upload already begun
   * is aborted: no half-written object, no orphaned parts.
   */
  async put(bucket: string, key: string, body: Readable, options: StreamOptions): Promise<{ etag: string; size: number }> {
    const { contentLength } = options;
    if (contentLength !== undefined && contentLength <= SINGLE_PUT_LIMIT) {
      return this.call(
        'putObject',
        async () => {
          const cut = new AbortController();
          const onClose = () => {
            if (!body.readableEnded) cut.abort();
          };
          body.once('close', onClose);
          body.once('error', onClose);
          try {
            const answer = await this.http.send({
              method: 'PUT',
              bucket,
              key,
              headers: {
                'content-length': String(contentLength),
                'content-type': options.contentType,
                ...metadataHeaders(options.metadata),
                ...(options.exclusive && { 'if-none-match': '*' }),
              },
              body,
              signal: cut.signal,
            });
            await answer.body.dump();
            return { etag: headerOf(answer.headers, 'etag') ?? '', size: contentLength };
          } finally {
            body.off('close', onClose);
            body.off('error', onClose);
          }
        },
        options.exclusive,
      );
    }
    return this.putInParts(bucket, key, body, options);
  }

  private async putInParts(bucket: string, key: string, body: Readable, options: WriteOptions): Promise<{ etag: string; size: number }> {
    const uploadId = await this.createMultipart(bucket, key, options);
    // Recorded until the stream ends, so a crash leaves something the sweep can find.
    const entry = streamEntryKey(key, uploadId);
    const record = Buffer.from(JSON.stringify({ key, uploadId }));
    try {
      await this.writeStreamEntry(bucket, entry, record);
    } catch (error) {
      await this.abortQuietly(bucket, key, uploadId);
      throw error;
    }
    const heartbeat = setInterval(() => void this.writeStreamEntry(bucket, entry, record).catch(() => undefined), this.streamHeartbeatMs);
    heartbeat.unref();
    try {
      return await this.streamParts(bucket, key, uploadId, body, options);
    } finally {
      clearInterval(heartbeat);
      await this.call('deleteObject', () => this.http.send({ method: 'DELETE', bucket, key: entry }).then((a) => a.body.dump())).catch(
        () => undefined,
      );
    }
  }

  private async streamParts(
    bucket: string,
    key: string,
    uploadId: string,
    body: Readable,
    options: WriteOptions,
  ): Promise<{ etag: string; size: number }> {
    return this.call(
      'putObjectInParts',
      async () => {
        const parts: CompletedPart[] = [];
        let size = 0;
        let sending: Promise<void> = Promise.resolve();
        const send = (partNumber: number, chunk: Buffer) =>
          this.transfers
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
          let pending: Buffer[] = [];
          let pendingBytes = 0;
          let partNumber = 0;
          const flush = async () => {
            const chunk = Buffer.concat(pending, pendingBytes);
            pending = [];
            pendingBytes = 0;
            // One part in flight while the next fills: memory stays at two parts.
            await sending;
            sending = send(++partNumber, chunk);
          };
          for await (const data of body as AsyncIterable<Buffer>) {
            pending.push(data);
            pendingBytes += data.length;
            size += data.length;
            if (pendingBytes >= PART_SIZE) await flush();
          }
          if (pendingBytes > 0 || partNumber === 0) await flush();
          await sending;
          parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
          const done = await this.client.send(
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
          await this.abortQuietly(bucket, key, uploadId);
          throw error;
        }
      },
      options.exclusive,
    );
  }

  /** Marks a streamed upload of the gateway's own as alive (its entry's modified time). */
  private async writeStreamEntry(bucket: string, entry: string, record: Buffer): Promise<void> {
    await this.call('putObject', async () => {
      const answer = await this.http.send({
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
    return this.call('sweepOrphanedStreams', async () => {
      let swept = 0;
      for await (const entry of this.entriesUnder(bucket, STREAM_ENTRY_PREFIX)) {
        if (Date.now() - entry.lastModified.getTime() < staleAfterMs) continue;
        const answer = await this.http.send({ method: 'GET', bucket, key: entry.key }).catch(() => undefined);
        const stream = answer ? parseStreamRecord(await answer.body.text()) : undefined;
        if (stream) await this.abortQuietly(bucket, stream.key, stream.uploadId);
        await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: entry.key }));
        swept++;
      }
      return swept;
    });
  }

  /** Every object under `prefix` (the gateway's own entries), page by page. */
  private async *entriesUnder(bucket: string, prefix: string): AsyncGenerator<{ key: string; lastModified: Date }> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const entry of page.Contents ?? []) if (entry.Key) yield { key: entry.Key, lastModified: entry.LastModified ?? new Date(0) };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Aborts a multipart upload of the gateway's own, retrying, so a failed stream leaves no parts. */
  private async abortQuietly(bucket: string, key: string, uploadId: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
        return;
      } catch (error) {
        if (nameOf(error) === 'NoSuchUpload') return;
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
    }
  }

  /** Idempotent, as in S3: deleting a missing key succeeds. */
  async delete(bucket: string, key: string): Promise<void> {
    await this.call('deleteObject', async () => {
      const answer = await this.http.send({ method: 'DELETE', bucket, key });
      await answer.body.dump();
    });
  }

  /**
   * Keys under `prefix` in key order, starting after `startAfter`. With a delimiter, keys that
   * go on past it are rolled up into common prefixes (one entry each, counted in maxKeys).
   */
  async list(bucket: string, prefix: string, startAfter: string | undefined, maxKeys: number, delimiter?: string): Promise<ListPage> {
    return this.call('listObjects', async () => {
      const answer = await this.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, StartAfter: startAfter, MaxKeys: maxKeys, Delimiter: delimiter }),
      );
      return {
        keys: (answer.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])),
        prefixes: (answer.CommonPrefixes ?? []).flatMap((common) => (common.Prefix ? [common.Prefix] : [])),
        truncated: answer.IsTruncated === true,
      };
    });
  }

  /**
   * Copies an object server-side, from any bucket the gateway can read, replacing its
   * metadata with ours (keeping the content type). No bytes pass through the gateway. An
   * exclusive copy goes through a multipart upload, whose completion S3 can make conditional.
   */
  async copy(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
    options: Omit<WriteOptions, 'contentType'>,
  ): Promise<{ etag: string; size: number }> {
    let info: ObjectInfo;
    try {
      // A copy source is outside the gateway's buckets: read as stored, never settled.
      info = await this.call('headObject', () => this.headAsStored(source.bucket, source.key));
    } catch (error) {
      if (error instanceof NotFound) throw new NotFound('No object at the source key (or no such source bucket)');
      if (error instanceof StoreAccessDenied) throw new Forbidden('The gateway may not read that source bucket');
      throw error;
    }
    const copySource = `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}`;
    const written = { Bucket: target.bucket, Key: target.key, ContentType: info.contentType, Metadata: options.metadata };
    return this.call(
      'copyObject',
      async () => {
        if (info.contentLength <= this.singleCopyLimit && !options.exclusive) {
          const answer = await this.copies.send(
            new CopyObjectCommand({ ...written, CopySource: copySource, MetadataDirective: 'REPLACE' }),
          );
          return { etag: answer.CopyObjectResult?.ETag ?? '', size: info.contentLength };
        }
        const partSize = Math.max(this.copyPartSize, Math.ceil(info.contentLength / 10_000));
        const { UploadId } = await this.client.send(new CreateMultipartUploadCommand(written));
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
              batch.map(({ partNumber, range }) =>
                this.copies.send(
                  new UploadPartCopyCommand({
                    Bucket: target.bucket,
                    Key: target.key,
                    UploadId,
                    PartNumber: partNumber,
                    CopySource: copySource,
                    CopySourceRange: range,
                  }),
                ),
              ),
            );
            answers.forEach((answer, j) => parts.push({ PartNumber: batch[j]?.partNumber ?? 0, ETag: answer.CopyPartResult?.ETag ?? '' }));
          }
          const done = await this.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: target.bucket,
              Key: target.key,
              UploadId,
              MultipartUpload: { Parts: parts },
              ...(options.exclusive && { IfNoneMatch: '*' }),
            }),
          );
          return { etag: done.ETag ?? '', size: info.contentLength };
        } catch (error) {
          await this.abortQuietly(target.bucket, target.key, UploadId);
          throw error;
        }
      },
      options.exclusive,
    );
  }

  /**
   * Whether the key would collide with another object, as a folder and a file of the same
   * name: an object at one of its parent paths (`a` or `a/b` for `a/b/c`), or objects below
   * it (`a/b/c/...`). Some engines (MinIO) store keys as paths and cannot hold both: one of
   * the two becomes invisible to listing, or the write fails. Answers the colliding key.
   */
  async collidingKey(bucket: string, key: string, floor: string): Promise<string | undefined> {
    return this.call('checkCollision', async () => {
      const segments = key.slice(floor.length).split('/');
      const parents = segments.slice(0, -1).map((_, i) => floor + segments.slice(0, i + 1).join('/'));
      const [below, ...above] = await Promise.all([
        this.http
          .send({ method: 'GET', bucket, key: '', query: { 'list-type': '2', prefix: `${key}/`, 'max-keys': '1' } })
          .then((answer) => answer.body.text()),
        ...parents.map((parent) =>
          this.http.send({ method: 'HEAD', bucket, key: parent }).then(
            (answer) => answer.body.dump().then(() => true),
            (error: unknown) => {
              if (statusOf(error) === 404) return false;
              throw error;
            },
          ),
        ),
      ]);
      const parent = parents.find((_, i) => above[i]);
      if (parent !== undefined) return parent;
      return firstListedKey(below);
    });
  }

  // ---- multipart upload sessions (the caller uploads parts straight to the store) ------------

  async createMultipart(bucket: string, key: string, options: WriteOptions): Promise<string> {
    return this.call('createMultipartUpload', async () => {
      const answer = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: options.contentType, Metadata: options.metadata }),
      );
      if (!answer.UploadId) throw new Error('the store created a multipart upload without an id');
      return answer.UploadId;
    });
  }

  /**
   * The parts the store holds for an upload so far, in part order: what a resuming client
   * skips. One per part number, the latest: SeaweedFS keeps and lists every upload of a part
   * number (and would complete with any of them), where S3 keeps only the last.
   */
  async listParts(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    return (await this.listPartUploads(bucket, key, uploadId)).map(({ partNumber, size, etag }) => ({ partNumber, size, etag }));
  }

  /** Every part upload the store lists, reduced to the latest per part number (see listParts). */
  private async listPartUploads(bucket: string, key: string, uploadId: string): Promise<LatestPart[]> {
    return this.call('listParts', async () => {
      const latest = new Map<number, LatestPart>();
      let marker: string | undefined;
      for (;;) {
        const page = await this.client.send(
          new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
        );
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
          this.settings.engine === 'seaweedfs' ? String(Math.max(0, Number(page.NextPartNumberMarker) - 1)) : page.NextPartNumberMarker;
        marker = next === marker ? page.NextPartNumberMarker : next;
      }
      return [...latest.values()].sort((a, b) => a.partNumber - b.partNumber);
    });
  }

  async completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    options: { exclusive?: boolean } = {},
  ): Promise<{ etag: string; size: number }> {
    // SeaweedFS completes with any upload of a part number the ETag names, even one uploaded
    // again since; S3 (and MinIO) refuse all but the last. Check against the latest here.
    if (this.settings.engine === 'seaweedfs') await this.refuseSupersededParts(bucket, key, uploadId, parts);
    return this.call(
      'completeMultipartUpload',
      async () => {
        const answer = await this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
            ...(options.exclusive && { IfNoneMatch: '*' }),
          }),
        );
        const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { etag: answer.ETag ?? head.ETag ?? '', size: head.ContentLength ?? 0 };
      },
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
  ): Promise<void> {
    const latest = new Map((await this.listPartUploads(bucket, key, uploadId)).map((part) => [part.partNumber, part]));
    for (const { partNumber, etag } of parts) {
      const part = latest.get(partNumber);
      if (!part?.latestEtags.some((candidate) => unquote(candidate) === unquote(etag)))
        throw new BadRequest(PARTS_REFUSED.InvalidPart as string);
    }
  }

  /** The latest upload of every part, for completing without a list: refused where that is ambiguous (see above). */
  async latestPartsToComplete(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    const parts = await this.listPartUploads(bucket, key, uploadId);
    const unclear = parts.find((part) => part.latestEtags.length > 1);
    if (unclear) {
      throw new Conflict(
        `Part ${unclear.partNumber} was uploaded twice within one second with different content: name the parts and their ETags to complete`,
      );
    }
    return parts.map(({ partNumber, size, etag }) => ({ partNumber, size, etag }));
  }

  /**
   * Unfinished uploads to exactly this key, oldest first. The store's own listing is the only
   * proof that an upload id belongs to a key: ids are never taken on a caller's word.
   */
  async listUploads(bucket: string, key: string): Promise<{ uploadId: string; initiated: Date }[]> {
    return this.call('listMultipartUploads', async () => {
      const uploads: { uploadId: string; initiated: Date }[] = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
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

  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.call('abortMultipartUpload', () =>
      this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
    );
  }

  // ---- presigned URLs, signed by least-privilege identities (urlSigner.ts) --------------------

  /**
   * A URL a plain HTTP PUT can store the object with, no further authentication. Content-Type
   * is bound (the uploader must send exactly it, or on MinIO nothing); metadata rides in the
   * signed query; an exclusive URL only creates, so the uploader must send `If-None-Match: *`.
   */
  async presignPut(
    bucket: string,
    key: string,
    options: { expiresIn: number; metadata: Record<string, string>; contentType: string; contentTypeNamed?: boolean; exclusive?: boolean },
  ): Promise<string> {
    const signer = this.requireSigner();
    if (this.settings.engine === 'seaweedfs') {
      // Recorded before the URL exists, so whatever it stores can be settled (settleUpload).
      // Kept as long as the longest-lived URL for the key: an earlier one may outlive this one.
      await this.call('putObject', async () => {
        const earlier = await this.readUrlRecord(bucket, urlRecordKey(key));
        const expires = Math.max(Date.now() + options.expiresIn * 1000, earlier?.key === key ? earlier.expires : 0);
        const record: UrlUploadRecord = { key, contentType: options.contentType, metadata: options.metadata, expires };
        const body = Buffer.from(JSON.stringify(record));
        const answer = await this.http.send({
          method: 'PUT',
          bucket,
          key: urlRecordKey(key),
          headers: { 'content-length': String(body.length) },
          body,
        });
        await answer.body.dump();
      });
    }
    return signer.upload({
      bucket,
      key,
      expiresIn: options.expiresIn,
      metadata: options.metadata,
      contentType: options.contentType,
      contentTypeNamed: options.contentTypeNamed,
      ...(options.exclusive && { headers: { 'if-none-match': '*' } }),
    });
  }

  async presignPart(bucket: string, key: string, uploadId: string, partNumber: number, expiresIn: number): Promise<string> {
    return this.requireSigner().upload({ bucket, key, expiresIn, query: { partNumber: String(partNumber), uploadId } });
  }

  /**
   * A download URL; `attachment` makes browsers save the object rather than render it, and
   * `contentType` pins the type the answer declares, whatever is stored by the time it is used.
   */
  async presignGet(
    bucket: string,
    key: string,
    options: { expiresIn: number; attachment: boolean; contentType?: string | undefined },
  ): Promise<string> {
    const query: Record<string, string> = {};
    if (options.attachment) query['response-content-disposition'] = 'attachment';
    if (options.contentType !== undefined) query['response-content-type'] = options.contentType;
    return this.requireSigner().download({ bucket, key, expiresIn: options.expiresIn, ...(Object.keys(query).length > 0 && { query }) });
  }

  private requireSigner(): UrlSigner {
    if (!this.signer) throw new StoreUnavailable('This gateway issues no signed URLs: it has no URL-signing credentials');
    return this.signer;
  }

  /**
   * Runs one exchange with the store, times it, and translates its failures into domain
   * errors. `exclusive`: the exchange was a create-only write, so a failed precondition means
   * something is already at the key.
   */
  private async call<T>(operation: string, exchange: () => Promise<T>, exclusive = false): Promise<T> {
    const started = performance.now();
    let failure: string | undefined;
    try {
      return await exchange();
    } catch (error) {
      const where = endpointOf(error) ?? this.describe();
      let translated = exclusive && isPreconditionFailure(error) ? new Conflict('An object already exists at that key') : translate(error);
      if (translated instanceof StoreUnavailable && translated.reason) {
        translated = new StoreUnavailable(translated.message, `${translated.reason} at ${where} (${operation})`);
      }
      failure = translated instanceof StorageError ? translated.code : (translated as Error).name || 'Error';
      throw translated;
    } finally {
      this.observer?.observeStoreCall(operation, (performance.now() - started) / 1000, failure);
    }
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

/** The object's own headers, as S3 answers a GET or HEAD. */
function objectInfo(headers: SignedAnswer['headers']): ObjectInfo {
  const modified = headerOf(headers, 'last-modified');
  const metadata: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headerOf(headers, name);
    if (name.toLowerCase().startsWith('x-amz-meta-') && value !== undefined)
      metadata[name.slice('x-amz-meta-'.length).toLowerCase()] = value;
  }
  return {
    contentType: headerOf(headers, 'content-type') ?? 'application/octet-stream',
    contentLength: Number(headerOf(headers, 'content-length') ?? 0),
    etag: headerOf(headers, 'etag') ?? '',
    lastModified: modified ? new Date(modified) : new Date(0),
    metadata,
  };
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

/** User metadata as S3 headers; values are printable ASCII (ownerMetadata encodes the rest). */
function metadataHeaders(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]));
}

/** An ETag without its quotes (callers may send either form). */
function unquote(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '');
}
