/**
 * Puts the gateway together from a Config: the local store in embedded mode, the object
 * store, the buckets, the token verifier and the HTTP server. `main.ts` runs it; the tests
 * start it the same way, so they exercise the real start-up path.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { SignInTickets } from './auth/signInTickets';
import { createVerifier } from './auth/tokens';
import type { Config } from './config';
import { API_BASE, createApp } from './http/app';
import { DEFAULT_CONSOLE_DIR, storeOriginsOf } from './http/console';
import { InFlight } from './http/inFlight';
import { ensureLocalBinary, LOCAL_ENGINE_NAMES, startLocalStore } from './local/engines';
import type { LocalStore } from './local/process';
import { loadOrCreateLocalSecrets } from './local/secrets';
import type { Logger } from './log';
import { Metrics } from './metrics';
import { StoreAccessDenied, StoreUnavailable, type LimitName } from './errors';
import { StorageService } from './storage/service';
import { endpointsFor } from './store/endpoints';
import { S3Store } from './store/s3Store';
import { SigningCredentialsRefused, UrlSigner } from './store/urlSigner';
import { ABORT_INCOMPLETE_UPLOAD_DAYS, bucketName, STORAGE_TYPES, TMP_EXPIRY_DAYS } from './storage/types';

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
    const signer = new UrlSigner(
      config.s3,
      endpoints,
      STORAGE_TYPES.map((type) => bucketName(config.bucketPrefix, type)),
      config.signedUrlMaxTtlSeconds,
    );
    const orphanAgeMs = config.orphanUploadAgeSeconds * 1000;
    const store = new S3Store(config.s3, {
      observer: metrics,
      signer,
      endpoints,
      responseTimeoutMs: config.s3.responseTimeoutMs,
      orphanAgeMs,
      // Streams never wait for a socket: MAX_TRANSFERS keeps them below what there is.
      streamSockets: config.maxTransfers + STREAM_SOCKET_HEADROOM,
      partBufferBytes: config.unknownLengthBufferBytes,
    });
    metrics.watchShares({ storeCalls: store.smallCalls, heavyCalls: store.heavyCalls });
    cleanups.push(() => store.close());
    const service = new StorageService(store, config);
    // A store that does not answer yet is no reason to exit (under an orchestrator that is a
    // crash loop): serve unready and keep preparing. Wrong credentials or a refused role are.
    const preparation = new Preparation(() => prepare(service, store, signer, logger), logger);
    cleanups.push(() => preparation.stop());
    await preparation.first(store.describe());
    const buckets = STORAGE_TYPES.map((type) => bucketName(config.bucketPrefix, type));
    const sweeper = sweepOrphans(store, buckets, orphanAgeMs, () => preparation.done, logger);
    cleanups.push(() => clearInterval(sweeper));
    // AWS applies the buckets' abort rule itself; MinIO refuses it, SeaweedFS does not apply it.
    if (config.s3.engine !== 'aws') {
      const abandoned = abortAbandonedSessions(service, config.multipartAbandonHours * 3600_000, () => preparation.done, logger);
      cleanups.push(() => clearInterval(abandoned));
    }
    if (config.s3.engine === 'seaweedfs') {
      const timers = keepSeaweedfsPromises(store, buckets, bucketName(config.bucketPrefix, 'tmp'), () => preparation.done, logger);
      cleanups.push(() => timers.forEach((timer) => clearInterval(timer)));
    }

    let accepting = true;
    const app = createApp({
      service,
      verifier: createVerifier(config.auth),
      signInTickets: config.auth.jwtSecret
        ? new SignInTickets(config.auth.jwtSecret, config.auth.maxTokenLifetimeSeconds, service)
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
async function prepare(service: StorageService, store: S3Store, signer: UrlSigner, logger: Logger): Promise<void> {
  try {
    const reports = await service.prepareBuckets();
    const withoutCors = reports.filter((report) => report.cors === 'unsupported');
    if (withoutCors.length > 0) {
      logger.info(
        { buckets: withoutCors.map((report) => report.bucket), refusal: withoutCors[0]?.corsRefusal },
        "the store keeps no bucket CORS rule: browsers' presigned uploads rely on the store's own CORS (MinIO answers every origin by default)",
      );
    }
    for (const report of reports) {
      // rulesUnsupported: MinIO takes no AbortIncompleteMultipartUpload rule; it expires stale uploads itself.
      const changed = report.created || report.rulesWritten.length > 0 || report.filerTtl === 'written' || report.cors === 'written';
      logger[changed ? 'info' : 'debug'](report, changed ? 'bucket prepared' : 'bucket ready');
      if (report.filerTtl === 'unconfigured') {
        logger.warn(
          { bucket: report.bucket },
          'SeaweedFS stores the expiry rule but does not apply it by itself: set SEAWEEDFS_FILER_URL so the gateway keeps it as a filer TTL, ' +
            `or run: weed shell fs.configure -locationPrefix=/buckets/${report.bucket}/ -ttl=${TMP_EXPIRY_DAYS}d -apply`,
        );
      }
    }
    await signer.prepare();
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

/**
 * Aborts the streamed uploads a crashed gateway left behind, at start and then every half
 * orphan age (at most 10 minutes). Several replicas may sweep at once: aborting twice is harmless.
 */
function sweepOrphans(store: S3Store, buckets: string[], orphanAgeMs: number, ready: () => boolean, logger: Logger): NodeJS.Timeout {
  const sweep = async () => {
    if (!ready()) return;
    for (const bucket of buckets) {
      const swept = await store.sweepOrphanedStreams(bucket, orphanAgeMs).catch((error: unknown) => {
        logger.warn(
          { bucket, reason: (error as { reason?: string }).reason ?? (error as Error).message },
          'could not sweep orphaned uploads; will retry',
        );
        return 0;
      });
      if (swept > 0) logger.info({ bucket, swept }, 'aborted uploads left by a gateway that stopped mid-stream');
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), Math.min(orphanAgeMs / 2, 10 * 60_000));
  timer.unref();
  return timer;
}

/**
 * Aborts callers' multipart sessions left open longer than `olderThanMs` (their parts hold
 * space until then), at start and then every quarter of that age (at most every 30 minutes).
 * Several replicas may do this at once: aborting twice is harmless.
 */
function abortAbandonedSessions(service: StorageService, olderThanMs: number, ready: () => boolean, logger: Logger): NodeJS.Timeout {
  const sweep = async () => {
    if (!ready()) return;
    const aborted = await service.abortAbandonedSessions(olderThanMs).catch((error: unknown) => {
      logger.warn(
        { reason: (error as { reason?: string }).reason ?? (error as Error).message },
        'could not abort abandoned upload sessions; will retry',
      );
      return 0;
    });
    if (aborted > 0)
      logger.info({ aborted, olderThanHours: olderThanMs / 3600_000 }, 'aborted multipart upload sessions callers left open');
  };
  void sweep();
  const timer = setInterval(() => void sweep(), Math.min(olderThanMs / 4, 30 * 60_000));
  timer.unref();
  return timer;
}

/** SeaweedFS: how often what upload URLs stored is settled (see S3Store.settleUpload). */
const SETTLE_SWEEP_MS = 30_000;
/** SeaweedFS: how often stale multipart uploads are looked for, and the tmp expiry checked. */
const SEAWEEDFS_UPKEEP_MS = 10 * 60_000;

/**
 * What SeaweedFS does not do by itself, done by the gateway: settling the objects upload URLs
 * stored, aborting multipart uploads older than the lifecycle rule allows (SeaweedFS stores
 * that rule without applying it), and keeping the tmp expiry in its filer configuration
 * (another writer may have dropped it). Several replicas may do this at once: all of it is
 * idempotent.
 */
function keepSeaweedfsPromises(store: S3Store, buckets: string[], tmp: string, ready: () => boolean, logger: Logger): NodeJS.Timeout[] {
  const quietly = (what: string, bucket: string) => (error: unknown) => {
    logger.warn({ bucket, reason: (error as { reason?: string }).reason ?? (error as Error).message }, `could not ${what}; will retry`);
    return 0;
  };
  const settle = async () => {
    if (!ready()) return;
    for (const bucket of buckets) {
      const settled = await store.sweepUrlUploads(bucket).catch(quietly('settle upload URL objects', bucket));
      if (settled > 0) logger.debug({ bucket, settled }, 'settled the type and metadata of objects stored through upload URLs');
    }
  };
  const upkeep = async () => {
    if (!ready()) return;
    for (const bucket of buckets) {
      const aborted = await store
        .abortStaleUploads(bucket, ABORT_INCOMPLETE_UPLOAD_DAYS * 24 * 3600_000)
        .catch(quietly('abort stale multipart uploads', bucket));
      if (aborted > 0)
        logger.info({ bucket, aborted }, `aborted multipart uploads begun more than ${ABORT_INCOMPLETE_UPLOAD_DAYS} days ago`);
    }
    const outcome = await store.ensureFilerTtl(tmp, TMP_EXPIRY_DAYS).catch(quietly('keep the tmp expiry in the filer', tmp));
    if (outcome === 'written') logger.warn({ bucket: tmp }, 'the tmp expiry had gone from the filer configuration; restored');
  };
  const settling = setInterval(() => void settle(), SETTLE_SWEEP_MS);
  const keeping = setInterval(() => void upkeep(), SEAWEEDFS_UPKEEP_MS);
  settling.unref();
  keeping.unref();
  void upkeep();
  return [settling, keeping];
}

/**
 * At most `max` connections: Node refuses more at accept. Idle kept-alive connections are the
 * cheapest to give up, so when nine tenths are taken they are closed to make room (a client
 * opens a new one when it needs it) before anyone is refused. A connection that sends nothing
 * at all is closed after `silentMs`: Node's headers deadline starts only with a first byte.
 */
function guardConnections(server: http.Server, max: number, silentMs: number, hit: (limit: LimitName) => void): void {
  server.maxConnections = max;
  server.on('drop', () => hit('connections'));
  let open = 0;
  let shedAt = 0;
  server.on('connection', (socket: Socket) => {
    open++;
    const silent = setTimeout(() => {
      if (socket.bytesRead > 0) return;
      hit('headers_timeout');
      socket.destroy();
    }, silentMs);
    silent.unref();
    socket.once('close', () => {
      open--;
      clearTimeout(silent);
    });
    if (open >= max * 0.9 && Date.now() - shedAt > 1000) {
      shedAt = Date.now();
      server.closeIdleConnections();
    }
  });
  // Node's own answers to what it cannot parse or did not get in time, as it writes them, with
  // the headers deadline counted.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') hit('headers_timeout');
    // Only where no answer of the gateway's has begun on this connection.
    const answering = (socket as Socket & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (socket.writable && !answering?.headersSent) socket.write(CLIENT_ERROR_ANSWERS[error.code ?? ''] ?? BAD_REQUEST_ANSWER);
    socket.destroy(error);
  });
}

const CLIENT_ERROR_ANSWERS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST_ANSWER = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/** Stops accepting connections, lets in-flight requests finish for `graceMs`, then cuts the rest. */
async function closeServer(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Keep-alive connections that finish a request while draining are closed as they idle.
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearInterval(idle);
  clearTimeout(cut);
}
