/**
 * The storage CLI, run as a child process (the built dist/cli/main.js, as `npx storage` runs
 * it) against the real gateway and MinIO: every command, piped output, --json, and the exit
 * code of each kind of failure.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { startTcpRelay, type TcpRelay } from '../support/tcpRelay';
import { testStore } from '../support/testStore';
import { until } from '../support/wait';
import { CLI, cliRunner, type Run } from './runCli';

const MiB = 1024 * 1024;

let gw: TestGateway;
let env: Record<string, string>;
let dir: string;
const sourceBucket = `cli-copy-source-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  gw = await startTestGateway({ COPY_SOURCE_BUCKETS: sourceBucket, LIST_PAGE_SIZE: '2' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'cli-'));
  // Only what the CLI reads: no AUTH_JWT_SECRET or STORAGE_DATA_DIR leaks in from the test's environment.
  env = {
    PATH: process.env.PATH ?? '',
    STORAGE_URL: gw.url,
    STORAGE_TOKEN: await gw.token('cli-user'),
    STORAGE_DATA_DIR: path.join(dir, 'no-data'),
  };
  await gw.s3.send(new CreateBucketCommand({ Bucket: sourceBucket }));
  await gw.s3.send(new PutObjectCommand({ Bucket: sourceBucket, Key: 'in/source.txt', Body: 'from elsewhere' }));
});
afterAll(async () => {
  await gw.s3.send(new DeleteObjectCommand({ Bucket: sourceBucket, Key: 'in/source.txt' }));
  await gw.s3.send(new DeleteBucketCommand({ Bucket: sourceBucket }));
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

const storage = cliRunner(() => env);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const json = (run: Run) => JSON.parse(run.stdout.toString('utf8')) as unknown;

describe('help', () => {
  it.each(['put', 'get', 'ls', 'rm', 'url', 'cp', 'usage', 'token'])(
    'storage %s --help describes the command and exits 0',
    async (command) => {
      const run = await storage([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout.toString()).toContain(`Usage: storage ${command}`);
    },
  );

  it('storage --version prints the package version', async () => {
    const run = await storage(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.toString().trim()).toBe(
      (JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }).version,
    );
  });

  it('storage --help lists every command', async () => {
    const run = await storage(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['put', 'get', 'ls', 'rm', 'url', 'cp', 'usage', 'token'])
      expect(run.stdout.toString()).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});

describe('put and get', () => {
  const big = randomBytes(70 * MiB + 7);
  let bigFile: string;
  beforeAll(() => {
    bigFile = path.join(dir, 'big.bin');
    writeFileSync(bigFile, big);
  });

  it('puts a large file in parts (no progress bar when not on a terminal) and gets it back piped, identical', async () => {
    const put = await storage(['--json', 'put', bigFile, 'big/file.bin']);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(json(put)).toEqual({
      key: 'big/file.bin',
      size: big.length,
      etag: expect.stringMatching(/-5"$/),
      parts: 5,
      resumedBytes: 0,
      contentType: 'application/octet-stream',
    });
    const get = await storage(['get', 'big/file.bin']);
    expect(get.code).toBe(0);
    expect(get.stdout.length).toBe(big.length);
    expect(sha256(get.stdout)).toBe(sha256(big));
  });

  it('puts a file under its own name when no key is given, and says so and how to get it back', async () => {
    const file = path.join(dir, 'hello.txt');
    writeFileSync(file, 'Hello Storage');
    const put = await storage(['put', file]);
    expect(put.code).toBe(0);
    expect(put.stdout.toString()).toBe('hello.txt: 13 B stored as text/plain\nget it back with: storage get hello.txt hello.txt\n');
  });

  it('puts stdin given as -, into the storage type asked for', async () => {
    const put = await storage(['put', '-t', 'tmp', '-', 'piped/in.txt'], { input: 'from a pipe' });
    expect(put.code).toBe(0);
    expect((await storage(['get', '-t', 'tmp', 'piped/in.txt'])).stdout.toString()).toBe('from a pipe');
    expect((await storage(['get', 'piped/in.txt'])).code).toBe(3);
  });

  it('gets into a file, reporting it as JSON', async () => {
    const target = path.join(dir, 'copy.bin');
    const get = await storage(['--json', 'get', 'big/file.bin', target]);
    expect(get.code).toBe(0);
    expect(json(get)).toEqual({ key: 'big/file.bin', file: target, size: big.length, etag: expect.any(String), resumedBytes: 0 });
    expect(sha256(readFileSync(target))).toBe(sha256(big));
  });

  it('exits 0 when the reader of its output stops early (get | head)', async () => {
    const child = spawn(process.execPath, [CLI, 'get', 'big/file.bin'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });
});

describe('ls, rm, url, cp, token', () => {
  beforeAll(async () => {
    for (const key of ['list/a', 'list/b', 'list/c', 'list/d', 'list/e']) await storage(['put', '-', key], { input: key });
  });

  it('lists every key under a prefix across pages, one a line or as JSON', async () => {
    const text = await storage(['ls', 'list/']);
    expect(text.code).toBe(0);
    expect(text.stdout.toString()).toBe('list/a\nlist/b\nlist/c\nlist/d\nlist/e\n');
    expect(json(await storage(['--json', 'ls', 'list/']))).toEqual(['list/a', 'list/b', 'list/c', 'list/d', 'list/e']);
  });

  it('removes keys, also absent ones', async () => {
    const rm = await storage(['--json', 'rm', 'list/d', 'list/e', 'list/never']);
    expect(rm.code).toBe(0);
    expect(json(rm)).toEqual({ deleted: ['list/d', 'list/e', 'list/never'] });
    expect(json(await storage(['--json', 'ls', 'list/']))).toEqual(['list/a', 'list/b', 'list/c']);
  });

  it('prints an upload URL a plain PUT uses, and a download URL a plain GET uses', async () => {
    const upload = await storage(['url', 'upload', 'by-url.txt', '--expires-in', '300']);
    expect(upload.code).toBe(0);
    const uploadUrl = upload.stdout.toString().trim();
    expect(new URL(uploadUrl).searchParams.get('X-Amz-Expires')).toBe('300');
    expect((await fetch(uploadUrl, { method: 'PUT', body: Buffer.from('sent to a URL') })).status).toBe(200);
    const download = await storage(['--json', 'url', 'download', 'by-url.txt']);
    const { url } = json(download) as { url: string };
    expect(await (await fetch(url)).text()).toBe('sent to a URL');
  });

  it('copies from an allowed bucket', async () => {
    const cp = await storage(['cp', sourceBucket, 'in/source.txt', 'copied.txt']);
    expect(cp.code).toBe(0);
    expect(cp.stdout.toString()).toBe(`copied.txt: 14 B copied from ${sourceBucket}\n`);
    expect((await storage(['get', 'copied.txt'])).stdout.toString()).toBe('from elsewhere');
  });

  it('mints a token with the local secret, which the gateway accepts', async () => {
    const minted = await storage(['token', 'someone', '--expires-in', '600'], { env: { AUTH_JWT_SECRET: TEST_JWT_SECRET } });
    expect(minted.code).toBe(0);
    const token = minted.stdout.toString().trim();
    const ls = await storage(['--token', token, '--json', 'ls']);
    expect(ls.code).toBe(0);
    expect(json(ls)).toEqual([]);
  });

  it('refuses to mint a token where no local secret exists', async () => {
    const minted = await storage(['token', 'someone']);
    expect(minted.code).toBe(2);
    expect(minted.stderr).toMatch(/no secret to sign with/);
  });
});

describe('exit codes', () => {
  it('3 for a key that is not there, naming the key and how to look for it', async () => {
    const run = await storage(['get', 'absent']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("storage: no object at key 'absent' (storage type data)\nstorage: see which keys there are: storage ls\n");
    expect(run.stdout.length).toBe(0);
    const nested = await storage(['get', '-t', 'tmp', 'reports/2024/absent.csv', path.join(dir, 'absent.csv')]);
    expect([nested.code, nested.stderr]).toEqual([
      3,
      "storage: no object at key 'reports/2024/absent.csv' (storage type tmp)\nstorage: see which keys there are: storage ls -t tmp reports/2024/\n",
    ]);
  });

  it('4 when the storage type forbids it', async () => {
    await storage(['put', '-t', 'products', '-', 'scene.tif'], { input: 'raster' });
    const run = await storage(['get', '-t', 'products', 'scene.tif']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/remove_image/);
  });

  it('5 for a token the gateway refuses, and for none', async () => {
    expect((await storage(['--token', 'nonsense', 'ls'])).code).toBe(5);
    expect((await storage(['ls'], { env: { STORAGE_TOKEN: '' } })).code).toBe(5);
  });

  it('2 for a wrong command line or input the gateway calls bad', async () => {
    expect((await storage(['fetch', 'x'])).code).toBe(2);
    expect((await storage(['get', '-t', 'nosuchtype', 'x'])).code).toBe(2);
    expect((await storage(['url', 'sideways', 'x'])).code).toBe(2);
    expect((await storage(['url', 'upload', 'x', '--expires-in', 'soon'])).code).toBe(2);
    expect((await storage(['put', '-', 'a//b'], { input: 'x' })).code).toBe(2);
  });

  it('2 for a file larger than an object may be (a sparse 6 TiB file), refused before any upload', async () => {
    const huge = path.join(dir, 'huge.bin');
    writeFileSync(huge, '');
    truncateSync(huge, 6 * 1024 ** 4);
    try {
      const run = await storage(['put', huge, 'huge.bin']);
      expect([run.code, run.stderr]).toEqual([2, expect.stringMatching(/at most 5 TiB/)]);
    } finally {
      rmSync(huge);
    }
  });

  it('6 when the gateway cannot be reached (after --retry-for), and 1 for a local failure', async () => {
    // STORAGE_RETRY_SECONDS bounds how long the CLI keeps trying; the default is a minute.
    const started = Date.now();
    const unreachable = await storage(['ls'], { env: { STORAGE_URL: 'http://127.0.0.1:9', STORAGE_RETRY_SECONDS: '2' } });
    expect(unreachable.code).toBe(6);
    expect(Date.now() - started).toBeLessThan(15_000);
    const noRetries = await storage(['--retry-for', '0', 'ls'], { env: { STORAGE_URL: 'http://127.0.0.1:9' } });
    expect(noRetries.code).toBe(6);
    const missing = await storage(['put', path.join(dir, 'no-such-file')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file/);
  });

  it('writes errors as JSON on stderr with --json', async () => {
    const run = await storage(['--json', 'get', 'absent']);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stderr)).toEqual({
      error: {
        code: 'not_found',
        message: "no object at key 'absent' (storage type data)",
        status: 404,
        requestId: expect.any(String),
        hint: 'see which keys there are: storage ls',
      },
    });
  });
});

describe('put interrupted (Ctrl-C)', () => {
  // Parts go to the store through a relay the test freezes, so the upload is surely under way.
  let relay: TcpRelay;
  let slow: TestGateway;
  beforeAll(async () => {
    relay = await startTcpRelay(testStore().endpoint);
    slow = await startTestGateway({ S3_PUBLIC_ENDPOINT: relay.url });
  });
  afterAll(async () => {
    relay.thaw();
    await slow.close();
    await relay.close();
  });

  const openUploads = async () =>
    (
      await slow.s3.send(
        new ListMultipartUploadsCommand({ Bucket: slow.bucket('data'), Prefix: `${slow.namespaceOf('cli-user')}/cut/file.bin` }),
      )
    ).Uploads ?? [];

  it.each([
    ['aborts its session: no parts stay on the store', [] as string[], 0],
    ['with --keep-parts leaves the session for the next put to resume', ['--keep-parts'], 1],
  ])(
    '%s, and exits 130',
    async (_, flags, left) => {
      const file = path.join(dir, 'cut.bin');
      writeFileSync(file, randomBytes(80 * MiB));
      relay.freeze();
      try {
        const child = spawn(process.execPath, [CLI, 'put', file, 'cut/file.bin', ...flags], {
          env: { ...env, STORAGE_URL: slow.url, STORAGE_TOKEN: await slow.token('cli-user') },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        expect(await until(async () => (await openUploads()).length > 0, 10_000)).toBe(true);
        child.kill('SIGINT');
        expect(await exited).toBe(130);
        expect(stderr).toMatch(/interrupted/);
        expect((await openUploads()).length).toBe(left);
      } finally {
        relay.thaw();
        for (const upload of await openUploads()) {
          await slow.s3.send(new AbortMultipartUploadCommand({ Bucket: slow.bucket('data'), Key: upload.Key, UploadId: upload.UploadId }));
        }
      }
    },
    30_000,
  );
});
