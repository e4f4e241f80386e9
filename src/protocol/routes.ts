/**
 * The Storage API's routes as callers address them: method, path template and query names,
 * and the headers the API defines. The gateway's route contracts (src/http/routes) take their
 * paths from here, and the client and the storage browser build every request with `pathTo`,
 * so a route is spelled once. Shared by the client, the console and the server: imports
 * nothing.
 *
 * Path templates name their parameters in braces; `{key+}` takes the rest of the path,
 * slashes included (API Gateway's notation, as in the OpenAPI document).
 */

/** Where the API lives on the gateway; routes below are relative to it. */
export const API_BASE = '/storage/v1';

export const ROUTES = {
  set: { method: 'PUT', path: '/{type}/{key+}', query: [] },
  get: { method: 'GET', path: '/{type}/get/{key+}', query: [] },
  exists: { method: 'HEAD', path: '/{type}/get/{key+}', query: [] },
  delete: { method: 'DELETE', path: '/{type}/{key+}', query: [] },
  list: { method: 'GET', path: '/{type}/list', query: ['prefix', 'delimiter', 'details'] },
  upload_url: { method: 'GET', path: '/{type}/new_resumable_url/{key+}', query: ['content_type', 'expires_in', 'size'] },
  download_url: { method: 'GET', path: '/{type}/get_signed_url/{key+}', query: ['expires_in'] },
  copy: { method: 'POST', path: '/copy/{user_ns}/src/{src_bucket}/{src+}/dest/{dest_type}/{dest+}', query: [] },
  // A multipart upload: the key's sessions, and one session by its uploadId.
  multipart_start: { method: 'POST', path: '/multipart/{type}/{key+}', query: ['size', 'content_type'] },
  multipart_sessions: { method: 'GET', path: '/multipart/{type}/{key+}', query: [] },
  multipart_part_urls: { method: 'GET', path: '/multipart/sessions/{uploadId}/urls/{type}/{key+}', query: ['parts'] },
  multipart_parts: { method: 'GET', path: '/multipart/sessions/{uploadId}/parts/{type}/{key+}', query: [] },
  multipart_complete: { method: 'POST', path: '/multipart/sessions/{uploadId}/complete/{type}/{key+}', query: [] },
  multipart_abort: { method: 'DELETE', path: '/multipart/sessions/{uploadId}/{type}/{key+}', query: [] },
  capabilities: { method: 'GET', path: '/capabilities', query: [] },
  // Temporary S3 credentials scoped to the caller's namespace and rights.
  credentials: { method: 'POST', path: '/credentials', query: ['expires_in'] },
  // Usage and quotas: the caller's own, and (storage:admin) any namespace's.
  usage: { method: 'GET', path: '/usage', query: [] },
  admin_usage: { method: 'GET', path: '/admin/usage/{namespace}', query: [] },
  admin_quotas: { method: 'PUT', path: '/admin/quotas/{namespace}', query: [] },
  admin_recount: { method: 'POST', path: '/admin/usage/{namespace}/recount', query: [] },
  sign_in: { method: 'POST', path: '/sign-in', query: [] },
  openapi: { method: 'GET', path: '/openapi.json', query: [] },
} as const satisfies Record<string, { method: string; path: string; query: readonly string[] }>;

export type RouteName = keyof typeof ROUTES;

/** Headers of the API's own (lower case, as Node and fetch give them). */
export const HEADERS = {
  /** A service token names the namespace it acts for. */
  namespace: 'x-storage-namespace',
  /** A listing's next page: answered when more keys remain, sent back to get them. */
  next: 'x-next',
  /** Every answer's id, to quote when reporting a problem. */
  requestId: 'x-request-id',
} as const;

type ParamNames<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? (Name extends `${infer Rest}+` ? Rest : Name) | ParamNames<Rest>
  : never;

/** The path parameters of a route, by name. */
export type ParamsOf<R extends RouteName> = Record<ParamNames<(typeof ROUTES)[R]['path']>, string>;

/** The query parameters a route takes; unset ones are left out. */
export type QueryOf<R extends RouteName> = Partial<Record<(typeof ROUTES)[R]['query'][number], string | number | undefined>>;

/** The route's full path on the gateway, as its contract declares it. */
export function serverPath(route: RouteName): string {
  return `${API_BASE}${ROUTES[route].path}`;
}

/** The names of the route's parameters that take the rest of the path (keys). */
export function keyParamsOf(route: RouteName): string[] {
  return [...ROUTES[route].path.matchAll(/\{(\w+)\+\}/g)].map((match) => match[1] as string);
}

/**
 * A request's path relative to the API root, with its query: each key's `/`-separated parts
 * escaped on their own (the gateway decodes the path once), other parameters escaped whole.
 */
export function pathTo<R extends RouteName>(route: R, params: ParamsOf<R>, query: QueryOf<R> = {}): string {
  const values = params as Record<string, string>;
  const path = ROUTES[route].path.replace(/\{(\w+)(\+?)\}/g, (_, name: string, rest: string) => {
    const value = values[name] ?? '';
    return rest === '+' ? keyPath(value) : encodeURIComponent(value);
  });
  const search = Object.entries(query as Record<string, string | number | undefined>)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join('&');
  return search === '' ? path : `${path}?${search}`;
}

/** Each `/`-separated part of a key escaped on its own. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
