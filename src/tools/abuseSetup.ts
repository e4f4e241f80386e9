/**
 * What a scenario of `npm run abuse` is (abuseScenarios.ts lists them): a set-up outside the
 * measured window, given the Context, and the attack it leaves to run until its Attackers are
 * stopped; and the set-up requests it makes, bounded in time and failing on an error.
 */
import http from 'node:http';
import { mintToken } from '../auth/tokens';
import type { Attackers } from './abuseAttackers';

/** Any one set-up request (a session, a batch of part URLs, a part) that takes longer fails the scenario. */
const SETUP_TIMEOUT_MS = 60_000;

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

interface Answer {
  status: number;
  text: string;
}

/** A set-up request: bounded in time, failing on an error; resolves with the whole answer. */
export function setupRequest(
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

export async function setupJson<T>(ctx: Context, method: string, url: string, headers: Record<string, string>): Promise<T> {
  const answer = await setupRequest(ctx, method, url, headers);
  if (answer.status < 200 || answer.status > 299)
    throw new Error(`${method} ${new URL(url).pathname} answered ${answer.status}: ${answer.text}`);
  return JSON.parse(answer.text) as T;
}

export async function bearer(ctx: Context, subject: string, roles?: string[]): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await mintToken(ctx.secret, subject, roles ? { roles } : {})}` };
}

/** Runs `work` on each item, `width` at a time. */
export async function inPool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export const octet = { 'content-type': 'application/octet-stream' };
