/**
 * The victim of `npm run abuse`, in its own worker thread: the attackers' sockets and loops
 * run on the main thread, and if the victim shared that event loop, its latencies would
 * measure the tool's own lag as much as the gateway's.
 *
 * For each scenario the main thread posts a VictimRun; the worker runs `concurrency` loops of
 * a 1 KiB PUT of a new key, a GET of it and a listing of the key's folder (one key, so the
 * listing costs the same in every scenario), until the deadline, and posts a VictimResult.
 */
import http from 'node:http';
import { parentPort } from 'node:worker_threads';

export interface VictimRun {
  api: string;
  token: string;
  /** Keys go under this folder, one per scenario. */
  folder: string;
  seconds: number;
  concurrency: number;
  timeoutMs: number;
}

export interface VictimResult {
  /** Every request's milliseconds, including those never answered (as long as they were waited for). */
  latencies: number[];
  /** Answers outside 2xx, by status. */
  failures: Record<string, number>;
  unanswered: number;
  /** Readiness probes (/readyz every half second, as a load balancer would) that did not answer 200. */
  notReady: number;
  probes: number;
}

const PROBE_EVERY_MS = 500;
const PROBE_TIMEOUT_MS = 2_000;

const BODY = Buffer.alloc(1024, 'v');

async function runVictim(run: VictimRun): Promise<VictimResult> {
  // A fresh pool per scenario: sockets idle between scenarios may have been closed by the gateway.
  const agent = new http.Agent({ keepAlive: true, maxSockets: run.concurrency });
  const result: VictimResult = { latencies: [], failures: {}, unanswered: 0, notReady: 0, probes: 0 };
  const auth = { authorization: `Bearer ${run.token}` };
  const deadline = performance.now() + run.seconds * 1000;
  const call = async (method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<boolean> => {
    const { status, ms } = await send(agent, run.timeoutMs, method, url, headers, body);
    result.latencies.push(ms);
    if (status === undefined) {
      result.unanswered++;
      return false;
    }
    if (status >= 200 && status <= 299) return true;
    result.failures[status] = (result.failures[status] ?? 0) + 1;
    return false;
  };
  // A load balancer's view: would it have taken the gateway out of rotation?
  const probe = async () => {
    const probes = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (performance.now() < deadline) {
        const { status } = await send(probes, PROBE_TIMEOUT_MS, 'GET', `${new URL(run.api).origin}/readyz`, {});
        result.probes++;
        if (status !== 200) result.notReady++;
        await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
      }
    } finally {
      probes.destroy();
    }
  };
  try {
    await Promise.all([
      probe(),
      ...Array.from({ length: run.concurrency }, async (_, loop) => {
        for (let i = 0; performance.now() < deadline; i++) {
          const folder = `${run.folder}/w${loop}/n${i}/`;
          const key = `${folder}blob`;
          const stored = await call(
            'PUT',
            `${run.api}/data/${key}`,
            { ...auth, 'content-type': 'application/octet-stream', 'content-length': String(BODY.length) },
            BODY,
          );
          // Without the PUT, a GET would answer 404 because of the victim's own sequence.
          if (!stored || performance.now() >= deadline) continue;
          await call('GET', `${run.api}/data/get/${key}`, auth);
          if (performance.now() >= deadline) break;
          await call('GET', `${run.api}/data/list?prefix=${encodeURIComponent(folder)}`, auth);
        }
      }),
    ]);
  } finally {
    agent.destroy();
  }
  return result;
}

/** One request; resolves with its status, or none when no answer came within the timeout. */
function send(
  agent: http.Agent,
  timeoutMs: number,
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number | undefined; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let status: number | undefined;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, ms: performance.now() - started });
    };
    const request = http.request(url, { method, agent, headers });
    const timer = setTimeout(() => {
      request.destroy();
      settle();
    }, timeoutMs);
    request.on('error', settle);
    request.on('response', (response) => {
      response.on('data', () => undefined);
      // Only a whole answer counts: a status line whose body never comes is of no use to a caller.
      response.on('end', () => {
        status = response.statusCode;
        settle();
      });
      response.on('error', settle);
    });
    request.end(body);
  });
}

parentPort?.on('message', (run: VictimRun) => {
  runVictim(run).then(
    (result) => parentPort?.postMessage(result),
    (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
});
