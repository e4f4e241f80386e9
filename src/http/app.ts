/** The Express app: middleware written once, then one small handler per route of the contract. */
import express, { type Express } from 'express';
import type { TokenVerifier } from '../auth/tokens';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { StorageService } from '../storage/service';
import type { InFlight } from './inFlight';
import { accessLog } from './middleware/accessLog';
import { named, observe } from './middleware/observe';
import { authenticate } from './middleware/authenticate';
import { parseQueryStrictly } from './query';
import { requestId } from './middleware/requestId';
import { privateResponses, securityHeaders } from './middleware/securityHeaders';
import { copyObject } from './routes/copyObject';
import { errorHandler, notFoundRoute } from './middleware/errors';
import { deleteObject } from './routes/deleteObject';
import { getObject } from './routes/getObject';
import { headObject } from './routes/headObject';
import { healthz, metricsRoute, readyz } from './routes/health';
import { listKeys } from './routes/listKeys';
import { abortUpload, partUrlsOrList, startOrCompleteUpload } from './routes/multipart';
import { putObject } from './routes/putObject';
import { getSignedUrl, newResumableUrl } from './routes/signedUrls';

export const API_BASE = '/storage/v1';

export interface AppDependencies {
  service: StorageService;
  verifier: TokenVerifier;
  logger: Logger;
  metrics: Metrics;
  /** Uploads streaming through the gateway, which shutdown lets settle. */
  uploads: InFlight;
  /** False once the gateway is stopping, so /readyz sends load balancers elsewhere. */
  accepting: () => boolean;
}

export function createApp({ service, verifier, logger, metrics, uploads, accepting }: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', parseQueryStrictly);
  app.use(requestId());
  app.use(accessLog(logger));
  app.use(observe(metrics));
  app.use(securityHeaders());

  app.get('/healthz', named('healthz'), healthz());
  app.get('/readyz', named('readyz'), readyz(service, accepting));
  app.get('/metrics', named('metrics'), metricsRoute(metrics));

  // Keys are case-sensitive. Routing is not strict, yet the greedy key wildcard keeps a
  // trailing `/` in the key (which the key rules refuse) and `/{type}/get/` arrives as an
  // empty key, so both get a 400 rather than a silent rewrite or a 404.
  const api = express.Router({ caseSensitive: true });
  api.use(privateResponses());
  api.use(authenticate(verifier));
  api.post('/copy/:namespace/src/:bucket{/*key}', named('copy'), copyObject(service));
  // Before the generic /{type}/{key} routes, which would read "multipart" as a storage type.
  api.post('/multipart/:type{/*key}', named('multipart_start_or_complete'), express.json({ limit: '2mb' }), startOrCompleteUpload(service));
  api.get('/multipart/:type{/*key}', named('multipart_parts'), partUrlsOrList(service));
  api.delete('/multipart/:type{/*key}', named('multipart_abort'), abortUpload(service));
  api.get('/:type/list', named('list'), listKeys(service));
  // HEAD first: Express lets a GET route answer HEAD when it comes earlier.
  api.head('/:type/get{/*key}', named('exists'), headObject(service));
  api.get('/:type/get{/*key}', named('get'), getObject(service));
  api.get('/:type/new_resumable_url{/*key}', named('upload_url'), newResumableUrl(service));
  api.get('/:type/get_signed_url{/*key}', named('download_url'), getSignedUrl(service));
  api.put('/:type{/*key}', named('set'), putObject(service, uploads));
  api.delete('/:type{/*key}', named('delete'), deleteObject(service));
  app.use(API_BASE, api);

  app.use(notFoundRoute());
  app.use(errorHandler(logger));
  return app;
}
