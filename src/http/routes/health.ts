/** Liveness, readiness and metrics for orchestrators and scrapers; no auth. */
import type { Metrics } from '../../metrics';
import type { StoreEndpoints } from '../../store/endpoints';
import type { StorageService } from '../../storage/service';
import { StoreUnavailable } from '../../errors';
import { defineRoute, type Route } from '../contract';
import { json } from '../schemas';
import { readiness, status } from '../../protocol/answers';

/** The process is up and serving HTTP. */
export function healthz(): Route {
  return defineRoute(
    {
      method: 'get',
      path: '/healthz',
      name: 'healthz',
      summary: 'The process is up',
      public: true,
      responses: { '200': { description: 'Up', content: json(status) } },
    },
    () => ({ status: 200, body: { status: 'ok' } }),
  );
}

/** The buckets are checked again at most this often, in the background of /readyz. */
const BUCKET_CHECK_EVERY_MS = 5_000;
/** A bucket check gets this long; one without an answer decides nothing. */
const BUCKET_CHECK_MS = 3_000;

/**
 * Whether the buckets are in place, as last answered. Asked in the background, so /readyz
 * never waits on the store: a check that times out (a healthy node waiting on a frozen peer,
 * a store busy under load) keeps the last verdict; only an answer changes it.
 */
class BucketCheck {
  private missing: string | undefined;
  private checkedAt = 0;
  private checking = false;

  constructor(private readonly check: () => Promise<void>) {}

  /** Why the buckets are not ready, as last known; starts a new check when the last is stale. */
  problem(): string | undefined {
    if (!this.checking && Date.now() - this.checkedAt > BUCKET_CHECK_EVERY_MS) void this.refresh();
    return this.missing;
  }

  private async refresh(): Promise<void> {
    this.checking = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), BUCKET_CHECK_MS)));
    try {
      const outcome = await Promise.race([this.check().then(() => 'ok' as const), late]);
      if (outcome === 'ok') this.missing = undefined;
    } catch (error) {
      // An answer that the buckets are not there (or not ours) decides; an outage does not.
      const reason = (error as { reason?: string }).reason ?? '';
      if (!(error instanceof StoreUnavailable) || /NoSuchBucket|HTTP 4\d\d/.test(reason)) {
        this.missing = 'The buckets are not in place on the object store';
      }
    } finally {
      clearTimeout(timer);
      this.checkedAt = Date.now();
      this.checking = false;
    }
  }
}

/**
 * Ready while the gateway can serve: not stopping, its buckets prepared (and not found gone
 * since), and some store endpoint in rotation, which on MinIO means alive and seeing the
 * cluster's write quorum (endpoints.ts). It never waits on the store, so one frozen node
 * does not take every replica out of a load balancer. The answer lists each endpoint's state
 * by its place in S3_ENDPOINT: this route answers anyone, and the store's internal addresses
 * are not theirs to learn (the URLs are in the logs, for operators).
 */
export function readyz(service: StorageService, accepting: () => boolean, prepared: () => boolean, endpoints: StoreEndpoints): Route {
  const buckets = new BucketCheck(() => service.buckets.checkReady());
  return defineRoute(
    {
      method: 'get',
      path: '/readyz',
      name: 'readyz',
      summary: 'The gateway can serve: not stopping, its buckets in place, and a store endpoint in rotation',
      public: true,
      responses: { '200': { description: "Ready, with each store endpoint's health", content: json(readiness) } },
      errors: [503],
    },
    () => {
      if (!accepting()) throw new StoreUnavailable('The gateway is shutting down');
      if (!prepared()) throw new StoreUnavailable('The object store has not answered since start-up; the buckets are not prepared yet');
      const states = endpoints.list();
      // No endpoint passes its health check: say so at once rather than wait on a dead store.
      if (!endpoints.anyUp) {
        const why = states.map((state, i) => `${i + 1}: ${state.reason ?? 'down'}`).join('; ');
        throw new StoreUnavailable(`No store endpoint can serve (${why})`);
      }
      const missing = buckets.problem();
      if (missing) throw new StoreUnavailable(missing);
      const warnings = service.storeWarnings();
      return {
        status: 200,
        body: {
          status: 'ready' as const,
          ...(warnings.length > 0 && { warnings }),
          endpoints: states.map((state, i) => ({
            endpoint: i + 1,
            up: state.up,
            since: state.since.toISOString(),
            ...(state.reason && { reason: state.reason }),
          })),
        },
      };
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
