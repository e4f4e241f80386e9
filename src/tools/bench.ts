/**
 * `npm run bench [-- --mib N] [--via gateway|cli]`: moves N MiB (default 1024) and prints
 * throughput and the gateway's memory.
 *   --via gateway (default): PUT /data/{key} streamed through the gateway, read back with GET.
 *   --via cli: `storage put` of a file (presigned multipart, straight to the store; the progress
 *              bar shows when run on a terminal), then `storage get` into a file.
 * The gateway runs as its own process in embedded mode on a throw-away data folder, so its
 * peak resident memory (VmHWM) is its own and comparable between runs.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';

const MiB = 1024 * 1024;

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { mib: { type: 'string', default: '1024' }, via: { type: 'string', default: 'gateway' } } });
  const total = Number(values.mib) * MiB;
  if (!Number.isInteger(total) || total <= 0) throw new Error('--mib must be a positive whole number');
  if (values.via !== 'gateway' && values.via !== 'cli') throw new Error('--via must be gateway or cli');

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-bench-'));
  const gateway = spawn(process.execPath, [path.join(__dirname, '..', 'main.js')], {
    env: { ...process.env, STORAGE_DATA_DIR: dataDir, PORT: '0', LOCAL_MINIO_PORT: '0', LOG_LEVEL: 'warn', S3_ENDPOINT: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const { api, token } = await welcome(gateway.stdout);
    const pid = gateway.pid ?? 0;
    if (values.via === 'cli') {
      await throughCli(api, token, total, pid, dataDir);
      return;
    }
    const headers = { authorization: `Bearer ${token}` };
    const idle = memory(pid);

    const sent = createHash('sha256');
    const started = performance.now();
    const put = await fetch(`${api}/data/bench.bin`, {
      method: 'PUT',
      headers: { ...headers, 'content-length': String(total) },
      body: Readable.toWeb(Readable.from(pattern(total, sent))) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    if (put.status !== 200) throw new Error(`PUT answered ${put.status}: ${await put.text()}`);
    const putSeconds = (performance.now() - started) / 1000;
    const afterPut = memory(pid);

    const received = createHash('sha256');
    const readStart = performance.now();
    const got = await fetch(`${api}/data/get/bench.bin`, { headers });
    let bytes = 0;
    for await (const chunk of got.body as unknown as AsyncIterable<Uint8Array>) {
      received.update(chunk);
      bytes += chunk.length;
    }
    const getSeconds = (performance.now() - readStart) / 1000;
    const afterGet = memory(pid);

    const same = bytes === total && received.digest('hex') === sent.digest('hex');
    const mib = total / MiB;
    console.log(`streamed ${mib} MiB through the gateway (embedded MinIO, one machine)`);
    console.log(`  PUT  ${(mib / putSeconds).toFixed(1)} MiB/s  (${putSeconds.toFixed(1)} s)`);
    console.log(`  GET  ${(mib / getSeconds).toFixed(1)} MiB/s  (${getSeconds.toFixed(1)} s)`);
    console.log(`  read back identical: ${same ? 'yes' : 'NO'}`);
    console.log(`  gateway RSS: idle ${idle.rss} MiB, after PUT ${afterPut.rss} MiB, after GET ${afterGet.rss} MiB`);
    console.log(`  gateway peak RSS (VmHWM): ${afterGet.peak} MiB`);
    if (!same) process.exitCode = 1;
  } finally {
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `storage put` of an N MiB file, then `storage get`, as a user would run them. */
async function throughCli(api: string, token: string, total: number, pid: number, dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'bench-upload.bin');
  const sent = createHash('sha256');
  await pipeline(Readable.from(pattern(total, sent)), createWriteStream(file));
  const idle = memory(pid);
  const cli = (args: string[]) => timed(path.join(__dirname, '..', 'cli', 'main.js'), args, { STORAGE_URL: api, STORAGE_TOKEN: token });
  const putSeconds = await cli(['put', file, 'bench.bin']);
  const afterPut = memory(pid);
  const copy = path.join(dataDir, 'bench-download.bin');
  const getSeconds = await cli(['get', 'bench.bin', copy]);
  const afterGet = memory(pid);
  const received = createHash('sha256');
  await pipeline(createReadStream(copy), received);
  const same = received.digest('hex') === sent.digest('hex');
  const mib = total / MiB;
  console.log(`moved ${mib} MiB with the storage CLI (presigned, straight to the embedded MinIO)`);
  console.log(`  storage put  ${(mib / putSeconds).toFixed(1)} MiB/s  (${putSeconds.toFixed(1)} s)`);
  console.log(`  storage get  ${(mib / getSeconds).toFixed(1)} MiB/s  (${getSeconds.toFixed(1)} s)`);
  console.log(`  read back identical (SHA-256): ${same ? 'yes' : 'NO'}`);
  console.log(`  gateway RSS: idle ${idle.rss} MiB, after put ${afterPut.rss} MiB, after get ${afterGet.rss} MiB`);
  console.log(`  gateway peak RSS (VmHWM): ${afterGet.peak} MiB`);
  if (!same) process.exitCode = 1;
}

/** Runs a script with node, its output on this terminal; resolves with the seconds it took. */
async function timed(script: string, args: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${path.basename(script)} ${args[0]} exited with ${code}`);
  return (performance.now() - started) / 1000;
}

/** Reads the gateway's printed welcome for the API URL and a token. */
async function welcome(stdout: Readable | null): Promise<{ api: string; token: string }> {
  let text = '';
  for await (const chunk of stdout ?? []) {
    text += String(chunk);
    const api = /API:\s+(\S+)/.exec(text)?.[1];
    const token = /export TOKEN=(\S+)/.exec(text)?.[1];
    if (api && token) return { api, token };
  }
  throw new Error(`the gateway stopped before it was ready:\n${text}`);
}

/** Repeating pseudo-random bytes, 1 MiB at a time, hashed as they are produced. */
function* pattern(total: number, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 32) createHash('sha256').update(String(i)).digest().copy(block, i);
  for (let sent = 0; sent < total; sent += MiB) {
    const chunk = total - sent >= MiB ? block : block.subarray(0, total - sent);
    hash.update(chunk);
    yield chunk;
  }
}

/** Resident and peak resident memory of a process, in MiB (Linux /proc). */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
