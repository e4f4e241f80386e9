/**
 * The Storage API's domain: the calls into the object store for each operation, after the
 * checks every call makes (access.ts: the policy table, the key, the namespace). Multipart
 * sessions are `uploads` (uploadSessions.ts), the buckets' set-up `buckets` (provisioning.ts),
 * names claimed once `oneTimeNames` (oneTimeNames.ts). Routes call this; this calls the store;
 * nothing here knows HTTP.
 */
import type { Readable } from 'node:stream';
import type { ListedObject, ListPage, ObjectInfo, ReadConditions, Store, StoredObject, Written } from '../store/types';
import { BadRequest, Forbidden } from '../errors';
import type { StorageLimits } from '../config';
import type { Logger } from '../log';
import { checkAllowedType, checkSize, declaredSize, matchesMediaType } from './limits';
import { MeteredBody } from './meteredBody';
import { UploadWatch } from './uploadWatch';
import { S3CredentialsIssuer } from './s3Credentials';
import { Usage, type TypeLimits } from './usage';
import type { AnswerOf } from '../protocol/answers';
import { BucketProvisioning } from './provisioning';
import { OneTimeNames } from './oneTimeNames';
import { checkContentType, DEFAULT_CONTENT_TYPE, safeContentType } from './contentTypes';
import { validatePrefix, validateSourceKey } from './keys';
import { objectKey } from '../protocol/namespace';
import { checkDelimiter, decodeCursor, encodeCursor, LIST_DELIMITER } from './paging';
import { Access, ownerMetadata, type Caller } from './access';
import { UploadSessions } from './uploadSessions';
import { allowsAny, POLICY } from './policy';
import { OPERATIONS } from '../protocol/storageTypes';
import { STORAGE_TYPES, type StorageType } from './types';

export type { Caller } from './access';

export interface StorageSettings {
  bucketPrefix: string;
  listPageSize: number;
  signedUrlTtlSeconds: number;
  signedUrlMaxTtlSeconds: number;
  copySourceBuckets: readonly string[];
  /** Types signed download URLs let a browser show in place; `type/*` allowed. */
  inlineContentTypes: readonly string[];
  /** Open multipart sessions allowed on one key, and in one namespace of one storage type. */
  maxUploadSessions: { perKey: number; perCaller: number };
  /** Quotas, largest objects and media types per storage type; none when absent. */
  limits?: StorageLimits;
  /** The longest life of callers' S3 credentials (3600 when absent). */
  credentialsMaxTtlSeconds?: number;
  /** Multipart sessions left open this long are aborted: their holds last as long (24 when absent). */
  multipartAbandonHours?: number;
}

const NO_LIMITS: StorageLimits = { quotaBytes: {}, maxUploadBytes: {}, contentTypes: {}, holdSeconds: 120 };

/** An upload URL's hold outlasts the URL by this, so its watch ends it first (uploadWatch.ts). */
const URL_HOLD_MARGIN_MS = 60_000;

/** What a caller may ask of a presigned URL. */
export interface UrlOptions {
  expiresIn?: number | undefined;
  /** Uploads only: the body's length, bound into the URL; required on types with a quota or a largest object. */
  size?: number | undefined;
  /** Uploads only: the Content-Type the uploader must send (and that is stored). */
  contentType?: string | undefined;
}

export interface ListResult {
  keys: string[];
  /** The same keys with their sizes and dates, as the store's listing tells them. */
  objects: ListedObject[];
  /** Listings with a delimiter only: the folders, each ending with it. */
  prefixes?: string[];
  /** Present when more keys remain: the X-NEXT token for the next page. */
  next: string | undefined;
}

export class StorageService {
  private readonly access: Access;
  /** Multipart upload sessions (extension). */
  readonly uploads: UploadSessions;
  /** The buckets and their rules, prepared at start and checked for readiness. */
  readonly buckets: BucketProvisioning;
  /** Names claimed once across every process (sign-in tickets). */
  readonly oneTimeNames: OneTimeNames;
  /** Usage and quotas per namespace (usage.ts). */
  readonly usage: Usage;
  /** Temporary S3 credentials scoped to a caller's namespace (s3Credentials.ts). */
  readonly s3Credentials: S3CredentialsIssuer;
  /** Keys upload URLs were issued for, watched so their uploads are counted. */
  private readonly urlUploads: UploadWatch;

  constructor(
    private readonly store: Store,
    private readonly settings: StorageSettings,
    log?: Logger,
  ) {
    this.access = new Access(store, settings.bucketPrefix);
    this.usage = new Usage(store, this.access.bucketFor('data'), (type) => this.bucketFor(type), settings.limits ?? NO_LIMITS, log);
    this.urlUploads = new UploadWatch(store, this.usage);
    this.s3Credentials = new S3CredentialsIssuer(store, this.access, this.usage, settings.credentialsMaxTtlSeconds ?? 3600);
    this.uploads = new UploadSessions(store, this.access, this.usage, settings);
    this.buckets = new BucketProvisioning(store, (type) => this.bucketFor(type));
    this.oneTimeNames = new OneTimeNames(store, this.bucketFor('tmp'));
  }

  bucketFor(type: StorageType): string {
    return this.access.bucketFor(type);
  }

  /** Writes usage not written yet and stops watching upload URLs (at shutdown). */
  async close(): Promise<void> {
    this.urlUploads.stop();
    await this.usage.close();
  }

  /** What a token whose roles hold storage:admin may do on any namespace's usage; others are refused. */
  administer(caller: Caller): Pick<Usage, 'usage' | 'setQuotas' | 'recount'> {
    if (!caller.admin)
      throw new Forbidden("Only tokens whose roles hold storage:admin may see or change other namespaces' usage and quotas");
    return this.usage;
  }

  /** The caller's namespace's usage, per storage type, with its quotas and largest objects. */
  usageOf(caller: Caller): Promise<AnswerOf<'usage'>> {
    return this.usage.usage(caller.namespace);
  }

  /** What /readyz says beside being ready (the store is full). */
  storeWarnings(): string[] {
    return this.store.warnings();
  }

  /** What a request past its deadline was waiting on. */
  storeCallsUnderWay(olderThanMs: number): { operation: string; seconds: number }[] {
    return this.store.callsUnderWay(olderThanMs);
  }

  /**
   * What the caller may do on each storage type, read from the policy table, so a client (the
   * storage browser) offers only that; `note` is what the type's rules say to a refusal.
   */
  capabilities(caller: Caller): AnswerOf<'capabilities'> {
    return {
      subject: caller.subject,
      namespace: caller.namespace,
      signedUrlMaxTtlSeconds: this.settings.signedUrlMaxTtlSeconds,
      types: Object.fromEntries(
        STORAGE_TYPES.map((type) => [
          type,
          { operations: OPERATIONS.filter((operation) => allowsAny(type, caller.actors, operation)), note: POLICY[type].refusal },
        ]),
      ) as AnswerOf<'capabilities'>['types'],
    };
  }

  /** The object, its type as served: one that fails the content-type rule is served as octet-stream. */
  async get(caller: Caller, type: StorageType, key: string, conditions: ReadConditions): Promise<StoredObject> {
    const ref = this.access.resolve(caller, type, 'read', key);
    const object = await this.store.get(ref.bucket, ref.target, conditions);
    object.contentType = safeContentType(object.contentType);
    return object;
  }

  async head(caller: Caller, type: StorageType, key: string): Promise<ObjectInfo> {
    const ref = this.access.resolve(caller, type, 'exists', key);
    const info = await this.store.head(ref.bucket, ref.target, caller.subject);
    return { ...info, contentType: safeContentType(info.contentType) };
  }

  async put(
    caller: Caller,
    type: StorageType,
    key: string,
    body: Readable,
    contentType: string,
    contentLength: number | undefined,
    signal?: AbortSignal,
  ) {
    const ref = this.access.resolve(caller, type, 'write', key);
    // Every input is checked before the store is asked anything, and before a byte of the
    // body is read: a body too large or over quota with a declared length is refused at once.
    const checkedType = checkContentType(contentType);
    const limits = await this.usage.limitsOf(caller.namespace, type);
    checkAllowedType(limits, type, checkedType);
    if (contentLength !== undefined) checkSize(limits, type, contentLength);
    const prev = await this.access.beforeWrite(caller, ref);
    const holds: string[] = [];
    if (contentLength !== undefined && limits.quotaBytes !== undefined) {
      holds.push((await this.usage.hold(caller.namespace, type, { bytes: contentLength, key: ref.target, prev })).id);
    }
    const metered = contentLength === undefined && (limits.quotaBytes !== undefined || limits.maxUploadBytes !== undefined);
    const sent = metered ? this.meter(caller, type, ref.target, prev, limits, body) : undefined;
    try {
      const written = await this.store.put(ref.bucket, ref.target, sent ?? body, {
        contentType: checkedType,
        contentLength,
        metadata: ownerMetadata(caller),
        exclusive: POLICY[type].createOnly,
        principal: caller.subject,
        signal,
      });
      this.counted(caller, type, ref.bucket, ref.target, prev, written, [...holds, ...(sent?.holds ?? [])]);
      return written;
    } catch (error) {
      this.usage.release(caller.namespace, [...holds, ...(sent?.holds ?? [])]);
      // The body was cut for passing a limit: that, not what the store made of it, is the answer.
      throw sent?.refusal ?? error;
    }
  }

  /** A body of unknown length, counted as it passes and cut at the type's largest object or quota. */
  private meter(caller: Caller, type: StorageType, target: string, prev: ObjectInfo | undefined, limits: TypeLimits, body: Readable) {
    const metered = new MeteredBody({
      checkSize: (seen) => checkSize(limits, type, seen),
      ...(limits.quotaBytes !== undefined && {
        grow: (bytes: number, partial: boolean) => this.usage.hold(caller.namespace, type, { bytes, key: target, prev, partial }),
      }),
    });
    body.pipe(metered);
    // Cut: the caller's stream is let go of, so the HTTP layer can answer and read the rest.
    metered.once('error', () => body.unpipe(metered));
    return metered;
  }

  /**
   * A write stored `written` at the key where `prev` was: usage counts the difference, and a
   * watch on the key (an upload URL issued for it) takes this as the state to compare with,
   * so it does not count the same object again as a URL upload.
   */
  private counted(
    caller: Caller,
    type: StorageType,
    bucket: string,
    target: string,
    prev: ObjectInfo | undefined,
    written: Written,
    holds: string[],
  ): void {
    this.usage.settle(caller.namespace, type, { bytes: written.size - (prev?.contentLength ?? 0), objects: prev ? 0 : 1 }, holds);
    this.urlUploads.wrote(bucket, target, { etag: written.etag, contentLength: written.size });
  }

  async delete(caller: Caller, type: StorageType, key: string): Promise<void> {
    const ref = this.access.resolve(caller, type, 'delete', key);
    const prev = await this.access.headIfStored(caller, ref);
    await this.store.delete(ref.bucket, ref.target, caller.subject);
    if (prev) this.usage.settle(caller.namespace, type, { bytes: -prev.contentLength, objects: -1 });
    this.urlUploads.wrote(ref.bucket, ref.target, undefined);
  }

  /**
   * One page of the caller's keys under `prefix`, namespace stripped, in key order. A
   * continuation token carries its own prefix and delimiter; a request naming others is
   * refused rather than silently listing the wrong thing. With the delimiter `/`, keys below
   * the next `/` after the prefix are folded into folders (`prefixes`, each ending with `/`).
   */
  async list(
    caller: Caller,
    type: StorageType,
    prefix: string | undefined,
    token: string | undefined,
    delimiter?: string | undefined,
  ): Promise<ListResult> {
    this.access.authorize(caller, type, 'list');
    const asked = checkDelimiter(delimiter);
    const cursor = token === undefined ? undefined : decodeCursor(token);
    if (cursor && prefix !== undefined && prefix !== cursor.prefix) {
      throw new BadRequest('The X-NEXT token belongs to a listing with another prefix');
    }
    if (cursor && asked !== undefined && asked !== cursor.delimiter) {
      throw new BadRequest('The X-NEXT token belongs to a listing without a delimiter');
    }
    const listed = validatePrefix(cursor?.prefix ?? prefix ?? '');
    const base = objectKey(caller.namespace, '');
    const startAfter = cursor ? base + cursor.after : undefined;
    const folding = cursor ? cursor.delimiter : asked;
    if (folding === undefined) {
      const page = await this.store.list(
        this.bucketFor(type),
        base + listed,
        startAfter,
        this.settings.listPageSize,
        undefined,
        caller.subject,
      );
      const keys = page.keys.map((k) => k.slice(base.length));
      const last = keys.at(-1);
      return {
        keys,
        objects: objectsWithin(page, keys, base),
        next: page.truncated && last !== undefined ? encodeCursor({ prefix: listed, after: last }) : undefined,
      };
    }
    return this.listFolded(caller, type, base, listed, folding, startAfter);
  }

  /**
   * A page of keys and folders together, in key order as S3 returns them. After a folder, an
   * engine may name that folder again (S3 skips what it rolled up; not every engine does): it
   * is dropped, and one more entry is asked for so the page stays full and always moves on.
   */
  private async listFolded(
    caller: Caller,
    type: StorageType,
    base: string,
    listed: string,
    delimiter: string,
    startAfter: string | undefined,
  ) {
    const pageSize = this.settings.listPageSize;
    const afterFolder = startAfter?.endsWith(delimiter) === true;
    const maxKeys = pageSize + (afterFolder ? 1 : 0);
    const page = await this.store.list(this.bucketFor(type), base + listed, startAfter, maxKeys, delimiter, caller.subject);
    const after = startAfter === undefined ? undefined : Buffer.from(startAfter, 'utf8');
    const entries = [...page.keys.map((name) => ({ name, folder: false })), ...page.prefixes.map((name) => ({ name, folder: true }))]
      .map((entry) => ({ ...entry, bytes: Buffer.from(entry.name, 'utf8') }))
      // S3 orders by UTF-8 bytes, which JavaScript's string order is not for every character.
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
      .filter((entry) => after === undefined || Buffer.compare(entry.bytes, after) > 0);
    const shown = entries.slice(0, pageSize);
    const truncated = page.truncated || entries.length > pageSize;
    const last = shown.at(-1)?.name.slice(base.length);
    const keys = shown.filter((e) => !e.folder).map((e) => e.name.slice(base.length));
    return {
      keys,
      objects: objectsWithin(page, keys, base),
      prefixes: shown.filter((e) => e.folder).map((e) => e.name.slice(base.length)),
      next: truncated && last !== undefined ? encodeCursor({ prefix: listed, after: last, delimiter: LIST_DELIMITER }) : undefined,
    };
  }

  /**
   * A URL for one PUT of this key. It always binds a Content-Type (by default
   * application/octet-stream); on a create-only type the uploader must send If-None-Match: *,
   * and a key already taken is refused now rather than at upload time.
   */
  async uploadUrl(caller: Caller, type: StorageType, key: string, options: UrlOptions = {}): Promise<string> {
    const ref = this.access.resolve(caller, type, 'signUpload', key);
    const expiresIn = this.urlLifetime(options.expiresIn);
    const contentType = checkContentType(options.contentType ?? DEFAULT_CONTENT_TYPE);
    const limits = await this.usage.limitsOf(caller.namespace, type);
    checkAllowedType(limits, type, contentType);
    const size = declaredSize(limits, type, options.size);
    const prev = await this.access.beforeWrite(caller, ref);
    const exclusive = POLICY[type].createOnly === true;
    if (exclusive) this.access.refuseStored(prev);
    const until = Date.now() + expiresIn * 1000;
    const hold =
      size !== undefined && limits.quotaBytes !== undefined
        ? (await this.usage.hold(caller.namespace, type, { bytes: size, key: ref.target, prev, until: until + URL_HOLD_MARGIN_MS })).id
        : undefined;
    try {
      const url = await this.store.presignPut(ref.bucket, ref.target, {
        expiresIn,
        metadata: ownerMetadata(caller),
        contentType,
        // A type that stores only some media types binds the one named, on every engine.
        contentTypeNamed: options.contentType !== undefined || limits.contentTypes !== undefined,
        exclusive,
        contentLength: size,
      });
      this.urlUploads.watch({ namespace: caller.namespace, type, bucket: ref.bucket, key: ref.target, seen: prev, until, hold });
      return url;
    } catch (error) {
      if (hold !== undefined) this.usage.release(caller.namespace, [hold]);
      throw error;
    }
  }

  /**
   * A URL for one GET of this key. Types a browser could run as a page or script are sent as
   * attachments, so a stored HTML or SVG file cannot act on the store's origin. A type shown in
   * place is pinned into the URL: replacing the object later (say, through an upload URL on an
   * engine that cannot bind its type) cannot make this URL serve a page.
   */
  async downloadUrl(caller: Caller, type: StorageType, key: string, options: UrlOptions = {}): Promise<string> {
    const ref = this.access.resolve(caller, type, 'signDownload', key);
    const expiresIn = this.urlLifetime(options.expiresIn);
    // A URL for a key not (yet) there is still issued, as before, as an attachment.
    const stored = await this.access.headIfStored(caller, ref);
    const inline = stored !== undefined && this.showsInline(stored.contentType);
    return this.store.presignGet(ref.bucket, ref.target, {
      expiresIn,
      attachment: !inline,
      contentType: inline ? stored.contentType : undefined,
    });
  }

  /**
   * Whether a browser may render this type in place (the operator's INLINE_CONTENT_TYPES).
   * Only a type that fits the content-type rule can: `video/mp4, text/html` is not a video.
   */
  showsInline(contentType: string): boolean {
    return matchesMediaType(contentType, this.settings.inlineContentTypes);
  }

  /**
   * Server-side copy from an allowed bucket outside the gateway into the caller's namespace.
   * `userNamespace` is the path's {user_ns}: it must be the namespace the caller acts for.
   */
  async copyFrom(caller: Caller, userNamespace: string, source: { bucket: string; key: string }, type: StorageType, key: string) {
    if (userNamespace !== caller.namespace) throw new Forbidden('You may only copy into your own namespace');
    if (!this.settings.copySourceBuckets.includes(source.bucket)) {
      throw new Forbidden(`Copying from bucket '${source.bucket}' is not allowed`);
    }
    validateSourceKey(source.key);
    const ref = this.access.resolve(caller, type, 'write', key);
    const limits = await this.usage.limitsOf(caller.namespace, type);
    const prev = await this.access.beforeWrite(caller, ref);
    const holds: string[] = [];
    // The source's size and type are known only once the store has looked at it.
    const inspect = async (found: ObjectInfo) => {
      checkAllowedType(limits, type, safeContentType(found.contentType));
      checkSize(limits, type, found.contentLength);
      if (limits.quotaBytes !== undefined) {
        holds.push((await this.usage.hold(caller.namespace, type, { bytes: found.contentLength, key: ref.target, prev })).id);
      }
    };
    try {
      const copied = await this.store.copy(
        source,
        { bucket: ref.bucket, key: ref.target },
        {
          metadata: ownerMetadata(caller),
          exclusive: POLICY[type].createOnly,
          contentTypeFor: safeContentType,
          principal: caller.subject,
          inspect,
        },
      );
      this.counted(caller, type, ref.bucket, ref.target, prev, copied, holds);
      return { key, ...copied };
    } catch (error) {
      this.usage.release(caller.namespace, holds);
      throw error;
    }
  }

  private urlLifetime(requested: number | undefined): number {
    if (requested === undefined) return this.settings.signedUrlTtlSeconds;
    const max = this.settings.signedUrlMaxTtlSeconds;
    if (!Number.isInteger(requested) || requested < 1 || requested > max) {
      throw new BadRequest(`expires_in must be a whole number of seconds from 1 to ${max}`);
    }
    return requested;
  }
}

/**
 * The sizes and dates of the keys shown (namespace stripped), from the store's page: only keys
 * the page itself listed under the caller's own namespace, so nothing of another is told.
 */
function objectsWithin(page: ListPage, keys: readonly string[], base: string): ListedObject[] {
  const listed = new Map(page.objects.map((object) => [object.key, object]));
  return keys.flatMap((key) => {
    const object = listed.get(base + key);
    return object ? [{ ...object, key }] : [];
  });
}
