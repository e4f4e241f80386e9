/**
 * The Express app: middleware written once, then the route table, one small file per route,
 * each declaring its contract (contract.ts), from which the OpenAPI document is generated.
 */
import express, { type Express, type IRouter } from 'express';
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
import { minimumRate, type MinimumRate } from './middleware/slowClients';
import { requestDeadline } from './middleware/deadline';
import { FairPool } from '../shares';
import { named, observe } from './middleware/observe';
import { requestId } from './middleware/requestId';
import { privateResponses, securityHeaders } from './middleware/securityHeaders';
import { openApiDocument, type OpenApiDocument } from './openapi';
import type { Route } from './contract';
import { parseQueryStrictly } from './query';
import { apiDescription } from './routes/apiDescription';
import { adminQuotas, adminRecount, adminUsage, usage } from './routes/usage';
import { s3Credentials } from './routes/credentials';
import { capabilities } from './routes/capabilities';
import { copyObject } from './routes/copyObject';
import { deleteObject } from './routes/deleteObject';
import { getObject } from './routes/getObject';
import { headObject } from './routes/headObject';
import { healthz, metricsRoute, readyz } from './routes/health';
import { listKeys } from './routes/listKeys';
import { abortUpload, completeUpload, legacyPaths, openSessions, partUrls, startUpload, storedParts } from './routes/multipart';
import { putObject } from './routes/putObject';
import { signIn } from './routes/signIn';
import { getSignedUrl, newResumableUrl } from './routes/signedUrls';
import { API_BASE } from '../protocol/routes';

export { API_BASE };

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
  /** Streams one principal may have under way at once, and the gateway in all. */
  maxTransfersPerCaller: number;
  maxTransfers: number;
  /** A request on whose connection no byte moves for this long is cut. */
  idleTimeoutMs: number;
  /** A request on which the caller moves fewer bytes than this is cut. */
  minTransferRate: Omit<MinimumRate, 'storeStallMs'>;
  /** Once its body has arrived, a request's answer must begin within this (else 503). */
  requestDeadlineMs: number;
  /** Origins whose pages may call the API from a browser (CORS_ORIGINS). */
  corsOrigins?: readonly string[] | undefined;
  /** One-time sign-in links (an HS256 secret is configured); absent: POST /sign-in answers 404. */
  signInTickets?: SignInTickets | undefined;
  /** The storage browser's files and the store origins its page may reach; absent: no console. */
  console?: ConsoleOptions | undefined;
}

/**
 * Every route, in the order Express tries them. Public routes are served without a token;
 * the rest sit behind one under API_BASE. The API description is generated from this table.
 */
export function routeTable(deps: AppDependencies): Route[] {
  const { service, metrics, accepting, prepared, endpoints, signInTickets, uploads } = deps;
  // One budget for GET and PUT bodies together.
  const transfer = transferLimit(
    new FairPool({
      limit: 'transfers_per_caller',
      totalLimit: 'transfers_total',
      slots: deps.maxTransfers,
      perPrincipal: deps.maxTransfersPerCaller,
      queuedPerPrincipal: 0,
      maxWaitMs: 0,
      what: 'uploads and downloads',
      code: 'too_many_transfers',
      // Many callers each at their share fill three quarters; the last quarter stays for those
      // holding a few, so they are served while the gateway is full of others' streams.
      reserve: { slots: Math.floor(deps.maxTransfers / 4), heldBelow: Math.max(1, Math.ceil(deps.maxTransfersPerCaller / 4)) },
    }),
  );
  const routes: Route[] = [
    signIn(signInTickets),
    healthz(),
    readyz(service, accepting, prepared, endpoints),
    metricsRoute(metrics),
    apiDescription(() => description),
    capabilities(service),
    usage(service),
    s3Credentials(service),
    adminUsage(service),
    adminQuotas(service),
    adminRecount(service),
    copyObject(service, uploads),
    // Before the generic /{type}/{key} routes, which would read "multipart" as a storage type.
    // Sessions by uploadId first, which the key's routes would read as a type named "sessions".
    partUrls(service),
    storedParts(service),
    completeUpload(service),
    abortUpload(service),
    startUpload(service),
    openSessions(service),
    listKeys(service),
    // HEAD first: Express lets a GET route answer HEAD when it comes earlier.
    headObject(service),
    getObject(service, transfer),
    newResumableUrl(service),
    getSignedUrl(service),
    putObject(service, uploads, transfer),
    deleteObject(service),
  ];
  // Generated at start, so a contract the generator cannot describe stops the gateway there.
  const description: OpenApiDocument = openApiDocument(routes);
  return routes;
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
  app.use(minimumRate({ ...deps.minTransferRate, storeStallMs: deps.requestDeadlineMs }));
  app.use(requestDeadline({ ms: deps.requestDeadlineMs, underWay: (ms) => deps.service.storeCallsUnderWay(ms) }));
  app.use(securityHeaders());

  // Before any route: a preflight carries no token, and the API description is public.
  app.use(API_BASE, apiCors(deps.corsOrigins ?? []));
  const routes = routeTable(deps);
  const mount = (router: IRouter, base: string, route: Route) =>
    router[route.contract.method](route.expressPath(base), named(route.contract.name), route.handlers);
  for (const route of routes.filter((r) => r.contract.public)) mount(app, '', route);

  // Keys are case-sensitive. Routing is not strict, yet the greedy key wildcard keeps a
  // trailing `/` in the key (which the key rules refuse) and `/{type}/get/` arrives as an
  // empty key, so both get a 400 rather than a silent rewrite or a 404.
  const api = express.Router({ caseSensitive: true });
  api.use(privateResponses());
  api.use(authenticate(deps.verifier));
  api.use(legacyPaths());
  for (const route of routes.filter((r) => !r.contract.public)) mount(api, API_BASE, route);
  app.use(API_BASE, api);
  // The storage browser: static files outside API_BASE, under a policy of their own; after the
  // API, so API requests never pass through its routes.
  if (deps.console) app.use(consoleRoutes(deps.console));

  app.use(notFoundRoute());
  app.use(errorHandler(deps.logger));
  return app;
}
