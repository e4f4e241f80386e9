/**
 * The Storage API as the console calls it: the token only ever travels in the Authorization
 * header (never in a URL), and every refusal becomes an ApiError whose message is the API's
 * own plain-words message, with a hint on what to do.
 */
import { API_BASE, HEADERS, pathTo, ROUTES, type ParamsOf, type QueryOf, type RouteName } from '../../src/protocol/routes';
import type { AnswerOf, AnsweredRoute } from '../../src/protocol/answers';
import type { Operation, StorageType } from '../../src/protocol/storageTypes';
import { DEFAULT_CONTENT_TYPE } from '../../src/protocol/contentTypes';

/** A call of one route: its query, and the headers and body beside the token. */
export interface RouteCall<R extends RouteName> {
  query?: QueryOf<R>;
  headers?: Record<string, string>;
  body?: string;
}

export type { Operation };

/** What the caller may do on each storage type (GET /capabilities). */
export type Capabilities = AnswerOf<'capabilities'>;
/** The operations allowed on one type, and what its rules say to a caller refused something. */
export type TypeCapabilities = Capabilities['types'][StorageType];

/** A key as its folder's listing tells it: no HEAD per key. */
export interface ListedKey {
  key: string;
  size: number;
  lastModified: Date;
}

export interface Listing {
  keys: ListedKey[];
  prefixes: string[];
  next: string | undefined;
}

export interface ObjectDetails {
  size: number;
  contentType: string;
  etag: string;
  lastModified: Date | undefined;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const HINTS: Record<number, string> = {
  401: 'Sign in again with a valid token.',
  403: '',
  404: '',
  409: '',
  429: 'Too many transfers at once; try again in a moment.',
  503: 'The storage is unavailable right now; try again in a moment.',
};

/** Hints for refusals whose status alone does not say what to do. */
const CODE_HINTS: Record<string, string> = {
  quota_exceeded: 'Delete files you no longer need here, or ask the gateway’s operator for a larger quota.',
};

const WITHOUT_BODY: Record<number, string> = {
  400: 'The request was refused as malformed.',
  401: 'Your token was not accepted.',
  403: 'You are not allowed to do this here.',
  404: 'There is nothing at this key (it may have been deleted).',
  409: 'This conflicts with what is stored.',
  413: 'This is too large to store here.',
  415: 'This storage type does not store files of this kind.',
};

async function errorOf(response: Response): Promise<ApiError> {
  let code = 'http_' + response.status;
  let message = WITHOUT_BODY[response.status] ?? `The gateway answered ${response.status} ${response.statusText}.`;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string' && body.error.message) message = body.error.message;
  } catch {
    // A HEAD answer, or a proxy's page: keep the plain words for the status.
  }
  const hint = CODE_HINTS[code] ?? HINTS[response.status];
  const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
  return new ApiError(response.status, code, hint ? `${sentence} ${hint}` : sentence);
}

export class Api {
  constructor(private readonly token: string) {}

  private async call<R extends RouteName>(route: R, params: ParamsOf<R>, options: RouteCall<R> = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${API_BASE}${pathTo(route, params, options.query)}`, {
        method: ROUTES[route].method,
        headers: { ...options.headers, authorization: `Bearer ${this.token}` },
        body: options.body,
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch {
      throw new ApiError(0, 'network', 'The gateway did not answer. Check the connection and try again.');
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  async capabilities(): Promise<Capabilities> {
    return this.json('capabilities', {});
  }

  /** One page of a folder: its keys with their sizes and dates, its sub-folders, and the token for the next page. */
  async list(type: StorageType, prefix: string, next?: string): Promise<Listing> {
    // A next page's token carries the prefix and delimiter; details shape each page's answer, so every page asks.
    const query = next ? { details: 1 } : { prefix, delimiter: '/', details: 1 };
    const response = await this.call('list', { type }, { query, headers: next ? { [HEADERS.next]: next } : {} });
    // Asked with details, the answer is the detailed form.
    const body = (await response.json()) as Extract<AnswerOf<'list'>, { objects: unknown[] }>;
    return {
      keys: body.objects.map(({ key, size, lastModified }) => ({ key, size, lastModified: new Date(lastModified) })),
      prefixes: body.prefixes,
      next: response.headers.get(HEADERS.next) ?? undefined,
    };
  }

  async details(type: StorageType, key: string): Promise<ObjectDetails> {
    const response = await this.call('exists', { type, key });
    const modified = response.headers.get('last-modified');
    return {
      size: Number(response.headers.get('content-length') ?? 0),
      contentType: response.headers.get('content-type') ?? DEFAULT_CONTENT_TYPE,
      etag: response.headers.get('etag') ?? '',
      lastModified: modified ? new Date(modified) : undefined,
    };
  }

  /** A presigned download URL, good for `expiresIn` seconds (the gateway's default when absent). */
  async downloadUrl(type: StorageType, key: string, expiresIn?: number): Promise<string> {
    const url = (await (await this.call('download_url', { type, key }, { query: { expires_in: expiresIn } })).text()).trim();
    // Only ever an http(s) URL becomes a link.
    if (!/^https?:\/\//i.test(url)) throw new ApiError(502, 'bad_url', 'The gateway answered something that is not a download link.');
    return url;
  }

  async remove(type: StorageType, key: string): Promise<void> {
    await this.call('delete', { type, key });
  }

  /** A call of a route that answers JSON: the answer, typed by the route's schema. */
  async json<R extends RouteName & AnsweredRoute>(
    route: R,
    params: ParamsOf<NoInfer<R>>,
    options: RouteCall<NoInfer<R>> = {},
  ): Promise<AnswerOf<R>> {
    return (await (await this.call(route, params, options)).json()) as AnswerOf<R>;
  }

  async text<R extends RouteName>(route: R, params: ParamsOf<R>, options: RouteCall<R> = {}): Promise<string> {
    return (await (await this.call(route, params, options)).text()).trim();
  }

  async empty<R extends RouteName>(route: R, params: ParamsOf<R>, options: RouteCall<R> = {}): Promise<void> {
    await this.call(route, params, options);
  }
}
