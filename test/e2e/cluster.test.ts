/**
 * WEB_CONCURRENCY=2: the built gateway as a primary and two workers on one port, against the
 * test store. Both workers serve, /metrics sums them, a worker that dies is replaced while
 * requests go on, and SIGTERM stops every process with exit code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { mintToken } from '../../src/auth/tokens';
import { freePort } from '../../src/local/minio';
import { gatewayProcessEnv, operatorClient, removeBuckets, TEST_JWT_SECRET } from '../support/gateway';
import { until } from '../support/wait';

const root = path.resolve(__dirname, '..', '..');
const prefix = `t-${randomBytes(5).toString('hex')}`;
let primary: ChildProcess;
let url: string;
let auth: Record<string, string>;

/** The primary's child processes (its workers), from /proc. */
function workers(): number[] {
  const pid = primary.pid ?? 0;
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
}

/** One request on a connection of its own, so the cluster may hand it to either worker. */
function request(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}${path}`,
      { method, agent: false, headers: { ...auth, ...(body !== undefined && { 'content-length': String(body.length) }) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  auth = { authorization: `Bearer ${await mintToken(TEST_JWT_SECRET, 'clustered')}` };
  primary = spawn(process.execPath, [path.join(root, 'dist', 'main.js')], {
    env: gatewayProcessEnv(prefix, port, { WEB_CONCURRENCY: '2', LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The primary logs this once every worker has reported ready: only then is it safe to kill
  // one (a worker lost during start-up fails the start-up, by design). /readyz answers earlier,
  // from the first worker ready, which on a busy machine can be long before the second.
  let log = '';
  primary.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const ready = await until(() => log.includes('"msg":"storage gateway listening"'), 60_000);
  if (!ready) throw new Error('the clustered gateway did not become ready');
  expect(workers()).toHaveLength(2);
});

afterAll(async () => {
  if (primary.exitCode === null) primary.kill('SIGKILL');
  const s3 = operatorClient();
  await removeBuckets(s3, prefix);
  s3.destroy();
});

it('serves from two worker processes on one port and sums their metrics', async () => {
  expect(workers()).toHaveLength(2);
  expect((await request('PUT', '/storage/v1/data/shared.txt', 'from any worker')).status).toBe(200);
  const reads = await Promise.all(Array.from({ length: 20 }, () => request('GET', '/storage/v1/data/get/shared.txt')));
  expect(reads.every((r) => r.status === 200 && r.text === 'from any worker')).toBe(true);

  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = /^storage_http_requests_total\{[^}]*route="get"[^}]*status="200"[^}]*\} (\d+)$/m.exec(metrics);
  expect(Number(line?.[1])).toBe(20);
  // Each worker reports its own resident memory; the sum is over two processes.
  expect(metrics).toContain('process_resident_memory_bytes');
});

it('replaces a worker that dies, and keeps serving meanwhile', async () => {
  const [victim] = workers();
  process.kill(victim ?? 0, 'SIGKILL');
  // Once the primary has seen the exit, the other worker takes every connection.
  expect(await until(() => !existsSync(`/proc/${victim}`), 10_000)).toBe(true);
  const during = await Promise.all(Array.from({ length: 10 }, () => request('GET', '/storage/v1/data/get/shared.txt')));
  expect(during.map((r) => r.status)).toEqual(Array(10).fill(200));
  // A replacement is started and serves too: 20 fresh connections all answered.
  expect(await until(() => workers().length === 2 && !workers().includes(victim ?? 0), 30_000)).toBe(true);
  await new Promise((r) => setTimeout(r, 1500));
  const after = await Promise.all(Array.from({ length: 20 }, () => request('GET', '/storage/v1/data/get/shared.txt')));
  expect(after.map((r) => r.status)).toEqual(Array(20).fill(200));
});

it('stops every process with exit code 0 on SIGTERM', async () => {
  const children = workers();
  const exited = new Promise<number | null>((resolve) => primary.once('exit', (code) => resolve(code)));
  primary.kill('SIGTERM');
  expect(await exited).toBe(0);
  for (const pid of children) expect(existsSync(`/proc/${pid}`)).toBe(false);
});
