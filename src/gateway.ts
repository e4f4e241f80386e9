/**
 * Puts the gateway together from a Config: the local store in embedded mode, the object
 * store, the buckets, the token verifier and the HTTP server. `main.ts` runs it; the tests
 * start it the same way, so they exercise the real start-up path.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SignInTickets } from './auth/signInTickets';
import { createVerifier } from './auth/tokens';
import type { Config, S3Settings } from './config';
import { API_BASE, createApp } from './http/app';
import { closeServer, guardConnections } from './http/connections';
import { DEFAULT_CONSOLE_DIR, storeOriginsOf } from './http/console';
import { InFlight } from './http/inFlight';
import { ensureLocalBinary, LOCAL_ENGINE_NAMES, startLocalStore } from './local/engines';
import type { LocalStore } from './local/process';
import { loadOrCreateLocalSecrets } from './local/secrets';
import type { Logger } from './log';
import { Metrics } from './metrics';
import { StoreAccessDenied, StoreUnavailable } from './errors';
import { StorageService } from './storage/service';
import { endpointsFor } from './store/endpoints';
import { openS3Store } from './store/openS3Store';
import { SigningCredentialsRefused } from './store/signingCredentials';
import type { OpenedStore } from './store/types';
import { bucketName, STORAGE_TYPES, TMP_EXPIRY_DAYS } from './storage/types';
import { startUpkeep } from './upkeep';

export interface RunningGateway {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** url + /storage/v1 */
  apiUrl: string;
  /** The configuration in force, with embedded mode's generated settings filled in. */
  config: Config;
  service: StorageService;
  metrics: Metrics;
  /** Set in embedded mode: the local MinIO or SeaweedFS. */
  localStore: LocalStore | undefined;
  close(): Promise<void>;
}

/** Request line and headers together; more is answered with 431 by Node itself. */
const MAX_HEADER_BYTES = 16 * 1024;

/** Store sockets for streams beyond MAX_TRANSFERS (a chunked upload's part under way, a settling read). */
const STREAM_SOCKET_HEADROOM = 64;

/** After connections are cut, uploads get this long to abort their multipart uploads. */
const UPLOAD_SETTLE_MS = 10_000;

export class StartupError extends Error {
  override name = 'StartupError';
}

export interface GatewayOptions {
  /** Worker processes: /metrics answers with every worker's figures, summed by the primary. */
  metricsSource?: () => Promise<string>;
  /** Where the built storage browser is (default dist/console). */
  consoleDir?: string;
}

/**
 * Embedded mode: starts the local store of LOCAL_ENGINE (building it if needed) with the
 * secrets kept in the data folder, and answers the configuration pointing at it, with
 * S3_ENGINE set to match. Otherwise answers the configuration unchanged.
 */
export async function startEmbeddedStore(config: Config): Promise<{ config: Config; localStore: LocalStore | undefined }> {
  if (!config.embeddedStore) return { config, localStore: undefined };
  const engine = config.localEngine;
  const secrets = loadOrCreateLocalSecrets(config.dataDir, { seaweedfs: engine === 'seaweedfs' });
  const credentials = engine === 'seaweedfs' && secrets.seaweedfs ? secrets.seaweedfs : secrets.minio;
  await ensureLocalBinary(engine);
  const localStore = await startLocalStore({
    engine,
    dataDir: path.join(config.dataDir, engine),
    port: config.localStorePort,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    stsSigningKey: secrets.seaweedfs?.stsSigningKey,
  }).catch((error: Error) => {
    throw new StartupError(`Could not start the local ${LOCAL_ENGINE_NAMES[engine]}: ${error.message}`);
  });
  return {
    localStore,
    config: {
      ...config,
      embeddedStore: false,
      s3: {
        ...config.s3,
        engine,
        endpoints: [localStore.endpoint],
        publicEndpoints: [localStore.endpoint],
        credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
        forcePathStyle: true,
        filerUrl: localStore.filerUrl,
      },
      auth: { ...config.auth, jwtSecret: config.auth.jwtSecret ?? secrets.jwtSecret },
    },
  };
}

export async function startGateway(config: Config, logger: Logger, options: GatewayOptions = {}): Promise<RunningGateway> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step();
  };
  try {
    const embedded = await startEmbeddedStore(config);
    const localStore = embedded.localStore;
    if (localStore) cleanups.push(() => localStore.stop());
    config = embedded.config;

    const uploads = new InFlight();
    const metrics = new Metrics(() => uploads.size, options.metricsSource);
    const endpoints = endpointsFor(config.s3, {
      onChange: (state) =>
        state.up
          ? logger.info({ endpoint: state.url }, 'store endpoint is back')
          : logger.warn({ endpoint: state.url, reason: state.reason }, 'store endpoint is down; sending work to the others'),
    });
    endpoints.start();
    cleanups.push(() => endpoints.close());
    metrics.watchEndpoints(endpoints);
    const orphanAgeMs = config.orphanUploadAgeSeconds * 1000;
    const opened = openS3Store(config.s3, {
      observer: metrics,
      signing: {
        buckets: STORAGE_TYPES.map((type) => bucketName(config.bucketPrefix, type)),
        maxUrlTtlSeconds: config.signedUrlMaxTtlSeconds,
      },
      endpoints,
      responseTimeoutMs: config.s3.responseTimeoutMs,
      orphanAgeMs,
      // Streams never wait for a socket: MAX_TRANSFERS keeps them below what there is.
      streamSockets: config.maxTransfers + STREAM_SOCKET_HEADROOM,
      partBufferBytes: config.unknownLengthBufferBytes,
    });
    metrics.watchShares(opened.calls);
    cleanups.push(() => opened.close());
    const service = new StorageService(opened.store, config, logger);
    // Before the store closes: usage not yet written is written.
    cleanups.push(() => service.close());
    metrics.watchUsage(() => service.usage.totals());
    // A store that does not answer yet is no reason to exit (under an orchestrator that is a
    // crash loop): serve unready and keep preparing. Wrong credentials or a refused role are.
    const preparation = new Preparation(() => prepare(service, opened, config.s3.engine, logger), logger);
    cleanups.push(() => preparation.stop());
    await preparation.first(opened.describe());
    const stopUpkeep = startUpkeep(
      opened.upkeep,
      service,
      {
        engine: config.s3.engine,
        buckets: STORAGE_TYPES.map((type) => bucketName(config.bucketPrefix, type)),
        tmpBucket: bucketName(config.bucketPrefix, 'tmp'),
        orphanAgeMs,
        abandonAfterMs: config.multipartAbandonHours * 3600_000,
        ready: () => preparation.done,
      },
      logger,
    );
    cleanups.push(stopUpkeep);

    let accepting = true;
    const app = createApp({
      service,
      verifier: createVerifier(config.auth),
      signInTickets: config.auth.jwtSecret
        ? new SignInTickets(config.auth.jwtSecret, config.auth.maxTokenLifetimeSeconds, service.oneTimeNames)
        : undefined,
      logger,
      metrics,
      uploads,
      accepting: () => accepting,
      prepared: () => preparation.done,
      endpoints,
      maxTransfersPerCaller: config.maxTransfersPerCaller,
      maxTransfers: config.maxTransfers,
      idleTimeoutMs: config.transferIdleTimeoutSeconds * 1000,
      minTransferRate: {
        bytesPerSecond: config.minTransferRate.bytesPerSecond,
        windowMs: config.minTransferRate.windowSeconds * 1000,
      },
      requestDeadlineMs: config.requestDeadlineSeconds * 1000,
      corsOrigins: config.corsOrigins,
      console: { dir: options.consoleDir ?? DEFAULT_CONSOLE_DIR, storeOrigins: storeOriginsOf(config.s3) },
    });
    // Node checks the headers deadline this often (by default every 30 s).
    const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: 1000 }, app);
    // Requests are judged by progress, not by total time: Node's default 300 s request limit
    // would cut an honest upload of a large file, while a connection on which no byte moves
    // either way for the idle limit is closed (a stalled upload, a reader that stopped), and
    // one moving too slowly is cut by the minimum rate (middleware/slowClients.ts).
    server.requestTimeout = 0;
    server.timeout = config.transferIdleTimeoutSeconds * 1000;
    // Outlive the idle timeout of load balancers in front (often 60 s), or they may send a
    // request on a connection the gateway is closing and answer the caller with a 502.
    server.keepAliveTimeout = 65_000;
    // From a connection's first byte (or a kept-alive one's next request) to the end of its
    // headers; the wait between kept-alive requests is keepAliveTimeout's, not this.
    server.headersTimeout = config.headersTimeoutSeconds * 1000;
    guardConnections(server, config.maxConnections, server.headersTimeout, (limit) => metrics.limitHit(limit));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
    // Runs first on close: stop taking requests, let those under way finish within the grace
    // period, then let cut uploads clean up before the store client above is closed.
    cleanups.push(async () => {
      accepting = false;
      await closeServer(server, config.shutdownGraceSeconds * 1000);
      await uploads.drain(UPLOAD_SETTLE_MS);
    });
    const { port } = server.address() as AddressInfo;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return { url, apiUrl: `${url}${API_BASE}`, config, service, metrics, localStore, close: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Buckets, their lifecycle rules, and the URL-signing identities: what serving needs first. */
async function prepare(service: StorageService, store: OpenedStore, engine: S3Settings['engine'], logger: Logger): Promise<void> {
  try {
    const reports = await service.buckets.prepare();
    const withoutCors = reports.filter((report) => report.cors === 'unsupported');
    if (withoutCors.length > 0) {
      // MinIO answers every origin by default, so there it is no news.
      logger[engine === 'minio' ? 'debug' : 'info'](
        { buckets: withoutCors.map((report) => report.bucket), refusal: withoutCors[0]?.corsRefusal },
        "the store keeps no bucket CORS rule: browsers' presigned uploads rely on the store's own CORS (MinIO answers every origin by default)",
      );
    }
    // rulesUnsupported: MinIO takes no AbortIncompleteMultipartUpload rule; it expires stale uploads itself.
    const changed = reports.filter(
      (report) => report.created || report.rulesWritten.length > 0 || report.filerTtl === 'written' || report.cors === 'written',
    );
    for (const report of reports) logger.debug(report, changed.includes(report) ? 'bucket prepared' : 'bucket ready');
    if (changed.length > 0) {
      const created = changed.filter((report) => report.created).map((report) => report.bucket);
      logger.info(
        { created, rulesWritten: Object.fromEntries(changed.map((report) => [report.bucket, report.rulesWritten])) },
        `buckets prepared${created.length > 0 ? ` (created ${created.join(', ')})` : ''}`,
      );
    }
    for (const report of reports) {
      if (report.filerTtl === 'unconfigured') {
        logger.warn(
          { bucket: report.bucket },
          'SeaweedFS stores the expiry rule but does not apply it by itself: set SEAWEEDFS_FILER_URL so the gateway keeps it as a filer TTL, ' +
            `or run: weed shell fs.configure -locationPrefix=/buckets/${report.bucket}/ -ttl=${TMP_EXPIRY_DAYS}d -apply`,
        );
      }
    }
    await store.prepareSigning();
  } catch (error) {
    if (error instanceof StoreAccessDenied) {
      throw new StartupError(`${error.message}: check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY`);
    }
    if (error instanceof SigningCredentialsRefused && error.answered) {
      throw new StartupError(
        `${error.message}. Signed URLs are signed with temporary least-privilege credentials from the store's STS ` +
          '(AssumeRole); see docs/security.md for the role and permissions the gateway needs',
      );
    }
    if (error instanceof SigningCredentialsRefused) throw new StoreUnavailable(undefined, `STS did not answer at ${store.describe()}`);
    throw error;
  }
}

/**
 * Runs `prepare` at start and, while the store does not answer, again with backoff until it
 * does; `done` tells /readyz. Anything but "unavailable" at the first try stops start-up.
 */
class Preparation {
  done = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly prepare: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  async first(where: string): Promise<void> {
    try {
      await this.prepare();
      this.done = true;
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      this.logger.warn({ store: where, reason: error.reason }, 'the object store does not answer; serving unready until it does');
      this.retry(1000);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private retry(delayMs: number): void {
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.prepare().then(
        () => {
          this.done = true;
          this.logger.info('the object store answers; buckets prepared, ready');
        },
        (error: unknown) => {
          if (!(error instanceof StoreUnavailable)) this.logger.error({ err: error }, 'preparing the store failed; retrying');
          this.retry(Math.min(delayMs * 2, 5_000));
        },
      );
    }, delayMs);
    this.timer.unref();
  }
}
