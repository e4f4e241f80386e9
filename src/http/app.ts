/**
 * The Express app: middleware written once, then the route table, one small handler per
 * route of the contract. Each route names its OpenAPI path, and a test holds the table and
 * the OpenAPI document to each other.
 */
import express, { type Express, type RequestHandler } from 'express';
import type { SignInTickets } from '../auth/signInTickets';
import type { TokenVerifier } from '../auth/tokens';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { StorageService } from '../storage/service';
import type { StoreEndpoints } from '../store/endpoints';
import { consoleRoutes, type ConsoleOptions } from './console';
import type { InFlight } from './inFlight';
import { accessLog } from './middleware/accessLog';
import { authenticate } from './middleware/authenticate';
import { apiCors } from './middleware/cors';
import { errorHandler, notFoundRoute } from './middleware/errors';
import { transferLimit } from './middleware/transfers';
import { named, observe } from './middleware/observe';
import { requestId } from './middleware/requestId';
import { privateResponses, securityHeaders } from './middleware/securityHeaders';
import { openApiDocument } from './openapi';
import { parseQueryStrictly } from './query';
import { capabilities } from './routes/capabilities';
import { copyObject } from './routes/copyObject';
import { deleteObject } from './routes/deleteObject';
import { getObject } from './routes/getObject';
import { headObject } from './routes/headObject';
import { healthz, metricsRoute, readyz } from './routes/health';
import { listKeys } from './routes/listKeys';
import { abortUpload, partUrlsOrList, startOrCompleteUpload } from './routes/multipart';
import { putObject } from './routes/putObject';
import { signIn } from './routes/signIn';
import { getSignedUrl, newResumableUrl } from './routes/signedUrls';

export const API_BASE = '/storage/v1';

export interface AppDependencies {
  service: StorageService;
  verifier: TokenVerifier;
  logger: Logger;
  metrics: Metrics;
  /** Uploads streaming through the gateway and server-side copies, which shutdown lets settle. */
  uploads: InFlight;
  /** False once the gateway is stopping, so /readyz sends load balancers elsewhere. */
  accepting: () => boolean;
  /** True once the buckets and signing identities are in place (the store may have been down at start). */
  prepared: () => boolean;
  /** The store's endpoints, whose states /readyz shows. */
  endpoints: StoreEndpoints;
  /** Streams one caller may have under way at once. */
  maxTransfersPerCaller: number;
  /** A request on whose connection no byte moves for this long is cut. */
  idleTimeoutMs: number;
  /** Origins whose pages may call the API from a browser (CORS_ORIGINS). */
  corsOrigins?: readonly string[] | undefined;
  /** One-time sign-in links (an HS256 secret is configured); absent: POST /sign-in answers 404. */
  signInTickets?: SignInTickets | undefined;
  /** The storage browser's files and the store origins its page may reach; absent: no console. */
  console?: ConsoleOptions | undefined;
}

export interface RouteSpec {
  method: 'get' | 'head' | 'put' | 'post' | 'delete';
  /** Express path, under the table's mount point. */
  path: string;
  /** The route's path in the OpenAPI document (from the server root). */
  documented: string;
  /** For logs and metrics. */
  name: string;
  handlers: RequestHandler[];
}

/** Served without a token: probes, metrics and the API description. */
export function publicRoutes({ service, metrics, accepting, prepared, endpoints, signInTickets }: AppDependencies): RouteSpec[] {
  return [
    { method: 'post', path: `${API_BASE}/sign-in`, documented: `${API_BASE}/sign-in`, name: 'sign_in', handlers: signIn(signInTickets) },
    { method: 'get', path: '/healthz', documented: '/healthz', name: 'healthz', handlers: [healthz()] },
    { method: 'get', path: '/readyz', documented: '/readyz', name: 'readyz', handlers: [readyz(service, accepting, prepared, endpoints)] },
    { method: 'get', path: '/metrics', documented: '/metrics', name: 'metrics', handlers: [metricsRoute(metrics)] },
    {
      method: 'get',
      path: `${API_BASE}/openapi.json`,
      documented: `${API_BASE}/openapi.json`,
      name: 'openapi',
      handlers: [(_req, res) => void res.json(openApiDocument)],
    },
  ];
}

/** The Storage API, under API_BASE, every route behind a bearer token. Order matters. */
export function apiRoutes({ service, uploads, maxTransfersPerCaller }: AppDependencies): RouteSpec[] {
  const doc = (path: string) => `${API_BASE}${path}`;
  // One budget for GET and PUT bodies together.
  const transfer = transferLimit(maxTransfersPerCaller);
  return [
    { method: 'get', path: '/capabilities', documented: doc('/capabilities'), name: 'capabilities', handlers: [capabilities(service)] },
    {
      method: 'post',
      path: '/copy/:namespace/src/:bucket{/*key}',
      documented: doc('/copy/{user_ns}/src/{src_bucket}/{src}/dest/{dest_type}/{dest}'),
      name: 'copy',
      handlers: [copyObject(service, uploads)],
    },
    // Before the generic /{type}/{key} routes, which would read "multipart" as a storage type.
    {
      method: 'post',
      path: '/multipart/:type{/*key}',
      documented: doc('/multipart/{type}/{key}'),
      name: 'multipart_start_or_complete',
      handlers: [express.json({ limit: '2mb' }), startOrCompleteUpload(service)],
    },
    {
      method: 'get',
      path: '/multipart/:type{/*key}',
      documented: doc('/multipart/{type}/{key}'),
      name: 'multipart_parts',
      handlers: [partUrlsOrList(service)],
    },
    {
      method: 'delete',
      path: '/multipart/:type{/*key}',
      documented: doc('/multipart/{type}/{key}'),
      name: 'multipart_abort',
      handlers: [abortUpload(service)],
    },
    { method: 'get', path: '/:type/list', documented: doc('/{type}/list'), name: 'list', handlers: [listKeys(service)] },
    // HEAD first: Express lets a GET route answer HEAD when it comes earlier.
    { method: 'head', path: '/:type/get{/*key}', documented: doc('/{type}/get/{key}'), name: 'exists', handlers: [headObject(service)] },
    {
      method: 'get',
      path: '/:type/get{/*key}',
      documented: doc('/{type}/get/{key}'),
      name: 'get',
      handlers: [transfer, getObject(service)],
    },
    {
      method: 'get',
      path: '/:type/new_resumable_url{/*key}',
      documented: doc('/{type}/new_resumable_url/{key}'),
      name: 'upload_url',
      handlers: [newResumableUrl(service)],
    },
    {
      method: 'get',
      path: '/:type/get_signed_url{/*key}',
      documented: doc('/{type}/get_signed_url/{key}'),
      name: 'download_url',
      handlers: [getSignedUrl(service)],
    },
    {
      method: 'put',
      path: '/:type{/*key}',
      documented: doc('/{type}/{key}'),
      name: 'set',
      handlers: [transfer, putObject(service, uploads)],
    },
    { method: 'delete', path: '/:type{/*key}', documented: doc('/{type}/{key}'), name: 'delete', handlers: [deleteObject(service)] },
  ];
}

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', parseQueryStrictly);
  // Every request, also the second on a kept-alive connection (where Node leaves the socket
  // with no timeout), is cut when nothing moves for the idle limit.
  app.use((req, _res, next) => {
    req.socket.setTimeout(deps.idleTimeoutMs);
    next();
  });
  app.use(requestId());
  app.use(accessLog(deps.logger));
  app.use(observe(deps.metrics));
  app.use(securityHeaders());

  // Before any route: a preflight carries no token, and the API description is public.
  app.use(API_BASE, apiCors(deps.corsOrigins ?? []));
  for (const route of publicRoutes(deps)) app[route.method](route.path, named(route.name), ...route.handlers);

  // Keys are case-sensitive. Routing is not strict, yet the greedy key wildcard keeps a
  // trailing `/` in the key (which the key rules refuse) and `/{type}/get/` arrives as an
  // empty key, so both get a 400 rather than a silent rewrite or a 404.
  const api = express.Router({ caseSensitive: true });
  api.use(privateResponses());
  api.use(authenticate(deps.verifier));
  for (const route of apiRoutes(deps)) api[route.method](route.path, named(route.name), ...route.handlers);
  app.use(API_BASE, api);
  // The storage browser: static files outside API_BASE, under a policy of their own; after the
  // API, so API requests never pass through its routes.
  if (deps.console) app.use(consoleRoutes(deps.console));

  app.use(notFoundRoute());
  app.use(errorHandler(deps.logger));
  return app;
}
