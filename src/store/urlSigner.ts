/**
 * Presigned URLs: SigV4 query signing with the temporary identities of signingCredentials.ts
 * (one for uploads, one for downloads), never with the gateway's own credentials. The
 * signature binds the method, the bucket, the key and every query parameter, so a URL does
 * exactly one thing to exactly one object; what else each kind of URL binds, on each engine,
 * is urlBindings.ts's table, which this reads.
 *
 * The SDK's signer does the usual case. A header bound *absent* (SeaweedFS) is signed here by
 * hand: named in X-Amz-SignedHeaders, left out of the canonical request.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Settings } from '../config';
import { StoreUnavailable } from '../errors';
import type { StoreEndpoints } from './endpoints';
import type { SigningCredentials, UrlPurpose } from './signingCredentials';
import { bindUrl, UNHOISTABLE_HEADERS, type UrlFacts, type UrlKind } from './urlBindings';

interface SignedRequest {
  method: 'GET' | 'PUT';
  bucket: string;
  key: string;
  expiresIn: number;
  /** Headers the holder must send with exactly these values. */
  headers: Record<string, string>;
  /** Signed query parameters (uploadId, partNumber, response-content-disposition, ...). */
  query: Record<string, string>;
  /** x-amz-meta-* values, carried in the signed query. */
  metadata: Record<string, string>;
}

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

  /** A URL for one request of this kind on one object, binding what urlBindings.ts says for the engine. */
  issue(kind: UrlKind, bucket: string, key: string, facts: UrlFacts & { expiresIn: number }): Promise<string> {
    const { signedAs, absent, ...bound } = bindUrl(kind, this.settings.engine, facts);
    const request = { ...bound, bucket, key, expiresIn: facts.expiresIn };
    return absent.length > 0 ? this.signBindingAbsent(signedAs, request, absent) : this.sign(signedAs, request);
  }

  private async sign(purpose: UrlPurpose, request: SignedRequest): Promise<string> {
    const { endpoint, host, path } = this.target(request.bucket, request.key);
    const headers: Record<string, string> = {
      host,
      // The body is not hashed into a URL: the uploader's bytes are unknown when signing.
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      ...request.headers,
    };
    for (const [name, value] of Object.entries(request.metadata)) headers[`x-amz-meta-${name}`] = value;
    const unsigned = new HttpRequest({
      method: request.method,
      protocol: endpoint.protocol,
      hostname: host,
      path,
      headers,
      query: request.query,
    });
    let signed;
    try {
      signed = await this.signers[purpose].presign(unsigned, {
        expiresIn: request.expiresIn,
        signableHeaders: new Set(Object.keys(headers)),
        unhoistableHeaders: UNHOISTABLE_HEADERS,
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
   * header the request lacks. A request that carries one of them no longer matches. It carries
   * no metadata: SeaweedFS ignores it in the query (the table's `metadata: 'record'`).
   */
  private async signBindingAbsent(purpose: UrlPurpose, request: SignedRequest, absent: readonly string[]): Promise<string> {
    const { endpoint, host, path } = this.target(request.bucket, request.key);
    let credentials;
    try {
      credentials = await this.credentials.get(purpose);
    } catch {
      throw new StoreUnavailable('Signed URLs cannot be issued right now: the store did not grant signing credentials; try again shortly');
    }
    const present: Record<string, string> = { host };
    for (const [name, value] of Object.entries(request.headers)) present[name.toLowerCase()] = value.trim().replace(/\s+/g, ' ');
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
