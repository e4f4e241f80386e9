/**
 * What the storage service needs of an object store, as four small interfaces, and the shapes
 * that cross the seam. The S3 implementation is s3Store.ts; tests also run the service on an
 * in-memory one (test/support/memoryStore.ts); the gateway opens the S3 one through
 * openS3Store.ts, which answers it as an OpenedStore. Nothing here knows S3 or HTTP.
 *
 * Calls made for a caller name its principal (`principal`, a token's subject): the store calls
 * they cause take turns in that principal's share of the store (shares.ts). Omitted, a call is
 * the gateway's own.
 */
import type { Readable } from 'node:stream';
import type { FairPool, Principal } from '../shares';
import type { ScopedGrant } from './credentialPolicy';

export type { ScopedGrant } from './credentialPolicy';

export type { Principal } from '../shares';
import type { BucketReport, CorsRuleSpec, LifecycleRuleSpec } from './buckets';

export type { BucketReport, CorsRuleSpec, LifecycleRuleSpec } from './buckets';

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
  /** The call's name in the store-call metrics, when it is not a caller's read (the gateway's own records). */
  operation?: string;
  range?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: Date | undefined;
}

export interface WriteOptions {
  contentType: string;
  metadata: Record<string, string>;
  /** Only create: refuse (Conflict) if an object is already at the key, atomically in the store. */
  exclusive?: boolean;
  /** Only replace the object with this ETag: refuse (Conflict) if it changed, NotFound if it is gone. Single PUTs only. */
  ifMatch?: string | undefined;
  /** The call's name in the store-call metrics, when it is not a caller's write (the gateway's own records). */
  operation?: string;
  principal?: Principal;
}

export interface CopyOptions extends Omit<WriteOptions, 'contentType'> {
  /** The copy's type, from the source's (which the caller did not choose and may be anything). */
  contentTypeFor: (sourceType: string | undefined) => string;
  /** Told of the source before anything is copied; throwing refuses the copy. */
  inspect?: (source: ObjectInfo) => Promise<void>;
}

export interface StreamOptions extends WriteOptions {
  /** The body's length when the caller declared it; the body is then sent as one PUT. */
  contentLength?: number | undefined;
  /** Aborted when the upload is to stop (the store stopped taking its bytes): nothing is stored. */
  signal?: AbortSignal | undefined;
}

/** What a write stored. */
export interface Written {
  etag: string;
  size: number;
}

export interface UploadedPart {
  partNumber: number;
  size: number;
  etag: string;
}

export interface OpenUpload {
  uploadId: string;
  initiated: Date;
}

/** A listed key with what the listing itself tells of it (no HEAD needed). */
export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ListPage {
  keys: string[];
  /** The same keys, in the same order, with their sizes and dates. */
  objects: ListedObject[];
  /** With a delimiter: the common prefixes, each folder rolled up into one (ending with the delimiter). */
  prefixes: string[];
  truncated: boolean;
}

export interface UploadUrlOptions {
  expiresIn: number;
  metadata: Record<string, string>;
  contentType: string;
  /** Whether the caller named the type (SeaweedFS binds only a named one: urlBindings.ts). */
  contentTypeNamed?: boolean;
  /** Only create: the uploader must send If-None-Match: *. */
  exclusive?: boolean;
  /** The body's length, bound into the signature: a PUT of any other length is refused by the store. */
  contentLength?: number | undefined;
}

export interface DownloadUrlOptions {
  expiresIn: number;
  /** Browsers save the object rather than render it. */
  attachment: boolean;
  /** The type the answer declares, whatever is stored by the time the URL is used. */
  contentType?: string | undefined;
}

/** Reading and writing whole objects. Failures are the errors of src/errors.ts. */
export interface ObjectAccess {
  get(bucket: string, key: string, conditions?: ReadConditions): Promise<StoredObject>;
  head(bucket: string, key: string, principal?: Principal): Promise<ObjectInfo>;
  /** Streams the body to the object; a body that fails before its end stores nothing. */
  put(bucket: string, key: string, body: Readable, options: StreamOptions): Promise<Written>;
  delete(bucket: string, key: string, principal?: Principal): Promise<void>;
  /** Keys under `prefix` in key order, starting after `startAfter`; with a delimiter, folders rolled up into prefixes. */
  list(
    bucket: string,
    prefix: string,
    startAfter: string | undefined,
    maxKeys: number,
    delimiter?: string,
    principal?: Principal,
  ): Promise<ListPage>;
  /** A server-side copy, from any bucket the gateway can read; metadata replaced, type as `contentTypeFor` says. */
  copy(source: { bucket: string; key: string }, target: { bucket: string; key: string }, options: CopyOptions): Promise<Written>;
  /**
   * The key of an object that `key` would collide with as a file and a folder of one name: at
   * one of its parent paths below `floor`, or under it. Undefined when there is none.
   */
  collidingKey(bucket: string, key: string, floor: string, principal?: Principal): Promise<string | undefined>;
}

/** Multipart upload sessions, whose parts callers send straight to the store. */
export interface UploadSessions {
  createMultipart(bucket: string, key: string, options: WriteOptions): Promise<string>;
  /** Unfinished uploads to exactly this key, oldest first: the only proof an id belongs to a key. */
  listUploads(bucket: string, key: string, principal?: Principal): Promise<OpenUpload[]>;
  listParts(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<UploadedPart[]>;
  /** The latest upload of every part, for completing without a list of parts. */
  latestPartsToComplete(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<UploadedPart[]>;
  completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    options?: { exclusive?: boolean; principal?: Principal },
  ): Promise<Written>;
  abortMultipart(bucket: string, key: string, uploadId: string, principal?: Principal): Promise<void>;
}

/** URLs that let their holder do one thing to one object, without a token. */
export interface UrlIssuing {
  presignPut(bucket: string, key: string, options: UploadUrlOptions): Promise<string>;
  /** `contentLength`, when given, is bound into the signature: a part of another length is refused by the store. */
  presignPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    expiresIn: number,
    contentLength?: number,
  ): Promise<string>;
  presignGet(bucket: string, key: string, options: DownloadUrlOptions): Promise<string>;
}

/** Temporary S3 credentials narrowed to some prefixes and rights (credentialPolicy.ts). */
export interface CredentialIssuing {
  /** Throws NotSupported where the store cannot scope credentials. The call takes its turn in `principal`'s share. */
  issueCredentials(grants: readonly ScopedGrant[], seconds: number, sessionName: string, principal?: Principal): Promise<IssuedCredentials>;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  /** The store's public S3 endpoint, and its region. */
  endpoint: string;
  region: string;
}

/** Start-up and readiness: the buckets and their lifecycle rules. */
export interface BucketSetup {
  /** Creates the bucket if missing and keeps our lifecycle rules (and CORS rule, if given) on it; idempotent. */
  ensureBucket(bucket: string, rules: LifecycleRuleSpec[], cors?: CorsRuleSpec): Promise<BucketReport>;
  /** Throws unless every bucket is reachable. */
  checkBuckets(buckets: string[]): Promise<void>;
}

/** What readiness and the request deadline learn from the store. */
export interface StoreHealth {
  /** Conditions an operator should know of beside the endpoints' health (the store is full). */
  warnings(): string[];
  /** Store calls under way for at least `olderThanMs`, oldest first. */
  callsUnderWay(olderThanMs: number): { operation: string; seconds: number }[];
}

/**
 * What the gateway does to the store in the background, beside callers' requests, for what
 * an engine does not do by itself (upkeep.ts schedules it). Each is idempotent: several
 * replicas may do it at once. Each answers how many things it changed.
 */
export interface StoreUpkeep {
  /** Aborts the streamed uploads a gateway that stopped mid-stream left, idle this long. */
  sweepOrphanedStreams(bucket: string, staleAfterMs: number): Promise<number>;
  /** SeaweedFS: gives objects stored through upload URLs the type and metadata they were issued with. */
  sweepUrlUploads(bucket: string): Promise<number>;
  /** Aborts multipart uploads begun longer ago than this (SeaweedFS stores the rule without applying it). */
  abortStaleUploads(bucket: string, olderThanMs: number): Promise<number>;
  /** SeaweedFS: keeps the bucket's expiry as a filer path TTL. */
  ensureFilerTtl(bucket: string, days: number): Promise<'written' | 'present' | 'unconfigured'>;
}

/** Everything the storage service asks of a store. */
export type Store = ObjectAccess & UploadSessions & UrlIssuing & CredentialIssuing & BucketSetup & StoreHealth;

/** Told of every call to the store: how long it took and, if it failed, the error's name. */
export interface StoreObserver {
  observeStoreCall(operation: string, seconds: number, failure: string | undefined): void;
}

/** The fair pools the store's calls for callers take turns in (shares.ts), which the metrics watch. */
export interface StoreCallShares {
  /** Small calls: heads, listings, deletes, multipart bookkeeping. */
  storeCalls: FairPool;
  /** Calls that keep the store busy for long: multipart completions and server-side copies. */
  heavyCalls: FairPool;
}

/** A store opened for the gateway: each side of it by its interface, and what it needs at start and end. */
export interface OpenedStore {
  store: Store;
  upkeep: StoreUpkeep;
  calls: StoreCallShares;
  /** Obtains the URL-signing identities now, so a store that will not grant them is found at start-up. */
  prepareSigning(): Promise<void>;
  /** Where the gateway reaches the store, for start-up messages (no credentials in it). */
  describe(): string;
  /** Closes what opening the store opened: clients, signing sessions, endpoints not handed in. */
  close(): Promise<void>;
}
