/**
 * WEB_CONCURRENCY > 1: one primary process and that many workers serving HTTP on one port
 * (node:cluster), so the gateway uses every core instead of one Node thread.
 *
 * The primary owns what must exist once: the embedded store (in local mode) and the summed
 * metrics. It hands each worker the resolved configuration over IPC (not the environment),
 * replaces a worker that dies, and on SIGTERM/SIGINT lets every worker drain its requests
 * (each runs the single-process graceful shutdown) before it stops the store. Each worker is a
 * whole gateway (startGateway): its own store connections, token cache, and per-caller
 * transfer budget (MAX_TRANSFERS_PER_CALLER counts per worker).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from './config';
import { startEmbeddedStore, startGateway, type RunningGateway } from './gateway';
import type { LocalStore } from './local/process';
import type { Logger } from './log';

type ToWorker = { kind: 'config'; config: Config } | { kind: 'metrics'; id: number; text?: string; error?: string };
type ToPrimary = { kind: 'ready'; url: string; apiUrl: string } | { kind: 'metrics'; id: number };

/** How long a worker may take to start (the local store must be up already). */
const WORKER_START_MS = 60_000;
/** A worker asking for the summed metrics gives up after this long. */
const METRICS_TIMEOUT_MS = 5_000;

export interface RunningCluster {
  url: string;
  apiUrl: string;
  config: Config;
  localStore: LocalStore | undefined;
  close(): Promise<void>;
}

export async function startPrimary(config: Config, logger: Logger): Promise<RunningCluster> {
  const embedded = await startEmbeddedStore(config);
  const resolved = embedded.config;
  const aggregator = new AggregatorRegistry();
  const workers = new Set<Worker>();
  let stopping = false;
  let first: { url: string; apiUrl: string } | undefined;

  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      workers.add(worker);
      const timer = setTimeout(() => reject(new Error('a worker did not start in time')), WORKER_START_MS);
      worker.on('online', () => worker.send({ kind: 'config', config: resolved } satisfies ToWorker));
      worker.on('message', (message: ToPrimary) => {
        if (message.kind === 'ready') {
          first ??= { url: message.url, apiUrl: message.apiUrl };
          clearTimeout(timer);
          resolve();
        } else if (message.kind === 'metrics') {
          aggregator.clusterMetrics().then(
            (text) => worker.send({ kind: 'metrics', id: message.id, text } satisfies ToWorker),
            (error: Error) => worker.send({ kind: 'metrics', id: message.id, error: error.message } satisfies ToWorker),
          );
        }
      });
      worker.on('exit', (code, signal) => {
        workers.delete(worker);
        clearTimeout(timer);
        reject(new Error(`a worker exited during start-up (${signal ?? `code ${code}`})`));
        if (stopping) return;
        logger.warn({ pid: worker.process.pid, code, signal }, 'worker exited; starting another');
        fork().catch((error: Error) => {
          // A replacement cut short by a shutdown is no failure.
          if (!stopping) logger.error({ err: error }, 'could not replace a worker');
        });
      });
    });

  const close = async () => {
    stopping = true;
    const exited = [...workers].map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    for (const worker of workers) worker.process.kill('SIGTERM');
    // Each worker drains within SHUTDOWN_GRACE_SECONDS and lets cut uploads clean up; then the local store goes.
    const cut = setTimeout(
      () => {
        for (const worker of workers) worker.process.kill('SIGKILL');
      },
      (config.shutdownGraceSeconds + 20) * 1000,
    );
    await Promise.all(exited);
    clearTimeout(cut);
    await embedded.localStore?.stop();
  };

  try {
    await Promise.all(Array.from({ length: config.webConcurrency }, () => fork()));
  } catch (error) {
    await close();
    throw error;
  }
  const { url, apiUrl } = first as { url: string; apiUrl: string };
  logger.info({ workers: config.webConcurrency }, 'workers started');
  return { url, apiUrl, config: resolved, localStore: embedded.localStore, close };
}

/** A worker: waits for its configuration, runs a whole gateway, and tells the primary where. */
export async function startWorker(logger: Logger): Promise<RunningGateway> {
  // Answer the primary's metrics requests from the first moment, with nothing until the
  // gateway is up: the primary waits for every worker, so a starting one must not stay silent.
  AggregatorRegistry.setRegistries([]);
  new AggregatorRegistry();
  const config = await new Promise<Config>((resolve) => {
    const onMessage = (message: ToWorker) => {
      if (message.kind !== 'config') return;
      process.off('message', onMessage);
      resolve(message.config);
    };
    process.on('message', onMessage);
  });
  const gateway = await startGateway(config, logger, { metricsSource: summedMetrics });
  AggregatorRegistry.setRegistries([gateway.metrics.registry]);
  process.send?.({ kind: 'ready', url: gateway.url, apiUrl: gateway.apiUrl } satisfies ToPrimary);
  return gateway;
}

let nextMetricsRequest = 0;

/** Asks the primary for every worker's metrics, summed. */
function summedMetrics(): Promise<string> {
  const id = ++nextMetricsRequest;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error('the primary did not answer with metrics')), METRICS_TIMEOUT_MS);
    const onMessage = (message: ToWorker) => {
      if (message.kind !== 'metrics' || message.id !== id) return;
      finish(message.error ? new Error(message.error) : undefined, message.text);
    };
    const finish = (error: Error | undefined, text?: string) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (error) reject(error);
      else resolve(text ?? '');
    };
    process.on('message', onMessage);
    process.send?.({ kind: 'metrics', id } satisfies ToPrimary);
  });
}
