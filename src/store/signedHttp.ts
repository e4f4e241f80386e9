/**
 * The store's hot calls (GET, HEAD, a single PUT, DELETE) as plain SigV4-signed HTTP on pooled
 * undici connections, without an SDK command per request: the SDK's middleware stack was the
 * largest share of the gateway's CPU on small requests. Signing is the SDK's own
 * (@smithy/signature-v4, which caches signing keys); credentials come from the SDK client's
 * provider, so the default chain and its refreshes still apply. Everything else (buckets,
 * lifecycle, listing, multipart bookkeeping, copies) stays on the SDK in s3Store.ts.
 */
import type { Readable } from 'node:stream';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import { Agent, type Dispatcher } from 'undici';
import type { FairPool, Principal } from '../shares';
import { NO_WRITE_QUORUM, type StoreEndpoints } from './endpoints';
import { isNetworkFailure, StoreHttpError } from './failures';
import { escapeKey, escapeQuery, NodeSha256 } from './urlSigner';

export interface SignedCall {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  bucket: string;
  /** Empty for a call on the bucket itself (a listing). */
  key: string;
  query?: Record<string, string>;
  headers?: Record<string, string | undefined>;
  body?: Readable | Buffer;
  signal?: AbortSignal;
  /** Whose call it is: a small call takes its turn in that principal's share. */
  principal?: Principal;
  /** A read of a key this process wrote moments ago: a 404 for it is checked with another node. */
  recentlyWritten?: boolean;
}

export interface SignedAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export interface SignedHttpSettings {
  /** Where calls go; a call that finds one dead moves to the next if it can be replayed. */
  endpoints: StoreEndpoints;
  region: string;
  forcePathStyle: boolean;
  credentials: Provider<AwsCredentialIdentity>;
  /** Connections per store origin for bodies (GET, PUT); small calls have their own. */
  connections: number;
  /** Limit for the store's response headers; a body may then take as long as its reader. */
  headersTimeoutMs: number;
  /** Small calls (HEAD, DELETE, listings) take a turn here, counted against the request's principal. */
  smallCalls?: FairPool;
}

/** A node's own 503s that say nothing of the cluster: the call may go to another node. */
const NODE_NOT_SERVING = new Set(['XMinioServerNotInitialized']);
/** The store asking callers to slow down: worth another try after a pause, a few times. */
const SLOW_DOWN = new Set(['SlowDown', 'SlowDownRead', 'SlowDownWrite', 'ServiceUnavailable']);
const SLOW_DOWN_TRIES = 3;
const SLOW_DOWN_PAUSE_MS = 200;

/** Connections per store origin for HEAD, DELETE and listings, apart from streams. */
export const SMALL_CALL_CONNECTIONS = 64;

export class SignedHttp {
  /** Streams (GET and PUT bodies) and small calls on separate connections: idle readers never hold what a HEAD needs. */
  private readonly streams: Agent;
  private readonly small: Agent;
  private readonly signer: SignatureV4;

  constructor(private readonly settings: SignedHttpSettings) {
    const agent = (connections: number) =>
      new Agent({
        connections,
        headersTimeout: settings.headersTimeoutMs,
        // A download to a slow reader pauses the socket by back-pressure; the HTTP layer cuts a
        // caller who moves nothing, so no body timeout here.
        bodyTimeout: 0,
        connect: { timeout: 3000 },
      });
    this.streams = agent(settings.connections);
    this.small = agent(SMALL_CALL_CONNECTIONS);
    this.signer = new SignatureV4({
      service: 's3',
      region: settings.region,
      credentials: settings.credentials,
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.streams.close(), this.small.close()]);
  }

  /**
   * Sends one signed request. A 2xx or 3xx (304) answer is returned with its body unread; any
   * other answer is read (S3 sends a small XML error) and thrown as a StoreHttpError. An
   * endpoint that does not answer is marked down, and a call without a streamed body (which
   * cannot be sent twice) moves to the next endpoint, as it does from a node still starting.
   */
  async send(call: SignedCall): Promise<SignedAnswer> {
    const pool = this.settings.smallCalls;
    if (pool && isSmall(call)) return pool.run(call.principal, () => this.sendAnywhere(call));
    return this.sendAnywhere(call);
  }

  private async sendAnywhere(call: SignedCall): Promise<SignedAnswer> {
    const replayable = call.body === undefined || Buffer.isBuffer(call.body);
    const tried = new Set<string>();
    let busyRetried = false;
    let secondOpinion = false;
    let slowDowns = 0;
    for (;;) {
      const endpoint = this.settings.endpoints.pick(tried) as string;
      try {
        const answer = await this.sendTo(new URL(endpoint), call);
        if (call.method === 'PUT') this.settings.endpoints.wrote(endpoint);
        return answer;
      } catch (error) {
        if (error instanceof StoreHttpError && error.name === NO_WRITE_QUORUM) this.settings.endpoints.refusedWrites(endpoint);
        if (call.signal?.aborted || !replayable) {
          if (isNetworkFailure(error) && !callerCut(call, error)) this.failed(endpoint, error);
          throw error;
        }
        tried.add(endpoint);
        const another = this.settings.endpoints.pick(tried) !== undefined;
        if (isNetworkFailure(error)) {
          this.failed(endpoint, error);
          if (another) continue;
        } else if (error instanceof StoreHttpError && NODE_NOT_SERVING.has(error.name) && another && !busyRetried) {
          // A node still starting answers 503 while its peers serve: one other node is worth
          // asking. Not so a 503 about the cluster's quorum, which every node would repeat, and
          // which a node with a half-built view might turn into a wrong 404.
          busyRetried = true;
          continue;
        } else if (error instanceof StoreHttpError && error.status === 404 && !secondOpinion && this.worthAnotherLook(call, endpoint)) {
          // A node down or rejoined lately (the cluster may be healing), or a key written moments ago: a
          // 404 may be this node's view only. Another node in rotation is asked once before it is believed.
          secondOpinion = true;
          if (another) continue;
        } else if (error instanceof StoreHttpError && SLOW_DOWN.has(error.name) && slowDowns < SLOW_DOWN_TRIES) {
          // The store sheds load: after a growing pause, any node (this one included) again.
          await new Promise((resolve) => setTimeout(resolve, SLOW_DOWN_PAUSE_MS * 2 ** slowDowns++));
          tried.delete(endpoint);
          continue;
        }
        throw error;
      }
    }
  }

  private worthAnotherLook(call: SignedCall, endpoint: string): boolean {
    const endpoints = this.settings.endpoints;
    if ((call.method !== 'GET' && call.method !== 'HEAD') || call.key === '' || !endpoints.othersUp(endpoint)) return false;
    // MinIO has also answered 404 through a node that never left, in the seconds after another
    // went or came back: while any node is down or lately back, the cluster's 404s are worth a
    // second look.
    return call.recentlyWritten === true || endpoints.unsettled();
  }

  private failed(endpoint: string, error: unknown): void {
    this.settings.endpoints.failed(endpoint, error);
  }

  private async sendTo(endpoint: URL, call: SignedCall): Promise<SignedAnswer> {
    const pathStyle = this.settings.forcePathStyle;
    const host = pathStyle ? endpoint.host : `${call.bucket}.${endpoint.host}`;
    const objectPath = call.key === '' ? (pathStyle ? '' : '/') : `/${escapeKey(call.key)}`;
    const path = `${pathStyle ? `/${call.bucket}` : ''}${objectPath}`;
    const query = call.query ?? {};
    const search = Object.entries(query)
      .map(([name, value]) => `${escapeQuery(name)}=${escapeQuery(value)}`)
      .join('&');
    const headers: Record<string, string> = { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    for (const [name, value] of Object.entries(call.headers ?? {})) if (value !== undefined) headers[name] = value;
    const signed = await this.signer.sign(
      new HttpRequest({ method: call.method, protocol: endpoint.protocol, hostname: host, path, headers, query }),
    );
    const dispatcher = isSmall(call) ? this.small : this.streams;
    const answer = await dispatcher.request({
      origin: `${endpoint.protocol}//${host}`,
      method: call.method,
      path: search ? `${path}?${search}` : path,
      headers: signed.headers,
      body: call.body,
      signal: call.signal,
    });
    if (answer.statusCode < 400) return { status: answer.statusCode, headers: answer.headers, body: answer.body };
    const text = await answer.body.text().catch(() => '');
    const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1] ?? (answer.statusCode === 404 ? 'NotFound' : `Http${answer.statusCode}`);
    throw new StoreHttpError(code, answer.statusCode);
  }
}

/**
 * The call failed because its caller went: the body streamed from the caller broke off (Node's
 * `aborted` reset on the caller's own connection, which undici passes on as the call's error).
 * That says nothing of the store, whose endpoint stays up.
 */
function callerCut(call: SignedCall, error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return call.body !== undefined && !Buffer.isBuffer(call.body) && code === 'ECONNRESET' && message === 'aborted';
}

/** Calls with no body worth streaming: heads, deletes and listings (a call on the bucket itself). */
function isSmall(call: SignedCall): boolean {
  return call.method === 'HEAD' || call.method === 'DELETE' || call.key === '';
}

/** One header's value as a string (undici gives arrays for repeated headers). */
export function headerOf(headers: SignedAnswer['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The first `<Key>` of a ListObjectsV2 answer, XML entities decoded. */
export function firstListedKey(xml: string): string | undefined {
  const raw = /<Key>([^<]*)<\/Key>/.exec(xml)?.[1];
  return raw === undefined ? undefined : decodeXmlText(raw);
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) =>
    entity.startsWith('#x')
      ? String.fromCodePoint(parseInt(entity.slice(2), 16))
      : entity.startsWith('#')
        ? String.fromCodePoint(Number(entity.slice(1)))
        : (XML_ENTITIES[entity] ?? ''),
  );
}
