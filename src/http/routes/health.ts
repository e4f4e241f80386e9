/** Liveness, readiness and metrics for orchestrators and scrapers; no auth. */
import type { RequestHandler } from 'express';
import type { Metrics } from '../../metrics';
import type { StoreEndpoints } from '../../store/endpoints';
import type { StorageService } from '../../storage/service';
import { StoreUnavailable } from '../../errors';

/** The process is up and serving HTTP. */
export function healthz(): RequestHandler {
  return (_req, res) => {
    res.status(200).json({ status: 'ok' });
  };
}

/** /readyz answers within this, whatever the store does (a frozen node must not hang probes). */
const READY_CHECK_MS = 1500;

/**
 * The object store answers, every bucket is in place, and the gateway is not stopping. The
 * answer lists each store endpoint's state from the health checks, by its place in
 * S3_ENDPOINT: this route answers anyone, and the store's internal addresses are not theirs
 * to learn (the URLs are in /metrics and the logs, for operators).
 */
export function readyz(
  service: StorageService,
  accepting: () => boolean,
  prepared: () => boolean,
  endpoints: StoreEndpoints,
): RequestHandler {
  return async (_req, res) => {
    if (!accepting()) throw new StoreUnavailable('The gateway is shutting down');
    if (!prepared()) throw new StoreUnavailable('The object store has not answered since start-up; the buckets are not prepared yet');
    const states = endpoints.list();
    // No endpoint passes its health check: say so at once rather than wait on a dead store.
    if (!endpoints.anyUp) throw new StoreUnavailable(`None of the ${states.length} store endpoint(s) answers its health check`);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer in time')), READY_CHECK_MS);
    });
    try {
      await Promise.race([service.checkReady(), late]);
    } catch {
      throw new StoreUnavailable('The object store is not reachable or its buckets are not ready');
    } finally {
      clearTimeout(timer);
    }
    res.status(200).json({
      status: 'ready',
      endpoints: states.map((state, i) => ({
        endpoint: i + 1,
        up: state.up,
        since: state.since.toISOString(),
        ...(state.reason && { reason: state.reason }),
      })),
    });
  };
}

/** Prometheus text format. Meant for scrapers inside the network: restrict it there. */
export function metricsRoute(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.status(200).send(await metrics.render());
  };
}
