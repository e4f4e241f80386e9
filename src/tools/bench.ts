/**
 * `npm run bench [-- --seconds S --big-mib N --parallel-mib N --quick]`: the gateway beside the
 * same MinIO used directly, measured in one run with the same clients, printed as one table.
 *
 * The stack is thrown away afterwards: the gateway runs as its own process in embedded mode
 * (its MinIO as its child) on a temporary data folder. "Direct" means presigned URLs made
 * before timing starts, so both sides pay a signature check per request. Small requests use
 * one node:http client with keep-alive; large transfers use curl on both sides. CPU and
 * memory come from /proc: the gateway's figures are its whole process tree except MinIO.
 * Every loop is bounded by time or count; nothing here asserts a speed.
 *
 * A gateway write first asks the store whether the key collides with a folder (a one-key
 * listing, and a HEAD per parent path not seen lately): the "store ceiling" rows send exactly
 * those calls to MinIO directly, signed with its root keys, so the table shows how much of the
 * gap to a bare PUT is the gateway and how much is the store answering the extra question.
 * Likewise the "floor" rows send the same GETs through a bare Node.js proxy (bareProxy.ts):
 * what any process in the middle costs on this machine, before the gateway's own work; and
 * through the same proxy on Express with one route, for what Express alone adds.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { mintToken } from '../auth/tokens';
import { readLocalSecrets } from '../local/secrets';
import { namespaceFor, objectKey } from '../protocol/namespace';
import { cpuSeconds, peakMib, processTree, resetPeak } from './procStats';

const MiB = 1024 * 1024;

interface Options {
  seconds: number;
  bigMib: number;
  /** One blob this large goes up and back through the gateway alone, for peak memory. */
  memoryMib: number;
  parallelMib: number;
  /** WEB_CONCURRENCY for the gateway; undefined: its own default. */
  workers: number | undefined;
  streams: number;
  concurrency: number;
}

interface Row {
  metric: string;
  gateway: number;
  direct?: number;
  unit: string;
  /** How the goal reads: a ratio of gateway to direct, or an absolute bound. */
  goal: string;
  met: boolean | undefined;
  /** Lower is better (latency, CPU, memory): the ratio is gateway / direct all the same. */
  lowerIsBetter?: boolean;
}

async function run(): Promise<void> {
  const options = readOptions();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-bench-'));
  const gateway = spawn(process.execPath, [path.join(__dirname, '..', 'main.js')], {
    // The table compares the gateway with MinIO used directly: always a local MinIO.
    env: {
      ...process.env,
      STORAGE_DATA_DIR: dataDir,
      PORT: '0',
      LOCAL_ENGINE: 'minio',
      LOCAL_MINIO_PORT: '0',
      LOG_LEVEL: 'warn',
      S3_ENDPOINT: '',
      ...(options.workers !== undefined && { WEB_CONCURRENCY: String(options.workers) }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  let bare: BareProxy | undefined;
  let bareExpress: BareProxy | undefined;
  try {
    const { api, token, store } = await welcome(gateway.stdout);
    const auth = { authorization: `Bearer ${token}` };
    // One caller per concurrent loop, as real load is: the gateway bounds streams per caller.
    const secrets = readLocalSecrets(dataDir);
    const secret = secrets?.jwtSecret ?? '';
    const callers = await Promise.all(
      Array.from({ length: options.concurrency }, async (_, i) => ({ authorization: `Bearer ${await mintToken(secret, `bench-${i}`)}` })),
    );
    const client = new Client(agent);
    const tree = processTree(gateway.pid ?? 0);
    bare = await startBareProxy(store, secrets?.minio, false);
    bareExpress = await startBareProxy(store, secrets?.minio, true);
    console.log(
      `gateway pid ${gateway.pid}, MinIO pid ${tree.minio}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB`,
    );
    const rows: Row[] = [];
    // Measured first, printed after the small-request rows, in the order of the issue's table.
    const largeRows: Row[] = [];
    const n = options.concurrency;
    const small = Buffer.alloc(1024, 7);
    // curl's arguments for a PUT of a file to the gateway, and a GET from it.
    const gatewayPut = (file: string, key: string) => [
      '-T',
      file,
      '-H',
      `authorization: ${auth.authorization}`,
      '-H',
      'content-type: application/octet-stream',
      `${api}/data/${key}`,
    ];
    const gatewayGet = (key: string) => ['-o', '/dev/null', '-H', `authorization: ${auth.authorization}`, `${api}/data/get/${key}`];

    // ---- large transfers first, with curl on both sides, while the gateway holds no heap from
    // small-request load: the peak RSS rows then measure what streaming costs. First one blob
    // of the issue's size up and back, through the gateway alone, for its peak memory.
    const memoryBlob = path.join(dataDir, 'memory.bin');
    await writePattern(memoryBlob, options.memoryMib * MiB);
    resetPeak(tree.gateway());
    await curl(gatewayPut(memoryBlob, 'bench/memory'));
    await curl(gatewayGet('bench/memory'));
    const memoryPeak = peakMib(tree.gateway());
    rmSync(memoryBlob);
    const memoryRow: Row = {
      metric: `peak RSS, ${options.memoryMib} MiB up and back`,
      gateway: memoryPeak,
      unit: 'MiB',
      goal: '≤ 150 MiB (2 GiB)',
      met: memoryPeak <= 150,
      lowerIsBetter: true,
    };

    const big = path.join(dataDir, 'big.bin');
    await writePattern(big, options.bigMib * MiB);
    resetPeak(tree.gateway());
    const gwBigPut = await curl(gatewayPut(big, 'bench/big'));
    const gwBigGet = await curl(gatewayGet('bench/big'));
    const directBigUrl = await urlFor(client, api, auth, 'new_resumable_url', 'bench/big-direct');
    const directBigPut = await curl(['-T', big, '-H', 'content-type: application/octet-stream', directBigUrl]);
    const directBigGet = await curl(['-o', '/dev/null', await urlFor(client, api, auth, 'get_signed_url', 'bench/big-direct')]);
    const bigMib = options.bigMib;
    largeRows.push(ratioRow(`${bigMib} MiB GET (curl)`, bigMib / gwBigGet, bigMib / directBigGet, 'MiB/s', 0.6));
    const bareBigGet = await curl(['-o', '/dev/null', `${bare.url}/storage-data/${objectKey(namespaceFor('local-user'), 'bench/big')}`]);
    largeRows.push(floorRow('  floor: a bare Node proxy, same GET', bigMib / bareBigGet, bigMib / directBigGet, 'MiB/s'));
    largeRows.push(ratioRow(`${bigMib} MiB PUT, one stream (curl)`, bigMib / gwBigPut, bigMib / directBigPut, 'MiB/s', 0.8));
    largeRows.push(memoryRow);

    rmSync(big);

    const part = path.join(dataDir, 'part.bin');
    await writePattern(part, options.parallelMib * MiB);
    resetPeak(tree.gateway());
    const s = options.streams;
    const gwParallel = await timedAll(Array.from({ length: s }, (_, i) => gatewayPut(part, `bench/parallel-${i}`)));
    const parallelPeak = peakMib(tree.gateway());
    const directParallelUrls = await Promise.all(
      Array.from({ length: s }, (_, i) => urlFor(client, api, auth, 'new_resumable_url', `bench/parallel-direct-${i}`)),
    );
    const directParallel = await timedAll(
      directParallelUrls.map((url) => ['-T', part, '-H', 'content-type: application/octet-stream', url]),
    );
    const totalMib = s * options.parallelMib;
    largeRows.push(
      ratioRow(`${s} × ${options.parallelMib} MiB PUT, concurrent`, totalMib / gwParallel, totalMib / directParallel, 'MiB/s', 0.7),
    );
    largeRows.push({
      metric: `peak RSS, ${s} concurrent ${options.parallelMib} MiB PUTs`,
      gateway: parallelPeak,
      unit: 'MiB',
      goal: '≤ 200 MiB',
      met: parallelPeak <= 200,
      lowerIsBetter: true,
    });

    // ---- set-up, not timed: each caller's small object, and direct URLs for them
    const as = (i: number) => callers[i % n] ?? auth;
    for (let i = 0; i < n; i++) await expectStatus(client.send('PUT', `${api}/data/bench/small`, as(i), small), 200, 'seed PUT');
    const getUrls = await Promise.all(callers.map((caller) => urlFor(client, api, caller, 'get_signed_url', 'bench/small')));
    const putUrls = await Promise.all(callers.map((caller) => urlFor(client, api, caller, 'new_resumable_url', 'bench/direct')));
    const octet = { 'content-type': 'application/octet-stream' };

    // ---- warm-up, not timed: the gateway's code paths compiled by the JIT, connections open
    const warmUp = Math.min(2, options.seconds / 2);
    await load(n, warmUp, (loop) => client.send('GET', `${api}/data/get/bench/small`, as(loop)));
    await load(n, warmUp, (loop) => client.send('GET', `${api}/data/new_resumable_url/bench/warm-${loop}`, as(loop)));

    // ---- 1 KiB GET, concurrent
    const gwCpu0 = cpuSeconds(tree.gateway());
    const gwGet = await load(n, options.seconds, (loop) => client.send('GET', `${api}/data/get/bench/small`, as(loop)));
    const gwCpuPerGet = (cpuSeconds(tree.gateway()) - gwCpu0) / gwGet.ops;
    const minioCpu0 = cpuSeconds([tree.minio]);
    const directGet = await load(n, options.seconds, (loop) => client.send('GET', getUrls[loop] ?? '', {}));
    const minioCpuPerGet = (cpuSeconds([tree.minio]) - minioCpu0) / directGet.ops;
    rows.push(ratioRow(`1 KiB GET, ${n} concurrent`, gwGet.rate, directGet.rate, 'ops/s', 0.5));
    const bareCpu0 = cpuSeconds([bare.pid]);
    const bareGet = await load(n, options.seconds, (loop) =>
      client.send('GET', `${bare?.url}/storage-data/${objectKey(namespaceFor(`bench-${loop}`), 'bench/small')}`, {}),
    );
    const bareCpuPerGet = (cpuSeconds([bare.pid]) - bareCpu0) / bareGet.ops;
    rows.push(floorRow('  floor: a bare Node proxy, same GETs', bareGet.rate, directGet.rate, 'ops/s'));
    const expressCpu0 = cpuSeconds([bareExpress.pid]);
    const expressGet = await load(n, options.seconds, (loop) =>
      client.send('GET', `${bareExpress?.url}/storage-data/${objectKey(namespaceFor(`bench-${loop}`), 'bench/small')}`, {}),
    );
    const expressCpuPerGet = (cpuSeconds([bareExpress.pid]) - expressCpu0) / expressGet.ops;
    rows.push(floorRow('  floor: the same proxy on Express, one route', expressGet.rate, directGet.rate, 'ops/s'));

    // ---- 1 KiB PUT, concurrent
    const gwPut = await load(n, options.seconds, (loop) => client.send('PUT', `${api}/data/bench/put`, { ...as(loop), ...octet }, small));
    const directPut = await load(n, options.seconds, (loop) => client.send('PUT', putUrls[loop] ?? '', octet, small));
    rows.push(ratioRow(`1 KiB PUT, ${n} concurrent`, gwPut.rate, directPut.rate, 'ops/s', 0.75));

    // ---- the store's own ceiling for what a gateway write asks of it: the collision check's
    // one-key listing (its parent HEADs are remembered for a second), then the PUT.
    const root = new S3Client({
      endpoint: store,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: secrets?.minio ?? { accessKeyId: '', secretAccessKey: '' },
    });
    const listUrls = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        getSignedUrl(
          root,
          new ListObjectsV2Command({
            Bucket: 'storage-data',
            Prefix: `${objectKey(namespaceFor(`bench-${i}`), 'bench/put')}/`,
            MaxKeys: 1,
          }),
          { expiresIn: 3600 },
        ),
      ),
    );
    root.destroy();
    const checkedPut = await load(n, options.seconds, async (loop) => {
      const listed = await client.send('GET', listUrls[loop] ?? '', {});
      return listed === 200 ? client.send('PUT', putUrls[loop] ?? '', octet, small) : listed;
    });
    rows.push({
      metric: '  store ceiling for it: one-key listing + PUT, direct',
      gateway: gwPut.rate,
      direct: checkedPut.rate,
      unit: 'ops/s',
      goal: '–',
      met: undefined,
    });

    // ---- 1 KiB GET, one at a time
    const gwSerial = await load(1, options.seconds / 2, () => client.send('GET', `${api}/data/get/bench/small`, as(0)));
    const directSerial = await load(1, options.seconds / 2, () => client.send('GET', getUrls[0] ?? '', {}));
    rows.push({
      metric: '1 KiB GET, one at a time, p50',
      gateway: gwSerial.p50,
      direct: directSerial.p50,
      unit: 'ms',
      goal: '≤ ×2',
      met: gwSerial.p50 <= 2 * directSerial.p50,
      lowerIsBetter: true,
    });

    // ---- presigned upload URLs
    const urls = await load(n, options.seconds, (loop, i) =>
      client.send('GET', `${api}/data/new_resumable_url/bench/url-${i % 1000}`, as(loop)),
    );
    rows.push({
      metric: `presigned upload URLs, ${n} concurrent`,
      gateway: urls.rate,
      unit: 'per s',
      goal: '≥ 5,000',
      met: urls.rate >= 5000,
    });
    // Each URL's collision check is one such listing: the store's rate for them bounds the URLs'.
    const listings = await load(n, options.seconds, (loop) => client.send('GET', listUrls[loop] ?? '', {}));
    rows.push({
      metric: '  store ceiling for it: one-key listings, direct',
      gateway: urls.rate,
      direct: listings.rate,
      unit: 'per s',
      goal: '–',
      met: undefined,
    });
    rows.push({
      metric: 'CPU per 1 KiB GET (MinIO direct beside)',
      gateway: gwCpuPerGet * 1000,
      direct: minioCpuPerGet * 1000,
      unit: 'ms',
      goal: '≤ 0.35 ms',
      met: gwCpuPerGet * 1000 <= 0.35,
      lowerIsBetter: true,
    });
    rows.push({
      metric: '  floor: a bare Node proxy’s CPU per GET',
      gateway: bareCpuPerGet * 1000,
      direct: minioCpuPerGet * 1000,
      unit: 'ms',
      goal: '–',
      met: undefined,
      lowerIsBetter: true,
    });
    rows.push({
      metric: '  floor: the same proxy on Express, CPU per GET',
      gateway: expressCpuPerGet * 1000,
      direct: minioCpuPerGet * 1000,
      unit: 'ms',
      goal: '–',
      met: undefined,
      lowerIsBetter: true,
    });

    printTable([...rows, ...largeRows], options);
  } finally {
    agent.destroy();
    bare?.stop();
    bareExpress?.stop();
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      'big-mib': { type: 'string' },
      'memory-mib': { type: 'string' },
      workers: { type: 'string' },
      'parallel-mib': { type: 'string' },
      streams: { type: 'string', default: '8' },
      concurrency: { type: 'string', default: '32' },
      quick: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick === true;
  const number = (name: string, text: string | undefined, fallback: number) => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  return {
    seconds: number('seconds', values.seconds, quick ? 3 : 8),
    bigMib: Math.round(number('big-mib', values['big-mib'], quick ? 256 : 1024)),
    memoryMib: Math.round(number('memory-mib', values['memory-mib'], quick ? 512 : 2048)),
    workers: values.workers === undefined ? undefined : Math.round(number('workers', values.workers, 1)),
    parallelMib: Math.round(number('parallel-mib', values['parallel-mib'], quick ? 64 : 256)),
    streams: Math.round(number('streams', values.streams, 8)),
    concurrency: Math.round(number('concurrency', values.concurrency, 32)),
  };
}

/** A small keep-alive HTTP client whose requests resolve with the status once the body is read. */
class Client {
  constructor(private readonly agent: http.Agent) {}

  send(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = http.request(url, {
        method,
        agent: this.agent,
        headers: { ...headers, ...(body && { 'content-length': String(body.length) }) },
      });
      request.setTimeout(30_000, () => request.destroy(new Error(`${method} timed out`)));
      request.on('error', reject);
      request.on('response', (response) => {
        response.on('data', () => undefined);
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      });
      request.end(body);
    });
  }

  async text(url: string, headers: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      http
        .get(url, { agent: this.agent, headers }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () =>
            response.statusCode === 200 ? resolve(text) : reject(new Error(`${url} answered ${response.statusCode}: ${text}`)),
          );
        })
        .on('error', reject);
    });
  }
}

async function urlFor(client: Client, api: string, auth: Record<string, string>, route: string, key: string): Promise<string> {
  return client.text(`${api}/data/${route}/${key}?expires_in=3600`, auth);
}

async function expectStatus(answer: Promise<number>, status: number, what: string): Promise<void> {
  const got = await answer;
  if (got !== status) throw new Error(`${what} answered ${got}`);
}

/**
 * `concurrency` loops, each sending one request after another, for `seconds`; `send` gets the
 * loop's index and a running request count. A non-2xx answer fails the run.
 */
async function load(concurrency: number, seconds: number, send: (loop: number, i: number) => Promise<number>) {
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const status = await send(loop, counter++);
        latencies.push(performance.now() - t0);
        if (status < 200 || status > 299) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  if (errors > 0) throw new Error(`${errors} of ${latencies.length} requests failed`);
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, rate: latencies.length / elapsed, p50: latencies[Math.floor(latencies.length / 2)] ?? 0 };
}

/** Runs curl once; resolves with the seconds the transfer took. */
function curl(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--fail-with-body', '-o', '/dev/null', ...args], { maxBuffer: MiB }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`curl failed: ${stderr || error.message}`));
      else resolve((performance.now() - started) / 1000);
    });
  });
}

/** Several curls at once; resolves with the seconds until the last one finished. */
async function timedAll(argsList: string[][]): Promise<number> {
  const started = performance.now();
  await Promise.all(argsList.map((args) => curl(args)));
  return (performance.now() - started) / 1000;
}

/** Reads the gateway's printed welcome for the API URL, a token and the local MinIO's URL. */
async function welcome(stdout: Readable | null): Promise<{ api: string; token: string; store: string }> {
  let text = '';
  for await (const chunk of stdout ?? []) {
    text += String(chunk);
    const api = /API:\s+(\S+)/.exec(text)?.[1];
    const token = /export TOKEN=(\S+)/.exec(text)?.[1];
    const store = /local MinIO at (\S+),/.exec(text)?.[1];
    if (api && token && store) return { api, token, store };
  }
  throw new Error(`the gateway stopped before it was ready:\n${text}`);
}

/** A file of repeating pseudo-random bytes, written 1 MiB at a time. */
async function writePattern(file: string, total: number): Promise<void> {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 32) createHash('sha256').update(String(i)).digest().copy(block, i);
  async function* blocks() {
    for (let sent = 0; sent < total; sent += MiB) yield total - sent >= MiB ? block : block.subarray(0, total - sent);
  }
  await pipeline(Readable.from(blocks()), createWriteStream(file));
}

interface BareProxy {
  url: string;
  pid: number;
  stop(): void;
}

/** Starts bareProxy.ts in its own process, in front of the same store, with its root keys. */
async function startBareProxy(
  store: string,
  keys: { accessKeyId: string; secretAccessKey: string } | undefined,
  onExpress: boolean,
): Promise<BareProxy> {
  const child = spawn(process.execPath, [path.join(__dirname, 'bareProxy.js')], {
    env: {
      ...process.env,
      BARE_PROXY_STORE: store,
      BARE_PROXY_ACCESS_KEY: keys?.accessKeyId ?? '',
      BARE_PROXY_SECRET_KEY: keys?.secretAccessKey ?? '',
      BARE_PROXY_EXPRESS: onExpress ? '1' : '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  for await (const chunk of child.stdout ?? []) {
    text += String(chunk);
    const port = /bare proxy on (\d+)/.exec(text)?.[1];
    if (port) return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: () => void child.kill('SIGTERM') };
  }
  throw new Error(`the bare proxy stopped before it listened:\n${text}`);
}

/** A row of the floor under the gateway: what the bare proxy reached, beside the store direct. */
function floorRow(metric: string, bare: number, direct: number, unit: string): Row {
  return { metric, gateway: bare, direct, unit, goal: '–', met: undefined };
}

function ratioRow(metric: string, gateway: number, direct: number, unit: string, goal: number): Row {
  return { metric, gateway, direct, unit, goal: `≥ ${goal}`, met: gateway / direct >= goal };
}

function printTable(rows: Row[], options: Options): void {
  const format = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(2));
  const lines = [
    `| metric | gateway | MinIO direct | ratio | goal | met |`,
    `| --- | --- | --- | --- | --- | --- |`,
    ...rows.map((row) => {
      const ratio = row.direct
        ? row.lowerIsBetter
          ? `×${(row.gateway / row.direct).toFixed(2)}`
          : (row.gateway / row.direct).toFixed(2)
        : '–';
      const direct = row.direct === undefined ? '–' : `${format(row.direct)} ${row.unit}`;
      return `| ${row.metric} | ${format(row.gateway)} ${row.unit} | ${direct} | ${ratio} | ${row.goal} | ${row.met === undefined ? '–' : row.met ? 'yes' : 'no'} |`;
    }),
  ];
  console.log(
    `\n${options.seconds} s per load phase, ${options.concurrency} concurrent; large transfers: ${options.bigMib} MiB and ${options.streams} × ${options.parallelMib} MiB; memory: ${options.memoryMib} MiB; gateway workers: ${options.workers ?? 'its default'}\n`,
  );
  console.log(lines.join('\n'));
}

run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
