/**
 * Prometheus metrics (prom-client), one registry per gateway so several can share a process.
 * Labels are bounded: route names are the gateway's own, storage types are the five (or
 * `none`), statuses are numbers.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LIMIT_NAMES, type LimitName } from './errors';
import type { FairPool } from './shares';
import type { StoreEndpoints } from './store/endpoints';
import type { StoreObserver } from './store/types';
import { STORAGE_TYPES, type StorageType } from './protocol/storageTypes';

/** One label set's series, looked up once: prom-client otherwise hashes the labels on every call. */
interface RequestSeries {
  requests: { inc(value?: number): void };
  duration: { observe(value: number): void };
  bytesIn: { inc(value?: number): void };
  bytesOut: { inc(value?: number): void };
}

export class Metrics implements StoreObserver {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'storage_http_requests_total',
    help: 'HTTP requests answered, by route, storage type and status',
    labelNames: ['method', 'route', 'storage_type', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'storage_http_request_duration_seconds',
    help: 'Time from request to the end of the response',
    labelNames: ['method', 'route', 'storage_type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({
    name: 'storage_http_received_bytes_total',
    help: 'Request body bytes received (blob uploads through the gateway)',
    labelNames: ['route', 'storage_type'] as const,
    registers: [this.registry],
  });
  readonly bytesOut = new Counter({
    name: 'storage_http_sent_bytes_total',
    help: 'Response bytes sent (blob downloads and API answers)',
    labelNames: ['route', 'storage_type'] as const,
    registers: [this.registry],
  });
  readonly storeDuration = new Histogram({
    name: 'storage_store_call_duration_seconds',
    help: 'Latency of calls to the object store, by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'storage_store_errors_total',
    help: 'Failed calls to the object store, by operation and kind',
    labelNames: ['operation', 'kind'] as const,
    registers: [this.registry],
  });

  readonly limitsHit = new Counter({
    name: 'storage_limits_hit_total',
    help: 'Requests refused or cut by one of the gateway limits (docs/security.md), by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  /** Bounded like the labels themselves (routes × types × methods × statuses). */
  private readonly requestSeries = new Map<string, RequestSeries>();
  /** Store-call timers by operation (the store's own names). */
  private readonly storeSeries = new Map<string, { observe(value: number): void }>();

  /**
   * `aggregate`: where the text for /metrics comes from when this process is one of several
   * workers (the primary sums every worker's registry); by default this registry alone.
   */
  constructor(
    uploadsInFlight: () => number,
    private readonly aggregate?: () => Promise<string>,
  ) {
    new Gauge({
      name: 'storage_uploads_in_flight',
      help: 'Uploads streaming through the gateway right now',
      registers: [this.registry],
      collect() {
        this.set(uploadsInFlight());
      },
    });
    collectDefaultMetrics({ register: this.registry });
    // Every limit shows, at 0 until hit, so an alert can be written before the first refusal.
    for (const limit of LIMIT_NAMES) this.limitsHit.inc({ limit }, 0);
  }

  limitHit(limit: LimitName): void {
    this.limitsHit.inc({ limit });
  }

  /** Slots held and callers' calls waiting in the store-call pools (shares.ts). */
  watchShares(pools: Record<'storeCalls' | 'heavyCalls', FairPool>): void {
    new Gauge({
      name: 'storage_store_calls_in_flight',
      help: "Callers' store calls under way, by pool (small calls; completions and copies)",
      labelNames: ['pool'] as const,
      registers: [this.registry],
      collect() {
        this.set({ pool: 'small' }, pools.storeCalls.held);
        this.set({ pool: 'heavy' }, pools.heavyCalls.held);
      },
    });
    new Gauge({
      name: 'storage_store_calls_waiting',
      help: "Callers' store calls waiting for their turn, by pool",
      labelNames: ['pool'] as const,
      registers: [this.registry],
      collect() {
        this.set({ pool: 'small' }, pools.storeCalls.queued);
        this.set({ pool: 'heavy' }, pools.heavyCalls.queued);
      },
    });
  }

  /**
   * Bytes and objects stored per storage type over every namespace, from the totals record
   * the gateways keep beside the namespaces' (storage/usageRecords.ts); refreshed every 30 s.
   * Per type only: a label per namespace would grow without bound.
   */
  watchUsage(totals: () => Partial<Record<StorageType, { bytes: number; objects: number }>> | undefined): void {
    const gauge = (name: string, help: string, field: 'bytes' | 'objects') =>
      new Gauge({
        name,
        help,
        labelNames: ['type'] as const,
        registers: [this.registry],
        // Every worker reads the same totals.
        aggregator: 'max',
        collect() {
          const seen = totals();
          if (seen) for (const type of STORAGE_TYPES) this.set({ type }, seen[type]?.[field] ?? 0);
        },
      });
    gauge('storage_usage_bytes', 'Bytes stored, per storage type, over every namespace', 'bytes');
    gauge('storage_usage_objects', 'Objects stored, per storage type, over every namespace', 'objects');
  }

  /**
   * One gauge per store endpoint: 1 while it is up (answers health checks), 0 while down. The
   * endpoint is named by its place in S3_ENDPOINT (1 is the first), as /readyz names it:
   * /metrics answers without a token, and the store's addresses are the operator's to know.
   */
  watchEndpoints(endpoints: StoreEndpoints): void {
    new Gauge({
      name: 'storage_store_endpoint_up',
      help: 'Whether each store endpoint (by its place in S3_ENDPOINT) answers its health checks (1) or not (0)',
      labelNames: ['endpoint'] as const,
      registers: [this.registry],
      // Across worker processes: up only while every worker sees it up.
      aggregator: 'min',
      collect() {
        endpoints.list().forEach((state, i) => this.set({ endpoint: String(i + 1) }, state.up ? 1 : 0));
      },
    });
  }

  /** The Prometheus text for /metrics. */
  render(): Promise<string> {
    return this.aggregate ? this.aggregate() : this.registry.metrics();
  }

  /** One answered request: counted, timed and its bytes added, by route, storage type, method and status. */
  recordRequest(method: string, route: string, storageType: string, status: number, seconds: number, bytesIn: number, bytesOut: number) {
    const id = `${method} ${route} ${storageType} ${status}`;
    let series = this.requestSeries.get(id);
    if (series === undefined) {
      series = {
        requests: this.requests.labels({ method, route, storage_type: storageType, status: String(status) }),
        duration: this.duration.labels({ method, route, storage_type: storageType }),
        bytesIn: this.bytesIn.labels({ route, storage_type: storageType }),
        bytesOut: this.bytesOut.labels({ route, storage_type: storageType }),
      };
      this.requestSeries.set(id, series);
    }
    series.requests.inc();
    series.duration.observe(seconds);
    series.bytesIn.inc(bytesIn);
    series.bytesOut.inc(bytesOut);
  }

  observeStoreCall(operation: string, seconds: number, failure: string | undefined): void {
    let timer = this.storeSeries.get(operation);
    if (timer === undefined) {
      timer = this.storeDuration.labels({ operation });
      this.storeSeries.set(operation, timer);
    }
    timer.observe(seconds);
    if (failure) this.storeErrors.inc({ operation, kind: failure });
  }
}
