/**
 * The store interface (types.ts) on S3: MinIO, SeaweedFS or AWS S3. Everything the gateway
 * sends to the object store starts here: buckets and their lifecycle rules, object reads and
 * writes (streamed), listing, collisions, presigning. It is opened by openS3Store.ts, which
 * builds its clients and URL signer and hands it out by its interfaces. Larger parts have
 * files of their own, sharing this store's clients through one S3Context (s3Context.ts):
 *   s3StoreOptions.ts     its options and defaults, and the fair pools its calls take turns in
 *   s3Clients.ts          the SDK and signed-HTTP clients, built from the settings
 *   storeCalls.ts         every call timed, its failures translated, those under way known
 *   singlePut.ts          one streamed PUT of a body of known length
 *   collisions.ts         the file-or-folder check before every write
 *   multipartSessions.ts  upload sessions: create, list, complete, abort
 *   streamedUploads.ts    bodies of unknown length cut into parts, and the sweep of orphans
 *   serverCopies.ts       server-side copies, in parts above 5 GiB or when exclusive
 *   urlUploadRecords.ts   SeaweedFS: what upload URLs must store, settled on read
 *   urlBindings.ts        what each kind of presigned URL binds, per engine (urlSigner.ts signs)
 *   s3Upkeep.ts           the background side (StoreUpkeep): sweeps, SeaweedFS's filer TTL
 * Store errors are translated into the domain's errors at this seam (failures.ts), so
 * nothing above it imports the AWS SDK.
 */
import type { Readable } from 'node:stream';
import { HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../config';
import type { Principal } from '../shares';
import { NotModified, NotSupported, StoreUnavailable } from '../errors';
import { prepareBucket, type BucketReport, type CorsRuleSpec, type LifecycleRuleSpec } from './buckets';
import { RecentWrites } from './recentWrites';
import { headerOf, type SignedHttp } from './signedHttp';
import type {
  CopyOptions,
  DownloadUrlOptions,
  IssuedCredentials,
  ListPage,
  ObjectInfo,
  OpenUpload,
  ReadConditions,
  Store,
  StoredObject,
  StoreCallShares,
  StreamOptions,
  UploadedPart,
  UploadUrlOptions,
  WriteOptions,
  Written,
} from './types';
import type { UrlSigner } from './urlSigner';
import type { SigningCredentials } from './signingCredentials';
import type { ScopedGrant } from './credentialPolicy';
import { URL_BINDINGS } from './urlBindings';
import { MultipartSessions } from './multipartSessions';
import type { S3Clients } from './s3Clients';
import { StoreCalls } from './storeCalls';
import { CollisionCheck } from './collisions';
import { putWhole } from './singlePut';
import { objectInfo, type S3Context } from './s3Context';
import { ServerCopies } from './serverCopies';
import { PART_SIZE, StreamedUploads } from './streamedUploads';
import { UrlUploadRecords } from './urlUploadRecords';
import { S3Upkeep } from './s3Upkeep';
import {
  COPY_PART_SIZE,
  DEFAULT_ORPHAN_AGE_MS,
  DEFAULT_PART_BUFFER_BYTES,
  partBufferShares,
  SINGLE_COPY_LIMIT,
  type StoreOptions,
} from './s3StoreOptions';

/** S3's limit for one PutObject; larger bodies of known length go in parts. */
const SINGLE_PUT_LIMIT = 5 * 1024 ** 3;

/** What the store works with, built and closed by openS3Store.ts. */
export interface S3StoreParts {
  clients: S3Clients;
  /** Callers' small calls, and their completions and copies, each taken in fair turns (shares.ts). */
  shares: StoreCallShares;
  /** Signs presigned URLs with least-privilege credentials; without it no URL is issued. */
  signer: UrlSigner | undefined;
  /** The store's STS sessions, which also give callers their scoped credentials. */
  credentials?: SigningCredentials | undefined;
  /** The public endpoint callers reach the store on (S3_PUBLIC_ENDPOINT). */
  publicEndpoint?: () => string;
}

export class S3Store implements Store {
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
  private readonly credentials: SigningCredentials | undefined;
  private readonly publicEndpoint: () => string;
  /** The parts, each in its own file, sharing the clients above through one S3Context. */
  private readonly sessions: MultipartSessions;
  private readonly streamed: StreamedUploads;
  private readonly records: UrlUploadRecords;
  private readonly serverCopies: ServerCopies;
  /** Callers' calls take their turns here (shares.ts). */
  private readonly shares: StoreCallShares;
  /** The background side: sweeps and SeaweedFS's filer TTL (s3Upkeep.ts). */
  readonly upkeep: S3Upkeep;
  /** Collision checks, with their short memory of parents that are not objects. */
  private readonly collisions: CollisionCheck;
  /** Keys written in the last seconds: a 404 for one is checked with another node (SignedHttp). */
  private readonly recentWrites = new RecentWrites();
  /** Every call to the store: timed, its failures translated, those under way known. */
  private readonly calls: StoreCalls;

  constructor(
    private readonly settings: S3Settings,
    { clients, shares, signer, credentials, publicEndpoint }: S3StoreParts,
    options: Omit<StoreOptions, 'signing'> = {},
  ) {
    this.calls = new StoreCalls(options.observer, () => this.describe());
    this.shares = shares;
    this.signer = signer;
    this.credentials = credentials;
    this.publicEndpoint = publicEndpoint ?? (() => settings.endpoints[0] ?? `https://s3.${settings.region}.amazonaws.com`);
    this.client = clients.client;
    this.copies = clients.copies;
    this.transfers = clients.transfers;
    this.http = clients.http;
    this.collisions = new CollisionCheck(this.http);
    const context: S3Context = {
      settings,
      client: this.client,
      transfers: this.transfers,
      copies: this.copies,
      http: this.http,
      call: (operation, exchange, exclusive) => this.calls.run(operation, exchange, exclusive),
      turn: (principal, work) => this.shares.storeCalls.run(principal, work),
      heavy: (principal, work) => this.shares.heavyCalls.run(principal, work),
      writing: (bucket, key) => this.wrote(bucket, key),
    };
    this.sessions = new MultipartSessions(context);
    this.streamed = new StreamedUploads(
      context,
      this.sessions,
      // A live stream refreshes its entry four times per orphan age, so it never looks dead.
      (options.orphanAgeMs ?? DEFAULT_ORPHAN_AGE_MS) / 4,
      partBufferShares(options.partBufferBytes ?? DEFAULT_PART_BUFFER_BYTES, PART_SIZE),
    );
    this.records = new UrlUploadRecords(context);
    this.serverCopies = new ServerCopies(context, this.sessions, {
      singleCopyLimit: options.singleCopyLimit ?? SINGLE_COPY_LIMIT,
      copyPartSize: options.copyPartSize ?? COPY_PART_SIZE,
    });
    this.upkeep = new S3Upkeep(context, { streamed: this.streamed, records: this.records, sessions: this.sessions });
  }

  /** Where the gateway reaches the store, for start-up messages (no credentials in it). */
  describe(): string {
    return this.settings.endpoints.length > 0 ? this.settings.endpoints.join(',') : `AWS S3 (${this.settings.region})`;
  }

  // ---- buckets ------------------------------------------------------------------------------

  /**
   * Creates the bucket if missing and makes sure our lifecycle rules are on it, keeping any
   * rule an operator added (buckets.ts). Idempotent: writes nothing when all is already in place.
   */
  async ensureBucket(bucket: string, rules: LifecycleRuleSpec[], cors?: CorsRuleSpec): Promise<BucketReport> {
    const report = await this.calls.run('ensureBucket', () => prepareBucket(this.client, bucket, rules, cors));
    const expiry = rules.find((r) => r.expireAfterDays !== undefined)?.expireAfterDays;
    if (this.settings.engine === 'seaweedfs' && expiry !== undefined) report.filerTtl = await this.upkeep.ensureFilerTtl(bucket, expiry);
    return report;
  }

  /** Throws unless every bucket is reachable with our credentials. */
  async checkBuckets(buckets: string[]): Promise<void> {
    await this.calls.run('checkBuckets', () =>
      Promise.all(buckets.map((bucket) => this.client.send(new HeadBucketCommand({ Bucket: bucket })))),
    );
  }

  // ---- objects ------------------------------------------------------------------------------

  async get(bucket: string, key: string, conditions: ReadConditions = {}): Promise<StoredObject> {
    return this.calls.run(conditions.operation ?? 'getObject', async () => {
      const answer = await this.http.send({
        method: 'GET',
        bucket,
        key,
        recentlyWritten: this.recentWrites.has(bucket, key),
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
        info = await this.records.settle(bucket, key, info);
      } catch (error) {
        // Let go of unread: undici then reports the abort on the body, which nobody reads.
        answer.body.on('error', () => undefined).destroy();
        throw error;
      }
      return { body: answer.body, ...info, contentRange: headerOf(answer.headers, 'content-range') };
    });
  }

  async head(bucket: string, key: string, principal?: Principal): Promise<ObjectInfo> {
    return this.calls.run('headObject', async () => {
      const answer = await this.http.send({ method: 'HEAD', bucket, key, principal, recentlyWritten: this.recentWrites.has(bucket, key) });
      await answer.body.dump();
      return this.records.settle(bucket, key, objectInfo(answer.headers));
    });
  }

  /** An object is about to be written at this key. */
  private wrote(bucket: string, key: string): void {
    this.collisions.forget(bucket, key);
    this.recentWrites.add(bucket, key);
  }

  /**
   * Streams `body` to the object. A body of declared length up to 5 GiB goes in one PUT with
   * no buffering; otherwise in parts, at most two in memory. If `body` fails before its end (a
   * client that disconnects or stalls), nothing is stored and a multipart upload already begun
   * is aborted: no half-written object, no orphaned parts.
   */
  async put(bucket: string, key: string, body: Readable, options: StreamOptions): Promise<Written> {
    const { contentLength } = options;
    this.wrote(bucket, key);
    if (contentLength !== undefined && contentLength <= SINGLE_PUT_LIMIT) {
      const conditional = options.exclusive === true || options.ifMatch !== undefined;
      return this.calls.run(
        options.operation ?? 'putObject',
        () => putWhole(this.http, bucket, key, body, { ...options, contentLength }),
        conditional,
      );
    }
    if (options.ifMatch !== undefined) throw new Error('ifMatch is for single PUTs of a declared length');
    return this.streamed.put(bucket, key, body, options);
  }

  /** Server-side, from any bucket the gateway reads (serverCopies.ts). */
  copy(source: { bucket: string; key: string }, target: { bucket: string; key: string }, options: CopyOptions): Promise<Written> {
    return this.serverCopies.copy(source, target, options);
  }

  async delete(bucket: string, key: string, principal?: Principal): Promise<void> {
    await this.calls.run('deleteObject', async () => {
      const answer = await this.http.send({ method: 'DELETE', bucket, key, principal });
      await answer.body.dump();
    });
  }

  /**
   * Keys under `prefix` in key order, starting after `startAfter`. With a delimiter, keys that
   * go on past it are rolled up into common prefixes (one entry each, counted in maxKeys).
   */
  async list(
    bucket: string,
    prefix: string,
    startAfter: string | undefined,
    maxKeys: number,
    delimiter?: string,
    principal?: Principal,
  ): Promise<ListPage> {
    return this.calls.run('listObjects', async () => {
      const command = new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        StartAfter: startAfter,
        MaxKeys: maxKeys,
        Delimiter: delimiter,
      });
      const answer = await this.shares.storeCalls.run(principal, () => this.client.send(command));
      const objects = (answer.Contents ?? []).flatMap((object) =>
        object.Key ? [{ key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) }] : [],
      );
      return {
        keys: objects.map((object) => object.key),
        objects,
        prefixes: (answer.CommonPrefixes ?? []).flatMap((common) => (common.Prefix ? [common.Prefix] : [])),
        truncated: answer.IsTruncated === true,
      };
    });
  }

  /** Whether the key would collide with another object as a file and a folder (collisions.ts). */
  async collidingKey(bucket: string, key: string, floor: string, principal?: Principal): Promise<string | undefined> {
    return this.calls.run('checkCollision', () => this.collisions.find(bucket, key, floor, principal));
  }

  // ---- multipart upload sessions (multipartSessions.ts) ----------------------------------------

  createMultipart(bucket: string, key: string, options: WriteOptions): Promise<string> {
    return this.sessions.createMultipart(bucket, key, options);
  }

  listUploads(bucket: string, key: string, principal?: Principal): Promise<OpenUpload[]> {
    return this.sessions.listUploads(bucket, key, principal);
  }

  listParts(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<UploadedPart[]> {
    return this.sessions.listParts(bucket, key, uploadId, principal);
  }

  latestPartsToComplete(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<UploadedPart[]> {
    return this.sessions.latestPartsToComplete(bucket, key, uploadId, principal);
  }

  completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    options?: { exclusive?: boolean; principal?: Principal },
  ) {
    return this.sessions.completeMultipart(bucket, key, uploadId, parts, options);
  }

  abortMultipart(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<void> {
    return this.sessions.abortMultipart(bucket, key, uploadId, principal);
  }

  // ---- presigned URLs: what each binds is urlBindings.ts's table, signed by urlSigner.ts ------

  /** A URL a plain HTTP PUT can store the object with, no further authentication. */
  async presignPut(bucket: string, key: string, options: UploadUrlOptions): Promise<string> {
    const signer = this.requireSigner();
    if (URL_BINDINGS.object[this.settings.engine].metadata === 'record') await this.records.record(bucket, key, options);
    return signer.issue('object', bucket, key, options);
  }

  async presignPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    expiresIn: number,
    contentLength?: number,
  ): Promise<string> {
    return this.requireSigner().issue('part', bucket, key, { expiresIn, uploadId, partNumber, contentLength });
  }

  /**
   * A download URL; `attachment` makes browsers save the object rather than render it, and
   * `contentType` pins the type the answer declares, whatever is stored by the time it is used.
   */
  async presignGet(bucket: string, key: string, options: DownloadUrlOptions): Promise<string> {
    return this.requireSigner().issue('download', bucket, key, options);
  }

  /**
   * A session of the gateway's identity narrowed to `grants`, from the store's STS. It takes a
   * turn in the caller's share of store calls: a caller asking for new credentials over and
   * over (another lifetime each time) queues behind its own calls, not everyone's, and never
   * crowds out the STS sessions that sign URLs.
   */
  async issueCredentials(
    grants: readonly ScopedGrant[],
    seconds: number,
    sessionName: string,
    principal?: Principal,
  ): Promise<IssuedCredentials> {
    if (!this.credentials) throw new StoreUnavailable('This gateway issues no S3 credentials: it has no STS sessions');
    const credentials = this.credentials;
    const issued = await this.calls.run('assumeRole', () =>
      this.shares.storeCalls.run(principal, async () => {
        try {
          return await credentials.issueScoped(grants, seconds, sessionName);
        } catch (error) {
          throw refusedCredentials(error, this.settings.engine);
        }
      }),
    );
    return { ...issued, endpoint: this.publicEndpoint(), region: this.settings.region };
  }

  private requireSigner(): UrlSigner {
    if (!this.signer) throw new StoreUnavailable('This gateway issues no signed URLs: it has no URL-signing credentials');
    return this.signer;
  }

  // ---- health (StoreHealth) ---------------------------------------------------------------------

  /** Store calls under way for longer than `olderThanMs`, oldest first: what a request waits on. */
  callsUnderWay(olderThanMs: number): { operation: string; seconds: number }[] {
    return this.calls.underWayFor(olderThanMs);
  }

  /** What an operator should know beside the endpoints' health: the store said it is full lately. */
  warnings(): string[] {
    return this.calls.warnings();
  }
}

/**
 * Why the STS would not give a caller scoped credentials: an engine that answers but cannot
 * (no AssumeRole, or no session policies) is a 501 saying so; anything else the store being
 * unavailable, retried by the caller.
 */
function refusedCredentials(error: unknown, engine: S3Settings['engine']): Error {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    return new NotSupported(
      `This store (${engine}) would not issue credentials narrowed to your namespace (${(error as Error).name}): ` +
        'use the Storage API or upload and download URLs instead',
    );
  }
  return new StoreUnavailable(
    'S3 credentials cannot be issued right now: the store did not answer; try again shortly',
    (error as Error).message,
  );
}
