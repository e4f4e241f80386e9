/** Liveness, readiness and metrics for orchestrators and scrapers; no auth. */
import type { RequestHandler } from 'express';
import type { Metrics } from '../../metrics';
import type { StorageService } from '../../storage/service';
import { StoreUnavailable } from '../../storage/errors';

/** The process is up and serving HTTP. */
export function healthz(): RequestHandler {
  return (_req, res) => {
    res.status(200).json({ status: 'ok' });
  };
}

/** The object store answers, every bucket is in place, and the gateway is not stopping. */
export function readyz(service: StorageService, accepting: () => boolean): RequestHandler {
  return async (_req, res) => {
    if (!accepting()) throw new StoreUnavailable('The gateway is shutting down');
    try {
      await service.checkReady();
    } catch {
      throw new StoreUnavailable('The object store is not reachable or its buckets are not ready');
    }
    res.status(200).json({ status: 'ready' });
  };
}

/** Prometheus text format. Meant for scrapers inside the network: restrict it there. */
export function metricsRoute(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.status(200).send(await metrics.render());
  };
}
