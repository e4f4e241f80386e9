/** Liveness, readiness and metrics for orchestrators and scrapers; no auth. */
import { z } from 'zod';
import type { Metrics } from '../../metrics';
import type { StoreEndpoints } from '../../store/endpoints';
import type { StorageService } from '../../storage/service';
import { StoreUnavailable } from '../../errors';
import { defineRoute, type Route } from '../contract';
import { json } from '../schemas';

const readiness = z
  .object({
    status: z.literal('ready'),
    endpoints: z.array(
      z.object({
        endpoint: z
          .number()
          .int()
          .min(1)
          .meta({ description: 'Its place in S3_ENDPOINT (1 is the first); the URL itself is not shown here' }),
        up: z.boolean().meta({ description: 'Whether it answers its health checks' }),
        since: z.iso.datetime().meta({ description: 'When its state last changed' }),
        reason: z.string().optional().meta({ description: 'Why it is down (ECONNREFUSED, no answer in time, HTTP 503)' }),
      }),
    ),
  })
  .meta({ id: 'Readiness' });

/** The process is up and serving HTTP. */
export function healthz(): Route {
  return defineRoute(
    {
      method: 'get',
      path: '/healthz',
      name: 'healthz',
      summary: 'The process is up',
      public: true,
      responses: { '200': { description: 'Up', content: json(z.object({ status: z.string() }).meta({ id: 'Status' })) } },
    },
    (_input, _req, res) => {
      res.status(200).json({ status: 'ok' });
    },
  );
}

/** /readyz answers within this, whatever the store does (a frozen node must not hang probes). */
const READY_CHECK_MS = 1500;

/**
 * The object store answers, every bucket is in place, and the gateway is not stopping. The
 * answer lists each store endpoint's state from the health checks, by its place in
 * S3_ENDPOINT: this route answers anyone, and the store's internal addresses are not theirs
 * to learn (the URLs are in /metrics and the logs, for operators).
 */
export function readyz(service: StorageService, accepting: () => boolean, prepared: () => boolean, endpoints: StoreEndpoints): Route {
  return defineRoute(
    {
      method: 'get',
      path: '/readyz',
      name: 'readyz',
      summary: 'The object store is reachable, the buckets exist, and the gateway is not stopping',
      public: true,
      responses: { '200': { description: "Ready, with each store endpoint's health", content: json(readiness) } },
      errors: [503],
    },
    async (_input, _req, res) => {
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
    },
  );
}

/** Prometheus text format. Meant for scrapers inside the network: restrict it there. */
export function metricsRoute(metrics: Metrics): Route {
  return defineRoute(
    {
      method: 'get',
      path: '/metrics',
      name: 'metrics',
      summary: 'Prometheus metrics',
      public: true,
      responses: {
        '200': { description: 'Metrics in the Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
      },
    },
    async (_input, _req, res) => {
      res.setHeader('Content-Type', metrics.registry.contentType);
      res.status(200).send(await metrics.render());
    },
  );
}
