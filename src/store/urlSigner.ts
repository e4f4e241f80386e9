/**
 * Presigned URLs, signed with least-privilege credentials, never with the gateway's own.
 *
 * A presigned URL carries the rights of whoever signed it, and the store honours headers the
 * holder adds (x-amz-copy-source turns a PUT into a copy). So each kind of URL is signed by
 * its own temporary identity, assumed through the store's STS with a session policy:
 *   - upload:   s3:PutObject on the gateway's buckets, nothing else (no read of any object,
 *               so a copy-source header is refused; no tagging, ACL, retention or listing);
 *   - download: s3:GetObject on the gateway's buckets, nothing else.
 * The signature binds the method, the bucket, the key and every query parameter, so a URL
 * does exactly one thing to exactly one object.
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
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Settings } from '../config';
import { StoreUnavailable } from '../errors';
import { routeByHealth, type StoreEndpoints } from './endpoints';

export type UrlPurpose = 'upload' | 'download';

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

/** MinIO accepts 15 minutes to a year; AWS a role's session length (12 h at most). */
const MINIO_SESSION_SECONDS = 365 * 24 * 3600;
const AWS_SESSION_SECONDS = 12 * 3600;

export class UrlSigner {
  private readonly signers: Record<UrlPurpose, SignatureV4>;
  private readonly credentials: Record<UrlPurpose, ScopedCredentials>;
  private readonly sts: STSClient;
  /** Parsed public endpoints, by URL: one is picked per signature, paired with a healthy node. */
  private readonly publicUrls = new Map<string, URL>();

  constructor(
    private readonly settings: S3Settings,
    private readonly endpoints: StoreEndpoints,
    buckets: readonly string[],
    /** The longest URL lifetime: credentials are renewed while they still outlive it. */
    maxUrlTtlSeconds: number,
  ) {
    // MinIO serves STS on its S3 endpoints; AWS has its own regional STS endpoint.
    const stsOnStore = settings.engine !== 'aws' && settings.endpoints.length > 0;
    this.sts = new STSClient({
      region: settings.region,
      credentials: settings.credentials,
      ...(stsOnStore && { endpoint: settings.endpoints[0] }),
      maxAttempts: 3,
      requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, socketTimeout: settings.responseTimeoutMs }),
    });
    if (stsOnStore) routeByHealth(this.sts, endpoints);
    const session = settings.engine === 'aws' ? AWS_SESSION_SECONDS : Math.min(MINIO_SESSION_SECONDS, 2 * maxUrlTtlSeconds + 3600);
    // MinIO ignores the role, and SeaweedFS wants none for a session of the caller's own (a
    // named role there needs a trust policy): the session policy alone narrows the rights.
    const roleArn =
      settings.signingRoleArn ?? (settings.engine === 'minio' ? 'arn:aws:iam::000000000000:role/storage-gateway-url-signing' : undefined);
    const resources = buckets.map((bucket) => `arn:aws:s3:::${bucket}/*`);
    const scoped = (purpose: UrlPurpose, action: string) =>
      new ScopedCredentials(this.sts, purpose, sessionPolicy(action, resources), roleArn, session, maxUrlTtlSeconds + 300);
    this.credentials = { upload: scoped('upload', 's3:PutObject'), download: scoped('download', 's3:GetObject') };
    const signer = (purpose: UrlPurpose) =>
      new SignatureV4({
        service: 's3',
        region: settings.region,
        credentials: () => this.credentials[purpose].get(),
        sha256: NodeSha256,
        // The path is escaped once, here, the way S3 expects; the signer must not do it again.
        uriEscapePath: false,
        applyChecksum: false,
      });
    this.signers = { upload: signer('upload'), download: signer('download') };
  }

  /** Obtains both identities now, so a store without STS or a missing role fails at start-up. */
  async prepare(): Promise<void> {
    await Promise.all([this.credentials.upload.get(), this.credentials.download.get()]);
  }

  close(): void {
    this.sts.destroy();
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
      credentials = await this.credentials.upload.get();
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

/** Temporary credentials for one purpose, renewed before they could cut a URL short. */
class ScopedCredentials {
  private current: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date } | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly sts: STSClient,
    private readonly purpose: UrlPurpose,
    private readonly policy: string,
    private readonly roleArn: string | undefined,
    private readonly sessionSeconds: number,
    /** Renew when less than this is left: a URL signed now must not outlive its credentials. */
    private readonly minRemainingSeconds: number,
  ) {}

  async get() {
    if (!this.current || this.current.expiration.getTime() - Date.now() < this.minRemainingSeconds * 1000) {
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
      await this.renewing;
    }
    return this.current as NonNullable<typeof this.current>;
  }

  private async renew(): Promise<void> {
    try {
      const answer = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: this.roleArn,
          RoleSessionName: `storage-gateway-${this.purpose}`,
          Policy: this.policy,
          DurationSeconds: this.sessionSeconds,
        }),
      );
      const c = answer.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new Error('the STS answer carried no credentials');
      }
      this.current = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    } catch (error) {
      throw new SigningCredentialsRefused(this.purpose, error);
    }
  }
}

/** The store's STS would not issue URL-signing credentials (no STS, no role, or no right to assume it). */
export class SigningCredentialsRefused extends Error {
  override name = 'SigningCredentialsRefused';
  constructor(
    readonly purpose: UrlPurpose,
    override readonly cause: unknown,
  ) {
    super(`The store's STS refused ${purpose}-URL credentials: ${(cause as Error)?.message ?? String(cause)}`);
  }

  /** The STS answered (and said no), as opposed to not answering at all: retrying will not help. */
  get answered(): boolean {
    return (this.cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode !== undefined;
  }
}

function sessionPolicy(action: string, resources: string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [action], Resource: resources }] });
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
