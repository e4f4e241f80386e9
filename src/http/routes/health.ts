/** Liveness and readiness for orchestrators; no auth. */
import type { RequestHandler } from 'express';
import type { StorageService } from '../../storage/service';
import { StoreUnavailable } from '../../storage/errors';

/** The process is up and serving HTTP. */
export function healthz(): RequestHandler {
  return (_req, res) => {
    res.status(200).json({ status: 'ok' });
  };
}

/** The object store answers and every bucket is in place. */
export function readyz(service: StorageService): RequestHandler {
  return async (_req, res) => {
    try {
      await service.checkReady();
    } catch {
      throw new StoreUnavailable('The object store is not reachable or its buckets are not ready');
    }
    res.status(200).json({ status: 'ready' });
  };
}
