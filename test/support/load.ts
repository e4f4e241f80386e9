/**
 * A bounded load for fault tests: workers write new keys through one gateway and read each
 * back at once through the next (read-after-write across replicas), for a fixed time. Every
 * answer is recorded with its time, so a test can say what the callers saw during a fault;
 * afterwards every acknowledged write (a 200 to its PUT) is read again and compared.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface LoadTarget {
  apiUrl: string;
  headers: Record<string, string>;
}

export interface Answer {
  /** Milliseconds since the load began. */
  at: number;
  op: 'put' | 'get';
  /** 0: no HTTP answer at all (refused, or none within the client's limit). */
  status: number;
  ms: number;
  /** The error code of a failure's JSON answer, when it had one. */
  code?: string;
}

export interface LoadResult {
  answers: Answer[];
  /** Acknowledged writes: key → SHA-256 of the body the gateway said it stored. */
  acknowledged: Map<string, string>;
  /** Reads right after an acknowledged write, through another replica, that found nothing: when (ms since start). */
  staleReads: number[];
  /** Such reads that found other bytes: when (ms since start). */
  corruptReads: number[];
  startedAt: number;
}

const CLIENT_LIMIT_MS = 20_000;

async function call(url: string, init: RequestInit): Promise<{ status: number; body: Buffer }> {
  try {
    const answer = await fetch(url, { ...init, signal: AbortSignal.timeout(CLIENT_LIMIT_MS) });
    return { status: answer.status, body: Buffer.from(await answer.arrayBuffer()) };
  } catch {
    return { status: 0, body: Buffer.alloc(0) };
  }
}

function errorCode(body: Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString('utf8')) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export async function runLoad(options: {
  targets: LoadTarget[];
  workers: number;
  durationMs: number;
  keyPrefix: string;
}): Promise<LoadResult> {
  const startedAt = Date.now();
  const result: LoadResult = { answers: [], acknowledged: new Map(), staleReads: [], corruptReads: [], startedAt };
  const record = (op: Answer['op'], answer: { status: number; body: Buffer }, began: number) =>
    result.answers.push({
      at: began - startedAt,
      op,
      status: answer.status,
      ms: Date.now() - began,
      ...(answer.status >= 300 && { code: errorCode(answer.body) }),
    });
  const worker = async (w: number) => {
    for (let i = 0; Date.now() - startedAt < options.durationMs; i++) {
      const writer = options.targets[(w + i) % options.targets.length] as LoadTarget;
      const reader = options.targets[(w + i + 1) % options.targets.length] as LoadTarget;
      const key = `${options.keyPrefix}/w${w}/${i}`;
      const body = randomBytes(1024 + ((w * 7919 + i * 104729) % 63) * 1024);
      let began = Date.now();
      const put = await call(`${writer.apiUrl}/data/${key}`, { method: 'PUT', headers: writer.headers, body });
      record('put', put, began);
      if (put.status !== 200) {
        // Pace retries a little, as a client honouring Retry-After would, but keep sampling.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      result.acknowledged.set(key, sha(body));
      began = Date.now();
      const get = await call(`${reader.apiUrl}/data/get/${key}`, { headers: reader.headers });
      record('get', get, began);
      // The write was acknowledged: a 404 now is as wrong as other bytes.
      if (get.status === 404) result.staleReads.push(began - startedAt);
      if (get.status === 200 && sha(get.body) !== sha(body)) result.corruptReads.push(began - startedAt);
    }
  };
  await Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w)));
  return result;
}

/** Reads every acknowledged write back: how many are gone, and how many hold other bytes. */
export async function verifyWrites(
  result: LoadResult,
  target: LoadTarget,
): Promise<{ checked: number; lost: number; corrupt: number; unreadable: number }> {
  let lost = 0;
  let corrupt = 0;
  let unreadable = 0;
  const keys = [...result.acknowledged.keys()];
  // A few at a time: the store is recovering, not under test here.
  for (let i = 0; i < keys.length; i += 8) {
    await Promise.all(
      keys.slice(i, i + 8).map(async (key) => {
        let answer = await call(`${target.apiUrl}/data/get/${key}`, { headers: target.headers });
        for (let attempt = 0; answer.status !== 200 && answer.status !== 404 && attempt < 20; attempt++) {
          await new Promise((r) => setTimeout(r, 500));
          answer = await call(`${target.apiUrl}/data/get/${key}`, { headers: target.headers });
        }
        if (answer.status === 404) lost++;
        else if (answer.status !== 200) unreadable++;
        else if (sha(answer.body) !== result.acknowledged.get(key)) corrupt++;
      }),
    );
  }
  return { checked: keys.length, lost, corrupt, unreadable };
}

export interface Figures {
  requests: number;
  percentOk: number;
  /** Answers other than 2xx, by status (0: no answer). */
  errors: Record<string, number>;
  /** From the repair (or the fault, for a failover) to the first of an unbroken run of 2xx. */
  recoveryMs: number | undefined;
  slowestMs: number;
}

/** What callers saw, and how long after `since` every answer was a success again. */
export function figures(answers: Answer[], since: number): Figures {
  const ok = answers.filter((a) => a.status >= 200 && a.status < 300).length;
  const errors: Record<string, number> = {};
  for (const a of answers) if (a.status < 200 || a.status >= 300) errors[a.status] = (errors[a.status] ?? 0) + 1;
  const lastFailure = Math.max(-1, ...answers.filter((a) => a.status < 200 || a.status >= 300).map((a) => a.at + a.ms));
  const firstOkAfter = answers.filter((a) => a.status === 200 && a.at >= lastFailure && a.at >= since).map((a) => a.at + a.ms);
  return {
    requests: answers.length,
    percentOk: answers.length === 0 ? 0 : Math.round((ok / answers.length) * 10_000) / 100,
    errors,
    recoveryMs: lastFailure < since ? 0 : firstOkAfter.length > 0 ? Math.min(...firstOkAfter) - since : undefined,
    slowestMs: Math.max(0, ...answers.map((a) => a.ms)),
  };
}

/** The answers in a window of the run, [from, to) ms after its start. */
export function during(answers: Answer[], from: number, to: number): Answer[] {
  return answers.filter((a) => a.at >= from && a.at < to);
}
