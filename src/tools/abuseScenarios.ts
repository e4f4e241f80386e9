/**
 * The scenarios of `npm run abuse` (abuse.ts): for each, a set-up outside the measured window
 * and an attack that runs until its Attackers are stopped. Every attacker socket, pool and
 * timer is held by the scenario's Attackers, so stopping lets go of all of them at once.
 */
import { randomBytes } from 'node:crypto';
import { once, setMaxListeners } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { mintToken } from '../auth/tokens';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Any one set-up request (a session, a batch of part URLs, a part) that takes longer fails the scenario. */
const SETUP_TIMEOUT_MS = 60_000;
const SMALL_BODY = Buffer.alloc(KiB, 'a');

export interface Context {
  api: string;
  port: number;
  secret: string;
  /** Parts per multipart session in the completions scenario. */
  parts: number;
  /** Ends set-up when the run is interrupted. */
  signal: AbortSignal;
  /** Pool for set-up requests, destroyed with the scenario. */
  setup: http.Agent;
}

/** What a scenario's set-up leaves: the attack to start when the measured window opens. */
export interface Prepared {
  attack?: (attackers: Attackers) => Promise<void>;
  /** Set-up facts for the notes under the table. */
  note?: string;
  /** The attack holds its connections open: how many still are at the end is worth a column. */
  holds?: boolean;
}

export interface Scenario {
  name: string;
  /** What the attackers do, for the notes. */
  what: (parts: number) => string;
  prepare(ctx: Context): Promise<Prepared>;
}

// ---- attackers ---------------------------------------------------------------------------------

/**
 * Everything one scenario's attackers hold, so that stop() can let go of all of it: their
 * sockets, pools and timers. Outcomes seen after stop() are the tool's own doing, not counted.
 */
export class Attackers {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal = this.controller.signal;
  private readonly sockets = new Set<net.Socket>();
  private readonly agents: http.Agent[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  readonly answers = new Map<string, number>();
  requests = 0;

  constructor() {
    // Every attacker request listens to the signal while under way: hundreds at once are the point.
    setMaxListeners(0, this.signal);
  }

  get stopped(): boolean {
    return this.signal.aborted;
  }

  agent(options: http.AgentOptions): http.Agent {
    const agent = new http.Agent(options);
    this.agents.push(agent);
    return agent;
  }

  track(socket: net.Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  every(ms: number, tick: () => void): void {
    this.timers.push(setInterval(tick, ms));
  }

  async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.signal }).catch(() => undefined);
  }

  count(outcome: string): void {
    if (!this.stopped) this.answers.set(outcome, (this.answers.get(outcome) ?? 0) + 1);
  }

  /** Tracked connections not closed yet. */
  open(): number {
    return this.sockets.size;
  }

  stop(): void {
    this.controller.abort();
    for (const timer of this.timers) clearInterval(timer);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    for (const agent of this.agents) agent.destroy();
  }
}

/** How a request that got no answer ended: cut by the other side, refused, or another error. */
function failure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'cut';
  if (code === 'ECONNREFUSED') return 'refused';
  return code?.toLowerCase() ?? 'error';
}

/** One attacker request on a pool; resolves with its status, or how it failed. */
function attackRequest(
  attackers: Attackers,
  agent: http.Agent,
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<string> {
  attackers.requests++;
  return new Promise((resolve) => {
    const request = http.request(url, { method, agent, headers, signal: attackers.signal });
    request.on('error', (error) => resolve(failure(error)));
    request.on('response', (response) => {
      response.on('data', () => undefined);
      response.on('end', () => resolve(String(response.statusCode)));
      response.on('error', (error) => resolve(failure(error)));
    });
    request.end(body);
  });
}

/**
 * An upload on its own connection whose headers go out at once and whose body the caller
 * writes (or does not). Its outcome is counted once: the gateway's answer, or how the
 * connection ended without one. An answer ends it: this attacker does not retry.
 */
function heldUpload(attackers: Attackers, url: string, headers: Record<string, string>): http.ClientRequest {
  attackers.requests++;
  const request = http.request(url, { method: 'PUT', agent: false, headers, signal: attackers.signal });
  let outcome: string | undefined;
  const end = (what: string) => {
    if (outcome !== undefined) return;
    outcome = what;
    attackers.count(what);
  };
  request.on('socket', (socket) => attackers.track(socket));
  request.on('response', (response) => {
    end(String(response.statusCode));
    response.resume();
    request.destroy();
  });
  request.on('error', (error) => end(failure(error)));
  request.on('close', () => end('cut'));
  request.flushHeaders();
  return request;
}

/** Writes one byte to each upload still under way, every `ms`. */
function trickle(attackers: Attackers, uploads: http.ClientRequest[], ms: number): void {
  attackers.every(ms, () => {
    for (const upload of uploads) if (!upload.destroyed) upload.write('t');
  });
}

/**
 * A raw connection that sends `head` at once, then one character of `drip(n)` per tick of
 * its group; the first status line the gateway sends back is its outcome.
 */
function slowConnection(attackers: Attackers, port: number, head: string, drip: (n: number) => string): () => void {
  attackers.requests++;
  const socket = net.connect({ host: '127.0.0.1', port });
  attackers.track(socket);
  let outcome: string | undefined;
  const end = (what: string) => {
    if (outcome !== undefined) return;
    outcome = what;
    attackers.count(what);
  };
  socket.on('data', (chunk: Buffer) => {
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1'))?.[1];
    end(status ?? 'garbled');
  });
  socket.on('error', (error) => end(failure(error)));
  socket.on('close', () => end('cut'));
  if (head) socket.write(head);
  let sent = 0;
  return () => {
    if (!socket.destroyed && socket.writable) socket.write(drip(sent++));
  };
}

/** Calls `open(i)` `count` times, `batch` at a time with a pause between, so the listen backlog keeps up. */
async function ramp(attackers: Attackers, count: number, batch: number, open: (i: number) => void): Promise<void> {
  for (let i = 0; i < count && !attackers.stopped; i++) {
    open(i);
    if ((i + 1) % batch === 0) await attackers.pause(50);
  }
}

// ---- set-up requests -------------------------------------------------------------------------

interface Answer {
  status: number;
  text: string;
}

/** A set-up request: bounded in time, failing on an error; resolves with the whole answer. */
function setupRequest(
  ctx: Context,
  method: string,
  url: string,
  headers: Record<string, string>,
  body: Buffer = Buffer.alloc(0),
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method,
      agent: ctx.setup,
      headers: { ...headers, 'content-length': String(body.length) },
      signal: ctx.signal,
    });
    request.setTimeout(SETUP_TIMEOUT_MS, () => request.destroy(new Error(`${method} ${new URL(url).pathname} timed out`)));
    request.on('error', reject);
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    request.end(body);
  });
}

async function setupJson<T>(ctx: Context, method: string, url: string, headers: Record<string, string>): Promise<T> {
  const answer = await setupRequest(ctx, method, url, headers);
  if (answer.status < 200 || answer.status > 299)
    throw new Error(`${method} ${new URL(url).pathname} answered ${answer.status}: ${answer.text}`);
  return JSON.parse(answer.text) as T;
}

async function bearer(ctx: Context, subject: string, roles?: string[]): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await mintToken(ctx.secret, subject, roles ? { roles } : {})}` };
}

/** Runs `work` on each item, `width` at a time. */
async function inPool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

// ---- scenarios -------------------------------------------------------------------------------

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const octet = { 'content-type': 'application/octet-stream' };

/** A key of `depth` one-character segments: `a/a/.../<leaf>`. */
const deepKey = (depth: number, leaf: string) => `${'a/'.repeat(depth - 1)}${leaf}`;
const DEEP_FIRST_TRY = 480;
const DEEP_LOOPS = 32;

const TRICKLE_OWNERS = 64;
const TRICKLE_PER_OWNER = 16;
const TRICKLE_EVERY_MS = 5_000;

const CHUNKED_USERS = 4;
const CHUNKED_PER_USER = 16;
const CHUNKED_BULK = 15 * MiB;
const CHUNK = Buffer.alloc(64 * KiB, 'c');

const SLOWLORIS = 2_000;
const SLOW_SIGN_INS = 200;
const SIGN_IN_BODY_BYTES = 100;

const SESSIONS = 16;

export const SCENARIOS: Scenario[] = [
  {
    name: 'baseline',
    what: () => 'the victim alone',
    prepare: () => Promise.resolve({}),
  },
  {
    name: 'deep-keys',
    what: () =>
      `one user, ${DEEP_LOOPS} loops of 1 KiB PUTs to new keys as deep as the gateway accepts (${DEEP_FIRST_TRY} segments tried first)`,
    async prepare(ctx) {
      const headers = { ...(await bearer(ctx, 'abuse-deep')), ...octet };
      const { depth, note } = await deepestAccepted(ctx, headers);
      let n = 0;
      return {
        note,
        attack: async (attackers) => {
          const agent = attackers.agent({ keepAlive: true, maxSockets: DEEP_LOOPS });
          await Promise.all(
            range(DEEP_LOOPS).map(async () => {
              while (!attackers.stopped) {
                attackers.count(
                  await attackRequest(attackers, agent, 'PUT', `${ctx.api}/data/${deepKey(depth, `x${n++}`)}`, headers, SMALL_BODY),
                );
              }
            }),
          );
        },
      };
    },
  },
  {
    name: 'trickle-uploads',
    what: () =>
      `one service token (storage:tasks) for ${TRICKLE_OWNERS} made-up namespaces, ${TRICKLE_PER_OWNER} result uploads each declaring 1 MiB, 1 byte every ${TRICKLE_EVERY_MS / 1000} s`,
    async prepare(ctx) {
      const auth = await bearer(ctx, 'abuse-tasks', ['storage:tasks']);
      const namespaces = range(TRICKLE_OWNERS).map(() => randomBytes(20).toString('hex'));
      return {
        holds: true,
        attack: (attackers) =>
          trickleUploads(attackers, (i) => ({
            url: `${ctx.api}/result/trickle/${i}`,
            headers: { ...auth, 'x-storage-namespace': namespaces[i % TRICKLE_OWNERS] ?? '' },
          })),
      };
    },
  },
  {
    name: 'trickle-users',
    what: () =>
      `${TRICKLE_OWNERS} users, ${TRICKLE_PER_OWNER} data uploads each declaring 1 MiB, 1 byte every ${TRICKLE_EVERY_MS / 1000} s`,
    async prepare(ctx) {
      const users = await Promise.all(range(TRICKLE_OWNERS).map((u) => bearer(ctx, `abuse-trickler-${u}`)));
      return {
        holds: true,
        attack: (attackers) =>
          trickleUploads(attackers, (i) => ({ url: `${ctx.api}/data/trickle/${i}`, headers: users[i % TRICKLE_OWNERS] ?? {} })),
      };
    },
  },
  {
    name: 'chunked-bodies',
    what: () =>
      `${CHUNKED_USERS} users, ${CHUNKED_PER_USER} chunked PUTs each (no Content-Length): ${CHUNKED_BULK / MiB} MiB at once, then 1 byte every ${TRICKLE_EVERY_MS / 1000} s`,
    async prepare(ctx) {
      const users = await Promise.all(range(CHUNKED_USERS).map((u) => bearer(ctx, `abuse-chunker-${u}`)));
      return {
        holds: true,
        attack: async (attackers) => {
          const uploads: http.ClientRequest[] = [];
          trickle(attackers, uploads, TRICKLE_EVERY_MS);
          await Promise.all(
            range(CHUNKED_USERS * CHUNKED_PER_USER).map(async (i) => {
              const upload = heldUpload(attackers, `${ctx.api}/data/chunked/${i}`, {
                ...users[i % CHUNKED_USERS],
                ...octet,
                'transfer-encoding': 'chunked',
              });
              for (let sent = 0; sent < CHUNKED_BULK && !upload.destroyed; sent += CHUNK.length) {
                if (!upload.write(CHUNK)) await once(upload, 'drain', { signal: attackers.signal }).catch(() => undefined);
              }
              uploads.push(upload);
            }),
          );
        },
      };
    },
  },
  {
    name: 'slow-unauthenticated',
    what: () =>
      `${SLOWLORIS.toLocaleString('en')} connections sending a request's head 1 byte per second, and ${SLOW_SIGN_INS} sign-in POSTs declaring ${SIGN_IN_BODY_BYTES} bytes sending 1 byte every 10 s`,
    prepare(ctx) {
      const host = `127.0.0.1:${ctx.port}`;
      // Never the blank line that ends a head: header after header, one character at a time.
      const head = (i: number) => `GET /storage/v1/data/get/slow/${i} HTTP/1.1\r\nHost: ${host}\r\n`;
      const filler = 'X-Slow: 1\r\n';
      const signInHead = `POST /storage/v1/sign-in HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${SIGN_IN_BODY_BYTES}\r\n\r\n`;
      const prefix = '{"ticket":"';
      const signInBody = `${prefix}${'t'.repeat(SIGN_IN_BODY_BYTES - prefix.length - 2)}"}`;
      return Promise.resolve({
        holds: true,
        attack: async (attackers) => {
          const loris: (() => void)[] = [];
          const signIns: (() => void)[] = [];
          attackers.every(1_000, () => loris.forEach((send) => send()));
          attackers.every(10_000, () => signIns.forEach((send) => send()));
          await Promise.all([
            ramp(attackers, SLOWLORIS, 200, (i) => {
              const text = head(i);
              loris.push(slowConnection(attackers, ctx.port, '', (n) => text[n] ?? filler[(n - text.length) % filler.length] ?? ''));
            }),
            ramp(attackers, SLOW_SIGN_INS, 100, () => {
              signIns.push(slowConnection(attackers, ctx.port, signInHead, (n) => signInBody[n] ?? ''));
            }),
          ]);
        },
      });
    },
  },
  {
    name: 'completions',
    what: (parts) =>
      `one user, ${SESSIONS} multipart sessions of ${parts.toLocaleString('en')} tiny parts each (uploaded to MinIO beforehand), all ${SESSIONS} completed at once without a parts list, again and again`,
    async prepare(ctx) {
      const started = performance.now();
      const auth = await bearer(ctx, 'abuse-completer');
      const parts = ctx.parts;
      const sessions = await Promise.all(
        range(SESSIONS).map(async (s) => {
          const key = `completions/s${s}/blob`;
          const { uploadId } = await setupJson<{ uploadId: string }>(ctx, 'POST', `${ctx.api}/multipart/data/${key}`, auth);
          const urls: string[] = [];
          // The gateway signs at most 1,000 part URLs per request.
          for (let first = 1; first <= parts; first += 1000) {
            const last = Math.min(parts, first + 999);
            const batch = await setupJson<{ urls: { url: string }[] }>(
              ctx,
              'GET',
              `${ctx.api}/multipart/data/${key}?uploadId=${encodeURIComponent(uploadId)}&parts=${first}-${last}`,
              auth,
            );
            urls.push(...batch.urls.map((part) => part.url));
          }
          return { key, uploadId, urls };
        }),
      );
      const part = Buffer.from('p');
      await inPool(
        sessions.flatMap((session) => session.urls),
        32,
        async (url) => {
          const answer = await setupRequest(ctx, 'PUT', url, {}, part);
          if (answer.status !== 200) throw new Error(`a part PUT to the store answered ${answer.status}: ${answer.text}`);
        },
      );
      const seconds = (performance.now() - started) / 1000;
      return {
        note: `set-up (not measured): ${SESSIONS} sessions × ${parts.toLocaleString('en')} parts in ${seconds.toFixed(1)} s`,
        attack: async (attackers) => {
          const agent = attackers.agent({ keepAlive: true, maxSockets: SESSIONS });
          while (!attackers.stopped) {
            const outcomes = await Promise.all(
              sessions.map((session) =>
                attackRequest(
                  attackers,
                  agent,
                  'POST',
                  `${ctx.api}/multipart/data/${session.key}?uploadId=${encodeURIComponent(session.uploadId)}`,
                  { ...auth, 'content-length': '0' },
                ),
              ),
            );
            for (const outcome of outcomes) attackers.count(outcome);
          }
        },
      };
    },
  },
];

/**
 * The deepest key the gateway lets this caller write, trying DEEP_FIRST_TRY segments first:
 * halving while a PUT answers 400, then narrowing down between the last refused and the
 * first accepted depth. Set-up, not measured.
 */
async function deepestAccepted(ctx: Context, headers: Record<string, string>): Promise<{ depth: number; note: string }> {
  const put = (depth: number) => setupRequest(ctx, 'PUT', `${ctx.api}/data/${deepKey(depth, `p${depth}`)}`, headers, SMALL_BODY);
  let depth = DEEP_FIRST_TRY;
  let refused: { depth: number; message: string } | undefined;
  for (;;) {
    const answer = await put(depth);
    if (answer.status === 200) break;
    if (answer.status !== 400 || depth === 1) {
      throw new Error(`a PUT of a ${depth}-segment key answered ${answer.status}: ${answer.text.slice(0, 200)}`);
    }
    // The first refusal's reason is the one worth printing; the shallowest refused depth bounds the search.
    refused = { depth, message: refused?.message ?? errorMessage(answer.text) };
    depth = Math.floor(depth / 2);
  }
  if (!refused) return { depth, note: `${depth} segments accepted` };
  let [accepted, tooDeep] = [depth, refused.depth];
  while (tooDeep - accepted > 1) {
    const middle = Math.floor((accepted + tooDeep) / 2);
    const answer = await put(middle);
    if (answer.status === 200) accepted = middle;
    else if (answer.status === 400) tooDeep = middle;
    else throw new Error(`a PUT of a ${middle}-segment key answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  }
  return {
    depth: accepted,
    note: `${DEEP_FIRST_TRY} segments refused ("${refused.message}"); ${accepted} segments, the deepest accepted, used`,
  };
}

function errorMessage(text: string): string {
  try {
    return (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text.slice(0, 120);
  } catch {
    return text.slice(0, 120);
  }
}

/** TRICKLE_OWNERS × TRICKLE_PER_OWNER uploads declaring 1 MiB, each sending a byte every TRICKLE_EVERY_MS. */
async function trickleUploads(
  attackers: Attackers,
  target: (i: number) => { url: string; headers: Record<string, string> },
): Promise<void> {
  const uploads: http.ClientRequest[] = [];
  trickle(attackers, uploads, TRICKLE_EVERY_MS);
  await ramp(attackers, TRICKLE_OWNERS * TRICKLE_PER_OWNER, 128, (i) => {
    const { url, headers } = target(i);
    uploads.push(heldUpload(attackers, url, { ...headers, ...octet, 'content-length': String(MiB) }));
  });
}
