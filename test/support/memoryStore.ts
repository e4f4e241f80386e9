/**
 * The store interface (src/store/types.ts) in memory, for testing the storage service in
 * milliseconds: objects, listing, collisions, upload sessions and URLs behave as the S3 store
 * promises, with the same domain errors. Not a model of S3's every corner: the integration
 * tests hold the real store to the interface. Records every call, so tests can say what the
 * service asked of the store (and what it never sent).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Conflict, NotFound, NotModified } from '../../src/errors';
import type {
  BucketReport,
  CopyOptions,
  DownloadUrlOptions,
  IssuedCredentials,
  LifecycleRuleSpec,
  ListPage,
  ObjectInfo,
  OpenUpload,
  ReadConditions,
  ScopedGrant,
  Store,
  StoredObject,
  StreamOptions,
  UploadedPart,
  UploadUrlOptions,
  WriteOptions,
  Written,
} from '../../src/store/types';
import { parentPaths } from '../../src/protocol/namespace';

interface MemoryObject extends ObjectInfo {
  data: Buffer;
}

interface MemoryUpload {
  bucket: string;
  key: string;
  options: WriteOptions;
  initiated: Date;
  parts: Map<number, { etag: string; data: Buffer }>;
}

const NO_OBJECT = 'No object at that key';
const NO_UPLOAD = 'No such upload session: it was completed, aborted or has expired';

export class MemoryStore implements Store {
  /** The grants each issueCredentials call was asked for, in order. */
  readonly issuedGrants: (readonly ScopedGrant[])[] = [];

  readonly buckets = new Map<string, Map<string, MemoryObject>>();
  readonly uploads = new Map<string, MemoryUpload>();
  /** Every call, as `method bucket/key` (or `method bucket`). */
  readonly calls: string[] = [];
  // Distinct, increasing dates near now: orderings are testable, ages real.
  private clock = Date.now();

  async ensureBucket(bucket: string, rules: LifecycleRuleSpec[]): Promise<BucketReport> {
    this.calls.push(`ensureBucket ${bucket}`);
    const created = !this.buckets.has(bucket);
    if (created) this.buckets.set(bucket, new Map());
    return { bucket, created, rulesWritten: created ? rules.map((rule) => rule.id) : [], rulesUnsupported: [] };
  }

  async checkBuckets(buckets: string[]): Promise<void> {
    this.calls.push(`checkBuckets ${buckets.join(',')}`);
    for (const bucket of buckets) this.objects(bucket);
  }

  warnings(): string[] {
    return [];
  }

  callsUnderWay(): { operation: string; seconds: number }[] {
    return [];
  }

  async get(bucket: string, key: string, conditions: ReadConditions = {}): Promise<StoredObject> {
    this.calls.push(`get ${bucket}/${key}`);
    const { data, ...info } = this.object(bucket, key);
    if (conditions.ifNoneMatch !== undefined && conditions.ifNoneMatch === info.etag) throw new NotModified();
    const range = /^bytes=(\d+)-(\d*)$/.exec(conditions.range ?? '');
    if (!range) return { ...info, body: Readable.from([data]), contentRange: undefined };
    const start = Number(range[1]);
    const end = Math.min(data.length - 1, range[2] ? Number(range[2]) : data.length - 1);
    const slice = data.subarray(start, end + 1);
    return { ...info, contentLength: slice.length, body: Readable.from([slice]), contentRange: `bytes ${start}-${end}/${data.length}` };
  }

  async head(bucket: string, key: string): Promise<ObjectInfo> {
    this.calls.push(`head ${bucket}/${key}`);
    const { contentType, contentLength, etag, lastModified, metadata } = this.object(bucket, key);
    return { contentType, contentLength, etag, lastModified, metadata };
  }

  async put(bucket: string, key: string, body: Readable, options: StreamOptions): Promise<Written> {
    this.calls.push(`put ${bucket}/${key}`);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
    return this.store(bucket, key, Buffer.concat(chunks), options);
  }

  async delete(bucket: string, key: string): Promise<void> {
    this.calls.push(`delete ${bucket}/${key}`);
    this.objects(bucket).delete(key);
  }

  async list(bucket: string, prefix: string, startAfter: string | undefined, maxKeys: number, delimiter?: string): Promise<ListPage> {
    this.calls.push(`list ${bucket}/${prefix}`);
    // As S3: keys that go on past the delimiter roll up into one prefix each, in key order.
    const entries = new Map<string, 'key' | 'prefix'>();
    for (const key of [...this.objects(bucket).keys()].sort()) {
      if (!key.startsWith(prefix)) continue;
      const cut = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
      const entry = cut === -1 ? key : key.slice(0, cut + (delimiter?.length ?? 0));
      if (startAfter === undefined || entry > startAfter) entries.set(entry, cut === -1 ? 'key' : 'prefix');
    }
    const page = [...entries].slice(0, maxKeys);
    const keys = page.filter(([, kind]) => kind === 'key').map(([entry]) => entry);
    return {
      keys,
      objects: keys.map((key) => {
        const { contentLength, lastModified } = this.object(bucket, key);
        return { key, size: contentLength, lastModified };
      }),
      prefixes: page.filter(([, kind]) => kind === 'prefix').map(([entry]) => entry),
      truncated: entries.size > maxKeys,
    };
  }

  async copy(source: { bucket: string; key: string }, target: { bucket: string; key: string }, options: CopyOptions) {
    this.calls.push(`copy ${source.bucket}/${source.key} ${target.bucket}/${target.key}`);
    const from = this.object(source.bucket, source.key);
    const { contentTypeFor, inspect, ...written } = options;
    await inspect?.({
      contentType: from.contentType,
      contentLength: from.contentLength,
      etag: from.etag,
      lastModified: from.lastModified,
      metadata: from.metadata,
    });
    return this.store(target.bucket, target.key, from.data, { ...written, contentType: contentTypeFor(from.contentType) });
  }

  async collidingKey(bucket: string, key: string, floor: string): Promise<string | undefined> {
    this.calls.push(`collidingKey ${bucket}/${key}`);
    const objects = this.objects(bucket);
    const parent = parentPaths(key, floor).find((path) => objects.has(path));
    if (parent !== undefined) return parent;
    return [...objects.keys()].sort().find((other) => other.startsWith(`${key}/`));
  }

  async createMultipart(bucket: string, key: string, options: WriteOptions): Promise<string> {
    this.calls.push(`createMultipart ${bucket}/${key}`);
    this.objects(bucket);
    const uploadId = randomBytes(12).toString('base64url');
    this.uploads.set(uploadId, { bucket, key, options, initiated: new Date(++this.clock), parts: new Map() });
    return uploadId;
  }

  async listUploads(bucket: string, key: string): Promise<OpenUpload[]> {
    this.calls.push(`listUploads ${bucket}/${key}`);
    return [...this.uploads]
      .filter(([, upload]) => upload.bucket === bucket && upload.key === key)
      .map(([uploadId, upload]) => ({ uploadId, initiated: upload.initiated }));
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    this.calls.push(`listParts ${bucket}/${key} ${uploadId}`);
    return this.partsOf(this.upload(bucket, key, uploadId));
  }

  async latestPartsToComplete(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    return this.partsOf(this.upload(bucket, key, uploadId));
  }

  async completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    options: { exclusive?: boolean } = {},
  ): Promise<Written> {
    this.calls.push(`completeMultipart ${bucket}/${key} ${uploadId}`);
    const upload = this.upload(bucket, key, uploadId);
    const data = Buffer.concat(
      parts.map(({ partNumber, etag }) => {
        const part = upload.parts.get(partNumber);
        if (!part || part.etag !== etag) throw new Conflict(`part ${partNumber} is not as named`);
        return part.data;
      }),
    );
    const written = this.store(bucket, key, data, { ...upload.options, exclusive: options.exclusive });
    this.uploads.delete(uploadId);
    return written;
  }

  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<void> {
    this.calls.push(`abortMultipart ${bucket}/${key} ${uploadId}`);
    this.upload(bucket, key, uploadId);
    this.uploads.delete(uploadId);
  }

  async presignPut(bucket: string, key: string, options: UploadUrlOptions): Promise<string> {
    this.calls.push(`presignPut ${bucket}/${key}`);
    return `memory://${bucket}/${key}?put=${encodeURIComponent(JSON.stringify(options))}`;
  }

  async presignPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    expiresIn: number,
    contentLength?: number,
  ): Promise<string> {
    this.calls.push(`presignPart ${bucket}/${key} ${uploadId} ${partNumber}`);
    const length = contentLength === undefined ? '' : `&length=${contentLength}`;
    return `memory://${bucket}/${key}?uploadId=${uploadId}&partNumber=${partNumber}&expires=${expiresIn}${length}`;
  }

  /** Credentials that say what they were scoped to (no STS here): for the domain's tests. */
  async issueCredentials(grants: readonly ScopedGrant[], seconds: number, sessionName: string): Promise<IssuedCredentials> {
    this.calls.push(`issueCredentials ${sessionName} ${seconds}`);
    this.issuedGrants.push(grants);
    return {
      accessKeyId: `memory-${this.issuedGrants.length}`,
      secretAccessKey: 'memory-secret',
      sessionToken: JSON.stringify(grants),
      expiration: new Date(Date.now() + seconds * 1000),
      endpoint: 'memory://store',
      region: 'memory',
    };
  }

  async presignGet(bucket: string, key: string, options: DownloadUrlOptions): Promise<string> {
    this.calls.push(`presignGet ${bucket}/${key}`);
    return `memory://${bucket}/${key}?get=${encodeURIComponent(JSON.stringify(options))}`;
  }

  /** What an uploader holding a part URL does: stores one part's bytes. */
  uploadPart(uploadId: string, partNumber: number, data: Buffer): string {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new NotFound(NO_UPLOAD);
    const etag = `"${createHash('md5').update(data).digest('hex')}"`;
    upload.parts.set(partNumber, { etag, data });
    return etag;
  }

  private objects(bucket: string): Map<string, MemoryObject> {
    const objects = this.buckets.get(bucket);
    if (!objects) throw new NotFound(`No bucket ${bucket}`);
    return objects;
  }

  private object(bucket: string, key: string): MemoryObject {
    const object = this.objects(bucket).get(key);
    if (!object) throw new NotFound(NO_OBJECT);
    return object;
  }

  private upload(bucket: string, key: string, uploadId: string): MemoryUpload {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) throw new NotFound(NO_UPLOAD);
    return upload;
  }

  private partsOf(upload: MemoryUpload): UploadedPart[] {
    return [...upload.parts]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, part]) => ({ partNumber, size: part.data.length, etag: part.etag }));
  }

  private store(bucket: string, key: string, data: Buffer, options: WriteOptions): Written {
    const objects = this.objects(bucket);
    if (options.exclusive && objects.has(key)) throw new Conflict('An object already exists at that key');
    if (options.ifMatch !== undefined) {
      const current = objects.get(key);
      if (!current) throw new NotFound('No object at that key');
      if (current.etag !== options.ifMatch) throw new Conflict('The object changed');
    }
    const etag = `"${createHash('md5').update(data).digest('hex')}"`;
    objects.set(key, {
      data,
      contentType: options.contentType,
      contentLength: data.length,
      etag,
      lastModified: new Date(++this.clock),
      metadata: { ...options.metadata },
    });
    return { etag, size: data.length };
  }
}
