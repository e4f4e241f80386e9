/**
 * The store's endpoints: the nodes of one cluster (or one load balancer), each with a health
 * state. Work goes round the healthy ones; a call that finds an endpoint dead (refused, reset,
 * silent past the response limit) marks it down at once, and a health check every few seconds
 * brings it back. With every endpoint down, all are tried anyway: the store may have come back
 * between two checks, and the caller gets a 503 either way.
 *
 * Each node is checked on its own, each check with its own deadline, so one frozen node is
 * marked down without delaying the verdict on the others. On MinIO a check asks two things:
 * is the process alive (`/minio/health/live`, answered without asking its peers), and does it
 * see the cluster's write quorum (`/minio/health/cluster`). A node goes down when it is not
 * alive, or says it sees no write quorum; it comes back only after passing both, twice. A
 * cluster check that does not answer in time (a healthy node waiting on a frozen peer) decides
 * nothing either way. On SeaweedFS a check asks the S3 gateway's `/healthz`; elsewhere an
 * anonymous `HEAD /`, which a healthy engine refuses with a status below 500.
 *
 * Presigned URLs name a public endpoint. When S3_PUBLIC_ENDPOINT lists as many URLs as
 * S3_ENDPOINT, the two lists pair up in order (the same node seen from outside and inside), so
 * URLs go to the public face of a healthy node; a single public URL (a load balancer) is used
 * as it is.
 */
import { HttpRequest } from '@smithy/protocol-http';
import type { FinalizeRequestMiddleware, RelativeMiddlewareOptions } from '@smithy/types';
import { Agent } from 'undici';
import type { S3Settings } from '../config';
import { failureOf, isNetworkFailure, isTimeout, markEndpoint, nameOf } from './failures';

export interface EndpointState {
  url: string;
  up: boolean;
  /** Checks passed in a row while down: a node just restarted gets work only once it has settled. */
  passes?: number;
  /** When the state last changed. */
  since: Date;
  /** Why it went down, in words (connection refused, no answer in time, no write quorum). */
  reason: string | undefined;
  /** Kept out of rotation until then whatever its checks say (a node that refused writes). */
  outUntil?: number;
  /** When a write through it last succeeded (ms since the epoch). */
  wroteAt?: number;
  /**
   * When it last came back after being down: a node that rejoined may still be healing, and
   * answer 404 for an object its peers hold (SignedHttp asks another node then).
   */
  rejoinedAt?: Date;
}

export interface EndpointSettings {
  /** Internal URLs, without trailing slash. */
  urls: string[];
  /** Public URLs for presigning: one, or one per internal URL in the same order. */
  publicUrls: string[];
  /** Between health checks of each endpoint. */
  checkIntervalMs?: number;
  /** A check without an answer this long marks the endpoint down. */
  checkTimeoutMs?: number;
  /** Told when an endpoint goes down or comes back (for one log line per change). */
  onChange?: (state: EndpointState) => void;
  /** What a health check asks (see the top of this file). */
  probe?: 'minio' | 'seaweedfs' | 's3';
}

/** A node's answer that it sees too few drives to write (MinIO's name for it). */
export const NO_WRITE_QUORUM = 'SlowDownWrite';

/** A node that was down must pass this many checks in a row before it gets work again. */
const CHECKS_TO_RISE = 2;

/** A node that answered within a second or two is worth sending work to again. */
const DEFAULT_CHECK_INTERVAL_MS = 2000;
const DEFAULT_CHECK_TIMEOUT_MS = 2000;
/**
 * How long a node that refused writes for want of quorum, while its peers took them, stays out:
 * MinIO's stale views have lasted up to about 8 s in the fault runs.
 */
const STALE_VIEW_OUT_MS = 10_000;
/** A write through another node this recent shows the cluster can write. */
const RECENT_WRITE_MS = 2_000;
/** How long after a node rejoined its 404s are double-checked on another node. */
const REJOIN_WINDOW_MS = 120_000;

/** What one health question got: an HTTP status, or why there was none. */
type Asked = { status: number } | { failure: string };

export class StoreEndpoints {
  private readonly states: EndpointState[];
  private readonly checker: Agent;
  private readonly checkTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  /** Nodes whose check is still under way: a slow one is not asked again on top. */
  private readonly checking = new Set<string>();

  constructor(private readonly settings: EndpointSettings) {
    if (settings.urls.length === 0) throw new Error('at least one store endpoint is needed');
    if (settings.publicUrls.length !== 1 && settings.publicUrls.length !== settings.urls.length) {
      throw new Error('public endpoints must be one, or one per endpoint');
    }
    const now = new Date();
    this.states = settings.urls.map((url) => ({ url, up: true, since: now, reason: undefined }));
    this.checkTimeoutMs = settings.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    this.checker = new Agent({
      connections: 2,
      connect: { timeout: this.checkTimeoutMs },
      headersTimeout: this.checkTimeoutMs,
      bodyTimeout: this.checkTimeoutMs,
    });
  }

  /** Begins the periodic health checks. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.checkAll(), this.settings.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checker.close();
  }

  /** The first listed endpoint: where start-up messages say the store is. */
  get primary(): string {
    return this.states[0]!.url;
  }

  /** Every endpoint's state, in the configured order. */
  list(): readonly EndpointState[] {
    return this.states;
  }

  get anyUp(): boolean {
    return this.states.some((state) => state.up);
  }

  /**
   * The endpoint for the next call: the next healthy one in turn, skipping those this call has
   * already tried. Answers undefined once every endpoint was tried.
   */
  pick(tried?: ReadonlySet<string>): string | undefined {
    const count = this.states.length;
    // One endpoint, the common case: nothing to choose, and nothing to allocate per call.
    if (count === 1) return tried?.has(this.primary) ? undefined : this.primary;
    tried ??= new Set();
    const untried = this.states.filter((state) => !tried.has(state.url));
    if (untried.length === 0) return undefined;
    const healthy = untried.filter((state) => state.up);
    const pool = healthy.length > 0 ? healthy : untried;
    if (pool.length === 1) return pool[0]!.url;
    // Round robin over the configured order, so load spreads and the order stays predictable.
    for (let step = 0; step < count; step++) {
      const state = this.states[(this.next + step) % count]!;
      if (pool.includes(state)) {
        this.next = (this.next + step + 1) % count;
        return state.url;
      }
    }
    return pool[0]!.url;
  }

  /** The public URL to sign a presigned URL for: paired with a healthy endpoint when lists pair. */
  pickPublic(): string {
    const { publicUrls, urls } = this.settings;
    if (publicUrls.length === 1) return publicUrls[0]!;
    const internal = this.pick() ?? urls[0]!;
    return publicUrls[urls.indexOf(internal)]!;
  }

  /** Whether the node came back within the last two minutes (it may still be healing). */
  rejoinedRecently(url: string): boolean {
    const rejoinedAt = this.stateOf(url)?.rejoinedAt;
    return rejoinedAt !== undefined && Date.now() - rejoinedAt.getTime() < REJOIN_WINDOW_MS;
  }

  /**
   * A node is down, or came back within the last two minutes: the cluster's members may not
   * agree on what is stored yet (healing, or a peer's drives counted offline).
   */
  unsettled(): boolean {
    return this.states.some((state) => !state.up || this.rejoinedRecently(state.url));
  }

  /** Another node than `url` is in rotation. */
  othersUp(url: string): boolean {
    return this.states.some((state) => state.url !== url && state.up);
  }

  /** A call found the endpoint dead: stop sending work there until a health check says otherwise. */
  markDown(url: string, reason: string): void {
    this.set(url, false, reason);
  }

  /**
   * A write through the node succeeded: evidence that the cluster has its write quorum, so
   * another node refusing writes for want of it speaks only of its own view.
   */
  wrote(url: string): void {
    const state = this.stateOf(url);
    if (state) state.wroteAt = Date.now();
  }

  /**
   * The node answered that it sees no write quorum (SlowDownWrite). On MinIO a node restarted
   * moments before another one goes can keep a stale view of its peers for several seconds:
   * in the fault runs every such 503 of a rolling restart came from the node restarted last,
   * while its own cluster check still answered 200 and its peers took writes. So when another
   * node in rotation took a write within the last seconds, this one is taken out for a while;
   * when none did, the cluster itself has lost its quorum and nothing is gained by moving.
   */
  refusedWrites(url: string): void {
    const now = Date.now();
    const othersWrite = this.states.some((s) => s.url !== url && s.up && s.wroteAt !== undefined && now - s.wroteAt < RECENT_WRITE_MS);
    if (!othersWrite) return;
    this.markDown(url, 'no write quorum in its view (SlowDownWrite) while its peers take writes');
    // Its own checks pass meanwhile: only time tells that its view has caught up.
    const state = this.stateOf(url);
    if (state) state.outUntil = now + STALE_VIEW_OUT_MS;
  }

  /**
   * What a failed call says of its endpoint: dead (refused, reset), or only suspect (silent).
   * No answer in time alone does not make the node dead: on a cluster, a healthy node holds a
   * call while it waits on a frozen peer. Its own check, asked now on its own deadline, decides.
   */
  failed(url: string, error: unknown): void {
    markEndpoint(error, url);
    if (isTimeout(error)) void this.check(url);
    else this.markDown(url, failureOf(error));
  }

  /** Checks every endpoint now; answers when all checks are done. */
  async checkAll(): Promise<void> {
    await Promise.all(this.states.map((state) => this.check(state.url)));
  }

  /** One node's health check (see the top of this file); never longer than its own deadline. */
  private async check(url: string): Promise<void> {
    if (this.checking.has(url)) return;
    this.checking.add(url);
    try {
      const probe = this.settings.probe ?? 's3';
      const cluster = probe === 'minio' ? this.ask(url, '/minio/health/cluster') : undefined;
      const live = await this.ask(url, probe === 'minio' ? '/minio/health/live' : probe === 'seaweedfs' ? '/healthz' : '/');
      if ('failure' in live) return this.set(url, false, live.failure);
      if (live.status >= 500) return this.set(url, false, `HTTP ${live.status}`);
      if (!cluster) return this.passed(url);
      const quorum = await cluster;
      // No answer in time: the node may be waiting on a frozen peer. Nothing is decided.
      if ('failure' in quorum) return this.notPassed(url);
      if (quorum.status >= 500) return this.set(url, false, `no write quorum (HTTP ${quorum.status} from /minio/health/cluster)`);
      // 200, or another engine's refusal of MinIO's path: alive is all that can be known.
      this.passed(url);
    } finally {
      this.checking.delete(url);
    }
  }

  private async ask(url: string, path: string): Promise<Asked> {
    try {
      const answer = await this.checker.request({ origin: url, path, method: 'HEAD', signal: AbortSignal.timeout(this.checkTimeoutMs) });
      await answer.body.dump();
      return { status: answer.statusCode };
    } catch (error) {
      return { failure: failureOf(error) };
    }
  }

  private stateOf(url: string): EndpointState | undefined {
    return this.states.find((state) => state.url === url);
  }

  private notPassed(url: string): void {
    const state = this.stateOf(url);
    if (state && !state.up) state.passes = 0;
  }

  private passed(url: string): void {
    const state = this.stateOf(url);
    if (!state || state.up || (state.outUntil !== undefined && Date.now() < state.outUntil)) return;
    state.passes = (state.passes ?? 0) + 1;
    if (state.passes >= CHECKS_TO_RISE) {
      state.rejoinedAt = new Date();
      this.set(url, true, undefined);
    }
  }

  private set(url: string, up: boolean, reason: string | undefined): void {
    const state = this.stateOf(url);
    if (!state || state.up === up) return;
    state.up = up;
    state.since = new Date();
    state.reason = reason;
    state.passes = 0;
    this.settings.onChange?.({ url: state.url, up, since: state.since, reason });
  }
}

/** Any SDK client (S3, STS): its middleware stack is all routing needs. */
interface SdkClient {
  middlewareStack: {
    addRelativeTo(middleware: FinalizeRequestMiddleware<any, any>, options: RelativeMiddlewareOptions): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

/**
 * Sends each attempt of an SDK call to a healthy endpoint. It sits after the SDK's retry layer
 * and before signing, so a retry after a refused or silent node goes to another node, signed
 * for that node's host. The client must be built with the first endpoint (path-style or a
 * host suffix: `bucket.` before the endpoint's host is kept).
 */
export function routeByHealth(client: SdkClient, endpoints: StoreEndpoints): void {
  const configured = new URL(endpoints.primary).hostname;
  client.middlewareStack.addRelativeTo(
    (next) => {
      const tried = new Set<string>();
      let bucketHost: string | undefined;
      return async (args) => {
        // Every endpoint failed this call once: start over (one may be back).
        const endpoint = endpoints.pick(tried) ?? endpoints.pick() ?? endpoints.primary;
        const request = args.request;
        if (HttpRequest.isInstance(request)) {
          const target = new URL(endpoint);
          // The first attempt still has the SDK's host: keep a virtual-hosted `bucket.` part.
          bucketHost ??= request.hostname.endsWith(configured)
            ? request.hostname.slice(0, request.hostname.length - configured.length)
            : '';
          request.protocol = target.protocol;
          request.hostname = bucketHost + target.hostname;
          request.port = target.port ? Number(target.port) : undefined;
          request.headers.host = bucketHost + target.host;
        }
        try {
          const answer = await next(args);
          // A PUT (object, part, copy) stored something; a POST may be STS, which proves nothing of quorum.
          if (HttpRequest.isInstance(request) && request.method === 'PUT') endpoints.wrote(endpoint);
          return answer;
        } catch (error) {
          if (isNetworkFailure(error)) {
            endpoints.failed(endpoint, error);
            tried.add(endpoint);
          } else if (nameOf(error) === NO_WRITE_QUORUM) {
            endpoints.refusedWrites(endpoint);
          }
          throw error;
        }
      };
    },
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'storeEndpointRouting', override: true },
  );
}

/** The endpoints of a store's settings: AWS S3's regional endpoint when none is configured. */
export function endpointsFor(settings: S3Settings, options: Pick<EndpointSettings, 'onChange' | 'checkIntervalMs'> = {}): StoreEndpoints {
  const urls = settings.endpoints.length > 0 ? settings.endpoints : [`https://s3.${settings.region}.amazonaws.com`];
  const publicUrls = settings.publicEndpoints.length > 0 ? settings.publicEndpoints : urls;
  const probe = settings.engine === 'aws' ? 's3' : settings.engine;
  return new StoreEndpoints({ urls, publicUrls, probe, ...options });
}
