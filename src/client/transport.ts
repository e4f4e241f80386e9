/**
 * HTTP plumbing shared by the client's operations: the gateway's base URL and bearer token,
 * key encoding, typed errors for non-2xx answers, and retries for calls that are safe to repeat.
 */
import { BadRequestError, errorFromResponse, networkError } from './errors';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry';
import type { AnswerOf, AnsweredRoute } from '../protocol/answers';
import { API_BASE, HEADERS, keyParamsOf, pathTo, ROUTES, type ParamsOf, type QueryOf, type RouteName } from '../protocol/routes';

export type TokenSource = string | (() => string | Promise<string>);

/** Bodies fetch can send; a stream needs `duplex: 'half'`, which RequestInit's types lack. */
export type RequestBody = NonNullable<RequestInit['body']>;
type StreamingRequestInit = RequestInit & { duplex?: 'half' };

export interface CallInit {
  headers?: Record<string, string>;
  /** A function, so every retry gets a fresh body (a stream can be read only once). */
  body?: () => RequestBody;
  signal?: AbortSignal;
  /** Repeat the call on network errors, 5xx and 429 (default: true). */
  retry?: boolean;
}

/** A route's call: its query names are the route's own. */
export type RouteCallInit<R extends RouteName> = CallInit & { query?: QueryOf<R> };

/**
 * A `.` or `..` segment cannot be sent at all: URL parsing resolves it (escaped or not) and
 * the request would quietly go to another key. The gateway refuses such keys, so we do too.
 */
function checkKey(key: string): void {
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new BadRequestError(`Keys may not have '.' or '..' segments: '${key.slice(0, 100)}'`, 0, 'invalid_key');
  }
}

/** Accepts the API root (`…/storage/v1`) or the server root, to which `/storage/v1` is added. */
export function apiRoot(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`Not an http(s) URL: ${url}`);
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path === '' ? API_BASE : path;
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

  /** A call to one of the gateway's routes (src/protocol/routes.ts), its key parameters checked. */
  async call<R extends RouteName>(route: R, params: ParamsOf<R>, init: RouteCallInit<R> = {}): Promise<Response> {
    for (const name of keyParamsOf(route)) checkKey((params as Record<string, string>)[name] ?? '');
    const url = `${this.root}${pathTo(route, params, init.query)}`;
    return this.send(ROUTES[route].method, url, init, async () => {
      const headers: Record<string, string> = { ...init.headers };
      const token = await this.bearerToken();
      if (token) headers.authorization = `Bearer ${token}`;
      if (this.actFor) headers[HEADERS.namespace] = this.actFor;
      return headers;
    });
  }

  /** A call to a route that answers JSON: the answer, typed by the route's schema (protocol/answers.ts). */
  async json<R extends RouteName & AnsweredRoute>(
    route: R,
    params: ParamsOf<NoInfer<R>>,
    init: RouteCallInit<NoInfer<R>> = {},
  ): Promise<AnswerOf<R>> {
    return (await (await this.call(route, params, init)).json()) as AnswerOf<R>;
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
        throw networkError(error, url);
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
