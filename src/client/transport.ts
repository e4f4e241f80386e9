/**
 * HTTP plumbing shared by the client's operations: the gateway's base URL and bearer token,
 * key encoding, typed errors for non-2xx answers, and retries for calls that are safe to repeat.
 */
import { BadRequestError, errorFromResponse, networkError } from './errors';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry';

export type TokenSource = string | (() => string | Promise<string>);

/** Bodies fetch can send; a stream needs `duplex: 'half'`, which RequestInit's types lack. */
export type RequestBody = NonNullable<RequestInit['body']>;
type StreamingRequestInit = RequestInit & { duplex?: 'half' };

export interface CallInit {
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** A function, so every retry gets a fresh body (a stream can be read only once). */
  body?: () => RequestBody;
  signal?: AbortSignal;
  /** Repeat the call on network errors, 5xx and 429 (default: true). */
  retry?: boolean;
}

/**
 * `a/b c/ü` → `a/b%20c/%C3%BC`: each segment escaped, the slashes kept (the gateway decodes).
 * A `.` or `..` segment cannot be sent at all: URL parsing resolves it (escaped or not) and
 * the request would quietly go to another key. The gateway refuses such keys, so we do too.
 */
export function encodeKey(key: string): string {
  const segments = key.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new BadRequestError(`Keys may not have '.' or '..' segments: '${key.slice(0, 100)}'`, 0, 'invalid_key');
  }
  return segments.map(encodeURIComponent).join('/');
}

/** Accepts the API root (`…/storage/v1`) or the server root, to which `/storage/v1` is added. */
export function apiRoot(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`Not an http(s) URL: ${url}`);
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path === '' ? '/storage/v1' : path;
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/+$/, '');
}

export class Transport {
  readonly root: string;

  constructor(
    url: string,
    private readonly token: TokenSource | undefined,
    /** X-Storage-Namespace: the namespace a service token acts for. */
    private readonly actFor: string | undefined,
    readonly retryPolicy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly fetchImpl: typeof fetch = globalThis.fetch,
  ) {
    this.root = apiRoot(url);
  }

  async bearerToken(): Promise<string | undefined> {
    return typeof this.token === 'function' ? await this.token() : this.token;
  }

  /** A call to the gateway's API, `path` relative to the API root. */
  async api(method: string, path: string, init: CallInit = {}): Promise<Response> {
    const url = new URL(`${this.root}${path}`);
    for (const [name, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return this.send(method, url.toString(), init, async () => {
      const headers: Record<string, string> = { ...init.headers };
      const token = await this.bearerToken();
      if (token) headers.authorization = `Bearer ${token}`;
      if (this.actFor) headers['x-storage-namespace'] = this.actFor;
      return headers;
    });
  }

  /** A call to a presigned URL on the object store: no gateway credentials go there. */
  async direct(method: string, url: string, init: CallInit = {}): Promise<Response> {
    return this.send(method, url, init, async () => ({ ...init.headers }));
  }

  private async send(method: string, url: string, init: CallInit, headersFor: () => Promise<Record<string, string>>): Promise<Response> {
    const once = async (): Promise<Response> => {
      const body = init.body?.();
      const request: StreamingRequestInit = { method, headers: await headersFor(), body, signal: init.signal };
      if (body && typeof body === 'object' && 'getReader' in body) request.duplex = 'half';
      let response: Response;
      try {
        response = await this.fetchImpl(url, request);
      } catch (error) {
        if (init.signal?.aborted) throw init.signal.reason ?? error;
        throw networkError(error);
      }
      if (response.ok) return response;
      throw errorFromResponse(response, await errorText(response));
    };
    return init.retry === false ? once() : withRetries(this.retryPolicy, init.signal, once);
  }
}

/** An error body (the gateway's JSON or S3's XML, both small), cut to what a message needs. */
async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  return text.slice(0, 4096);
}
