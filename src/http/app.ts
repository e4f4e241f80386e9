/** The Express app: middleware written once, then one small handler per route of the contract. */
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { TokenVerifier } from '../auth/tokens';
import type { StorageService } from '../storage/service';
import { authenticate } from './middleware/authenticate';
import { parseQueryStrictly } from './query';
import { requestId } from './middleware/requestId';
import { privateResponses, securityHeaders } from './middleware/securityHeaders';
import { copyObject } from './routes/copyObject';
import { errorHandler, notFoundRoute } from './middleware/errors';
import { deleteObject } from './routes/deleteObject';
import { getObject } from './routes/getObject';
import { headObject } from './routes/headObject';
import { healthz, readyz } from './routes/health';
import { listKeys } from './routes/listKeys';
import { abortUpload, partUrlsOrList, startOrCompleteUpload } from './routes/multipart';
import { putObject } from './routes/putObject';
import { getSignedUrl, newResumableUrl } from './routes/signedUrls';

export const API_BASE = '/storage/v1';

export interface AppDependencies {
  service: StorageService;
  verifier: TokenVerifier;
  logger: Logger;
}

export function createApp({ service, verifier, logger }: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', parseQueryStrictly);
  app.use(requestId());
  app.use(securityHeaders());

  app.get('/healthz', healthz());
  app.get('/readyz', readyz(service));

  // Keys are case-sensitive. Routing is not strict, yet the greedy key wildcard keeps a
  // trailing `/` in the key (which the key rules refuse) and `/{type}/get/` arrives as an
  // empty key, so both get a 400 rather than a silent rewrite or a 404.
  const api = express.Router({ caseSensitive: true });
  api.use(privateResponses());
  api.use(authenticate(verifier));
  api.post('/copy/:namespace/src/:bucket{/*key}', copyObject(service));
  // Before the generic /{type}/{key} routes, which would read "multipart" as a storage type.
  api.post('/multipart/:type{/*key}', express.json({ limit: '2mb' }), startOrCompleteUpload(service));
  api.get('/multipart/:type{/*key}', partUrlsOrList(service));
  api.delete('/multipart/:type{/*key}', abortUpload(service));
  api.get('/:type/list', listKeys(service));
  // HEAD first: Express lets a GET route answer HEAD when it comes earlier.
  api.head('/:type/get{/*key}', headObject(service));
  api.get('/:type/get{/*key}', getObject(service));
  api.get('/:type/new_resumable_url{/*key}', newResumableUrl(service));
  api.get('/:type/get_signed_url{/*key}', getSignedUrl(service));
  api.put('/:type{/*key}', putObject(service));
  api.delete('/:type{/*key}', deleteObject(service));
  app.use(API_BASE, api);

  app.use(notFoundRoute());
  app.use(errorHandler(logger));
  return app;
}
