/**
 * What each kind of presigned URL binds, on each engine: one table (URL_BINDINGS), which the
 * signer (urlSigner.ts) reads. The signature binds the method, the bucket, the key and every
 * query parameter; the table says which headers it binds besides, and how:
 *   - to a value: the holder must send exactly it;
 *   - empty: the holder cannot set it (it must be empty, or missing where the engine reads the
 *     empty value from the query);
 *   - absent: sending it at all breaks the signature.
 * Clients read what a URL requires back from the URL itself (src/protocol/uploadUrls.ts,
 * requiredUploadHeaders: `If-None-Match: *` when it is signed), so a binding added here that
 * an uploader must send is to be taught there too.
 *
 * Upload URLs bind the headers that decide how a browser treats the object: Content-Type (the
 * uploader must send exactly it) and, on MinIO, an empty Content-Disposition and
 * Content-Encoding, so a holder cannot store an object that a download renders as a page.
 * (Cache-Control is left free: fetch and browsers add it themselves to conditional requests.)
 * MinIO reads a signed header's value from the query when the request lacks the header, so
 * each bound value is repeated in the (signed) query and a bare `curl -T` still works.
 *
 * SeaweedFS takes nothing from the query (neither a header's value nor x-amz-meta-*), and
 * leaves a signed header that the request lacks out of the signature it checks. So there a
 * header is bound *absent* by naming it in X-Amz-SignedHeaders while signing as if the request
 * lacked it: sending it at all breaks the signature. Content-Disposition, Content-Encoding and
 * x-amz-tagging are bound absent. Content-Type is bound to its value when the caller named a
 * type; a URL issued without one leaves it free, because one URL must serve both a bare
 * `curl -T` (no Content-Type) and the Python client (application/octet-stream), and SeaweedFS
 * cannot accept both and refuse the rest. The gateway then settles such an upload's type and
 * metadata itself (urlUploadRecords.ts), and download URLs pin the type they serve.
 */
import type { StoreEngine } from '../config';
import type { UrlPurpose } from './signingCredentials';

/** A PUT of a whole object, a PUT of one part of a multipart upload, a GET of an object. */
export type UrlKind = 'object' | 'part' | 'download';

/** What a URL is issued with: the values and choices its bindings draw on. */
export interface UrlFacts {
  /** An upload's: the type the object stores. A download's: the type the answer declares. */
  contentType?: string | undefined;
  /** Whether the caller named the type (rather than taking the gateway's default). */
  contentTypeNamed?: boolean | undefined;
  /** Only create: the upload must not replace an object already at the key. */
  exclusive?: boolean | undefined;
  /** Browsers save the download rather than render it. */
  attachment?: boolean | undefined;
  uploadId?: string;
  partNumber?: number;
  /** The body's length, when the caller declared it (a type with limits requires it). */
  contentLength?: number | undefined;
  /** x-amz-meta-* values the object is to store. */
  metadata?: Record<string, string>;
}

type Fact = 'contentType' | 'uploadId' | 'partNumber' | 'contentLength';
type Choice = 'exclusive' | 'contentTypeNamed' | 'attachment';

/** A bound value: one of the facts, or a fixed text. With `when`, bound only if that choice was made. */
type Bound = ({ fact: Fact } | { text: string }) & {
  when?: Choice;
  /** Repeated in the signed query, so a request without the header still matches (MinIO). */
  inQuery?: true;
};

export interface UrlBinding {
  method: 'GET' | 'PUT';
  /** The identity that signs (signingCredentials.ts): its session policy allows this one action. */
  signedAs: UrlPurpose;
  /** Headers bound to a value. */
  headers: Record<string, Bound>;
  /** Headers bound empty, each repeated empty in the signed query: MinIO takes it from there. */
  empty: readonly string[];
  /** Headers bound absent: signed for by hand (urlSigner.ts), as no SDK signer does it. */
  absent: readonly string[];
  /** Signed query parameters. */
  query: Record<string, Bound>;
  /**
   * Where an upload's x-amz-meta-* values go: into the signed query (the engine stores them
   * from there), or into a record the gateway keeps and settles the object with
   * (urlUploadRecords.ts), for an engine that ignores them in the query.
   */
  metadata?: 'query' | 'record';
}

/** Only create: the store refuses to replace an object, and a PUT without the header breaks the signature. */
const CREATE_ONLY: Bound = { text: '*', when: 'exclusive' };

/**
 * The declared length, when there is one: a body of any other length (or one without a
 * Content-Length) breaks the signature, so a quota's hold is never outgrown. Never in the
 * query: the request always carries its length.
 */
const DECLARED_LENGTH: Bound = { fact: 'contentLength' };

/**
 * Headers no upload URL's holder may set: the two that decide how a browser treats a download,
 * and object tags (MinIO stores x-amz-tagging on a PUT with only the PutObject right; operators
 * may key lifecycle or replication rules on tags). Bound empty on MinIO, absent on SeaweedFS.
 */
const CLEARED_UPLOAD_HEADERS = ['content-disposition', 'content-encoding', 'x-amz-tagging'];

/** x-amz-* headers are moved into the query when presigning; these must stay headers to bind. */
export const UNHOISTABLE_HEADERS = new Set(['x-amz-tagging']);

const OBJECT = { method: 'PUT', signedAs: 'upload', query: {} } as const;

/** A part's URL binds its upload and its number; its type and metadata are the session's. */
const PART: UrlBinding = {
  method: 'PUT',
  signedAs: 'upload',
  headers: { 'content-length': DECLARED_LENGTH },
  empty: [],
  absent: [],
  query: { partNumber: { fact: 'partNumber' }, uploadId: { fact: 'uploadId' } },
};

/** The store answers with these instead of the object's own headers. */
const DOWNLOAD: UrlBinding = {
  method: 'GET',
  signedAs: 'download',
  headers: {},
  empty: [],
  absent: [],
  query: {
    'response-content-disposition': { text: 'attachment', when: 'attachment' },
    'response-content-type': { fact: 'contentType' },
  },
};

export const URL_BINDINGS: Record<UrlKind, Record<StoreEngine, UrlBinding>> = {
  object: {
    minio: {
      ...OBJECT,
      headers: { 'if-none-match': CREATE_ONLY, 'content-type': { fact: 'contentType', inQuery: true }, 'content-length': DECLARED_LENGTH },
      empty: CLEARED_UPLOAD_HEADERS,
      absent: [],
      metadata: 'query',
    },
    aws: {
      ...OBJECT,
      headers: { 'if-none-match': CREATE_ONLY, 'content-type': { fact: 'contentType' }, 'content-length': DECLARED_LENGTH },
      empty: [],
      absent: [],
      metadata: 'query',
    },
    seaweedfs: {
      ...OBJECT,
      headers: {
        'if-none-match': CREATE_ONLY,
        'content-type': { fact: 'contentType', when: 'contentTypeNamed' },
        'content-length': DECLARED_LENGTH,
      },
      empty: [],
      absent: CLEARED_UPLOAD_HEADERS,
      metadata: 'record',
    },
  },
  part: { minio: PART, aws: PART, seaweedfs: PART },
  download: { minio: DOWNLOAD, aws: DOWNLOAD, seaweedfs: DOWNLOAD },
};

/** One URL's bindings: the table's entry with this URL's facts filled in. */
export interface BoundUrl {
  method: UrlBinding['method'];
  signedAs: UrlPurpose;
  headers: Record<string, string>;
  query: Record<string, string>;
  absent: readonly string[];
  /** x-amz-meta-* values to carry in the signed query. */
  metadata: Record<string, string>;
}

export function bindUrl(kind: UrlKind, engine: StoreEngine, facts: UrlFacts): BoundUrl {
  const binding = URL_BINDINGS[kind][engine];
  const headers: Record<string, string> = {};
  const query: Record<string, string> = {};
  for (const [name, bound] of Object.entries(binding.headers)) {
    const value = valueOf(bound, facts);
    if (value === undefined) continue;
    headers[name] = value;
    if (bound.inQuery) query[name] = value;
  }
  for (const name of binding.empty) headers[name] = query[name] = '';
  for (const [name, bound] of Object.entries(binding.query)) {
    const value = valueOf(bound, facts);
    if (value !== undefined) query[name] = value;
  }
  const metadata = binding.metadata === 'query' ? (facts.metadata ?? {}) : {};
  return { method: binding.method, signedAs: binding.signedAs, headers, query, absent: binding.absent, metadata };
}

function valueOf(bound: Bound, facts: UrlFacts): string | undefined {
  if (bound.when !== undefined && !facts[bound.when]) return undefined;
  if ('text' in bound) return bound.text;
  const value = facts[bound.fact];
  return value === undefined ? undefined : String(value);
}
