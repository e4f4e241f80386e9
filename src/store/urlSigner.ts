/**
 * Presigned URLs: SigV4 query signing with the temporary identities of signingCredentials.ts
 * (one for uploads, one for downloads), never with the gateway's own credentials. The
 * signature binds the method, the bucket, the key and every query parameter, so a URL does
 * exactly one thing to exactly one object.
 *
 * Upload URLs also bind the headers that decide how a browser treats the object: Content-Type
 * (the uploader must send exactly it) and, on MinIO, an empty Content-Disposition and
 * Content-Encoding, so a holder cannot store an object that a download renders as a page.
 * (Cache-Control is left free: fetch and browsers add it themselves to conditional requests.) MinIO reads a signed header's value from the query when the request lacks the
 * header, so each bound value is repeated in the (signed) query and a bare `curl -T` still works.
 *
 * SeaweedFS takes nothing from the query (neither a header's value nor x-amz-meta-*), and
 * leaves a signed header that the request lacks out of the signature it checks. So there a
 * header is bound *absent* by naming it in X-Amz-SignedHeaders while signing as if the request
 * lacked it: sending it at all breaks the signature. Content-Disposition, Content-Encoding and
 * x-amz-tagging are bound absent. Content-Type is bound to its value when the caller named a
 * type; a URL issued without one leaves it free, because one URL must serve both a bare
 * `curl -T` (no Content-Type) and the Python client (application/octet-stream), and SeaweedFS
 * cannot accept both and refuse the rest. The object store then settles such an upload's type
 * and metadata itself (s3Store.ts, settleUpload), and download URLs pin the type they serve.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Settings } from '../config';
import { StoreUnavailable } from '../errors';
import type { StoreEndpoints } from './endpoints';
import type { SigningCredentials, UrlPurpose } from './signingCredentials';

export interface SignedRequest {
  method: 'GET' | 'PUT';
  bucket: string;
  key: string;
  expiresIn: number;
  /** Headers the holder must send with exactly these values. */
  headers?: Record<string, string>;
  /** Signed query parameters (uploadId, partNumber, response-content-disposition, ...). */
  query?: Record<string, string>;
  /** x-amz-meta-* values, carried in the signed query (MinIO and AWS store them). */
  metadata?: Record<string, string>;
}

export interface UploadRequest extends Omit<SignedRequest, 'method'> {
  /** The Content-Type the upload stores. */
  contentType?: string | undefined;
  /**
   * Whether the caller named the type. On SeaweedFS only a named type is bound into the URL
   * (see above); elsewhere the type is always bound.
   */
  contentTypeNamed?: boolean | undefined;
}

/**
 * Headers an upload URL binds to empty on MinIO, so no holder can set them: the two that decide
 * how a browser treats a download, and object tags (MinIO stores x-amz-tagging on a PUT with
 * only the PutObject right; operators may key lifecycle or replication rules on tags).
 */
const CLEARED_UPLOAD_HEADERS = ['content-disposition', 'content-encoding', 'x-amz-tagging'];
/** x-amz-* headers are moved into the query when presigning; these must stay headers to bind. */
const UNHOISTABLE = new Set(['x-amz-tagging']);
const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

export class UrlSigner {
  private readonly signers: Record<UrlPurpose, SignatureV4>;
  /** Parsed public endpoints, by URL: one is picked per signature, paired with a healthy node. */
  private readonly publicUrls = new Map<string, URL>();

  constructor(
    private readonly settings: S3Settings,
    private readonly endpoints: StoreEndpoints,
    private readonly credentials: SigningCredentials,
  ) {
    const signer = (purpose: UrlPurpose) =>
      new SignatureV4({
        service: 's3',
        region: settings.region,
        credentials: () => this.credentials.get(purpose),
        sha256: NodeSha256,
        // The path is escaped once, here, the way S3 expects; the signer must not do it again.
        uriEscapePath: false,
        applyChecksum: false,
      });
    this.signers = { upload: signer('upload'), download: signer('download') };
  }

  /** A URL for one PUT of a whole object or of one part. */
  upload(request: UploadRequest): Promise<string> {
    const headers: Record<string, string> = { ...request.headers };
    const query: Record<string, string> = { ...request.query };
    if (this.settings.engine === 'seaweedfs' && request.contentType !== undefined) {
      // A whole object: see the file's comment. Metadata in the query would be ignored there.
      if (request.contentTypeNamed) headers['content-type'] = request.contentType;
      return this.signBindingAbsent({ ...request, method: 'PUT', headers, query, metadata: {} }, CLEARED_UPLOAD_HEADERS);
    }
    if (request.contentType !== undefined) {
      const bound: Record<string, string> = { 'content-type': request.contentType };
      // MinIO takes a missing signed header's value from the query: repeat each bound value
      // there, so a bare PUT still satisfies the signature (and gets exactly these values).
      if (this.settings.engine === 'minio') {
        for (const name of CLEARED_UPLOAD_HEADERS) bound[name] = '';
        Object.assign(query, bound);
      }
      Object.assign(headers, bound);
    }
    return this.sign('upload', { ...request, method: 'PUT', headers, query });
  }

  download(request: Omit<SignedRequest, 'method'>): Promise<string> {
    return this.sign('download', { ...request, method: 'GET' });
  }

  private async sign(purpose: UrlPurpose, request: SignedRequest): Promise<string> {
    const { endpoint, host, path } = this.target(request.bucket, request.key);
    const headers: Record<string, string> = {
      host,
      // The body is not hashed into a URL: the uploader's bytes are unknown when signing.
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      ...request.headers,
    };
    for (const [name, value] of Object.entries(request.metadata ?? {})) headers[`x-amz-meta-${name}`] = value;
    const unsigned = new HttpRequest({
      method: request.method,
      protocol: endpoint.protocol,
      hostname: host,
      path,
      headers,
      query: request.query ?? {},
    });
    let signed;
    try {
      signed = await this.signers[purpose].presign(unsigned, {
        expiresIn: request.expiresIn,
        signableHeaders: new Set(Object.keys(headers)),
        unhoistableHeaders: UNHOISTABLE,
      });
    } catch {
      // The store would not renew the signing credentials: a retryable 503, never a fallback.
      throw new StoreUnavailable('Signed URLs cannot be issued right now: the store did not grant signing credentials; try again shortly');
    }
    const query = Object.entries(signed.query ?? {})
      .map(([name, value]) => `${escapeQuery(name)}=${escapeQuery(String(value))}`)
      .join('&');
    return `${endpoint.protocol}//${host}${path}?${query}`;
  }

  /**
   * SigV4 query signing by hand, for SeaweedFS: `absent` headers are named in
   * X-Amz-SignedHeaders but left out of the canonical request, as SeaweedFS leaves out a signed
   * header the request lacks. A request that carries one of them no longer matches.
   */
  private async signBindingAbsent(request: SignedRequest, absent: readonly string[]): Promise<string> {
    const { endpoint, host, path } = this.target(request.bucket, request.key);
    let credentials;
    try {
      credentials = await this.credentials.get('upload');
    } catch {
      throw new StoreUnavailable('Signed URLs cannot be issued right now: the store did not grant signing credentials; try again shortly');
    }
    const present: Record<string, string> = { host };
    for (const [name, value] of Object.entries(request.headers ?? {})) present[name.toLowerCase()] = value.trim().replace(/\s+/g, ' ');
    const presentNames = Object.keys(present).sort();
    const signedNames = [...new Set([...presentNames, ...absent])].sort();
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const scope = `${amzDate.slice(0, 8)}/${this.settings.region}/s3/aws4_request`;
    const query: Record<string, string> = {
      ...request.query,
      'X-Amz-Algorithm': SIGV4_ALGORITHM,
      'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
      'X-Amz-Date': amzDate,
      'X-Amz-Expires': String(request.expiresIn),
      'X-Amz-Security-Token': credentials.sessionToken,
      'X-Amz-SignedHeaders': signedNames.join(';'),
    };
    const canonicalQuery = Object.keys(query)
      .sort()
      .map((name) => `${escapeQuery(name)}=${escapeQuery(query[name] ?? '')}`)
      .join('&');
    const canonicalRequest = [
      request.method,
      path,
      canonicalQuery,
      presentNames.map((name) => `${name}:${present[name]}\n`).join(''),
      presentNames.join(';'),
      'UNSIGNED-PAYLOAD',
    ].join('\n');
    const stringToSign = [SIGV4_ALGORITHM, amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const signingKey = ['aws4_request', 's3', this.settings.region, amzDate.slice(0, 8)].reduceRight<Buffer>(
      (key, part) => createHmac('sha256', key).update(part).digest(),
      Buffer.from(`AWS4${credentials.secretAccessKey}`),
    );
    const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
    return `${endpoint.protocol}//${host}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
  }

  /** Where a URL for this object points: a public endpoint, the host to sign, the escaped path. */
  private target(bucket: string, key: string): { endpoint: URL; host: string; path: string } {
    const pathStyle = this.settings.forcePathStyle;
    const endpoint = this.publicUrl(this.endpoints.pickPublic());
    const host = pathStyle ? endpoint.host : `${bucket}.${endpoint.host}`;
    return { endpoint, host, path: `${pathStyle ? `/${bucket}` : ''}/${escapeKey(key)}` };
  }

  private publicUrl(text: string): URL {
    let url = this.publicUrls.get(text);
    if (!url) this.publicUrls.set(text, (url = new URL(text)));
    return url;
  }
}

/** RFC 3986 escaping, as SigV4 wants it: everything but unreserved characters. */
export function escapeQuery(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An object key in a URL path: each segment escaped, `/` kept. */
export function escapeKey(key: string): string {
  return key.split('/').map(escapeQuery).join('/');
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the SigV4 signer takes. */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}
