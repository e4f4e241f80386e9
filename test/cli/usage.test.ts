/**
 * `storage usage` and the CLI under a storage type's limits, run as a child process (the built
 * dist/cli/main.js) against the real gateway and MinIO: tmp has a quota and a largest upload,
 * products takes images only. The table and its --json, uploads declaring their size (a file's
 * always, stdin's and an upload URL's with --size), and the exit code and words of each refusal.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AnswerOf } from '../../src/protocol/answers';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { until } from '../support/wait';
import { cliRunner, type Run } from './runCli';

const KiB = 1024;

let gw: TestGateway;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  gw = await startTestGateway({ QUOTA_BYTES: 'tmp=64KiB', MAX_UPLOAD_BYTES: 'tmp=40KiB', UPLOAD_CONTENT_TYPES: 'products=image/*' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'cli-usage-'));
  env = {
    PATH: process.env.PATH ?? '',
    STORAGE_URL: gw.url,
    STORAGE_TOKEN: await gw.token('cli-usage-user'),
    STORAGE_DATA_DIR: path.join(dir, 'no-data'),
  };
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

const storage = cliRunner(() => env);
const json = (run: Run) => JSON.parse(run.stdout.toString('utf8')) as unknown;
const usage = async () => json(await storage(['--json', 'usage'])) as AnswerOf<'usage'>;
const file = (name: string, size: number) => {
  const at = path.join(dir, name);
  writeFileSync(at, Buffer.alloc(size, 'x'));
  return at;
};

describe('storage usage', () => {
  beforeAll(async () => {
    // Through the gateway, so the ledger counts it at once (within its flush).
    const response = await fetch(`${gw.apiUrl}/tmp/counted.txt`, {
      method: 'PUT',
      headers: { ...(await gw.auth('cli-usage-user')), 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(response.status).toBe(200);
    expect(await until(async () => (await usage()).types.tmp.bytes === 5, 10_000)).toBe(true);
    // The gateway's lease gives its spare back once idle for a second.
    expect(await until(async () => (await usage()).types.tmp.reservedBytes === 0, 10_000)).toBe(true);
  });

  it('--json prints the answer: every storage type, with its quota and largest upload or null', async () => {
    const answer = await usage();
    expect(answer.namespace).toBe(gw.namespaceOf('cli-usage-user'));
    expect(Object.keys(answer.types).sort()).toEqual(['data', 'logs', 'products', 'result', 'tmp']);
    expect(answer.types.tmp).toEqual({ bytes: 5, objects: 1, reservedBytes: 0, quotaBytes: 64 * KiB, maxUploadBytes: 40 * KiB });
    expect(answer.types.data).toMatchObject({ quotaBytes: null, maxUploadBytes: null });
  });

  it('prints a table for people: used, objects, reserved, quota and max upload in human units, none for no limit', async () => {
    const run = await storage(['usage']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const lines = run.stdout.toString().split('\n');
    expect(lines[0]).toBe(`namespace ${gw.namespaceOf('cli-usage-user')}`);
    expect(lines[1]).toMatch(/^type\s+used\s+objects\s+reserved\s+quota\s+max upload$/);
    expect(run.stdout.toString()).toMatch(/^tmp\s+5 B\s+1\s+0 B\s+64\.0 KiB\s+40\.0 KiB$/m);
    expect(run.stdout.toString()).toMatch(/^data\s+\d+(\.\d)? \w*B\s+\d+\s+\S+ \w*B\s+none\s+none$/m);
  });
});

describe('uploads under limits', () => {
  it('puts a file on a type with limits, declaring its size', async () => {
    const put = await storage(['put', '-t', 'tmp', file('small.bin', 10 * KiB), 'small.bin']);
    expect([put.code, put.stderr]).toEqual([0, '']);
    expect((await storage(['get', '-t', 'tmp', 'small.bin'])).stdout.length).toBe(10 * KiB);
  });

  it('puts stdin on a type with limits, its size read ahead or given with --size', async () => {
    // A short stream is read whole before it is sent, so its size is known without --size.
    const without = await storage(['put', '-t', 'tmp', '-', 'unsized.txt'], { input: 'from a pipe' });
    expect([without.code, without.stderr]).toEqual([0, '']);
    const sized = await storage(['put', '-t', 'tmp', '--size', '11', '-', 'piped.txt'], { input: 'from a pipe' });
    expect([sized.code, sized.stderr]).toEqual([0, '']);
    expect((await storage(['get', '-t', 'tmp', 'piped.txt'])).stdout.toString()).toBe('from a pipe');
  });

  it('prints an upload URL on a type with limits only with --size, and the URL takes that length alone', async () => {
    expect((await storage(['url', 'upload', '-t', 'tmp', 'by-url.txt'])).code).toBe(2);
    const run = await storage(['url', 'upload', '-t', 'tmp', '--size', '5', 'by-url.txt']);
    expect(run.code).toBe(0);
    const url = run.stdout.toString().trim();
    expect((await fetch(url, { method: 'PUT', body: Buffer.from('toolong') })).ok).toBe(false);
    expect((await fetch(url, { method: 'PUT', body: Buffer.from('right') })).status).toBe(200);
  });

  it('exits 9 for a file larger than the type takes, saying so and where to see the limits', async () => {
    const run = await storage(['put', '-t', 'tmp', file('big.bin', 50 * KiB), 'big.bin']);
    expect(run.code).toBe(9);
    expect(run.stderr).toMatch(/^storage: too large: .+\nstorage: see the largest upload each storage type takes: storage usage\n$/);
  });

  it('exits 8 when the quota is full, saying so and what to do', async () => {
    let run: Run | undefined;
    for (let n = 0; n < 4 && run?.code !== 8; n++) run = await storage(['put', '-t', 'tmp', file(`fill-${n}.bin`, 30 * KiB)]);
    expect(run?.code).toBe(8);
    expect(run?.stderr).toMatch(/^storage: quota exceeded: .+\nstorage: see what each storage type holds and its quota: storage usage; /);
    const asJson = await storage(['--json', 'put', '-t', 'tmp', file('one-more.bin', 30 * KiB)]);
    expect(asJson.code).toBe(8);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'quota_exceeded', status: 413 } });
  });

  it('exits 2 for a media type the storage type does not store, naming it', async () => {
    const run = await storage(['put', '-t', 'products', '--content-type', 'text/plain', file('notes.txt', 10), 'notes.txt']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^storage: media type refused: .*text\/plain.*\nstorage: store it with another --content-type/);
  });
});
