/**
 * A full store, on a MinIO of this file's own whose drive is a 96 MiB tmpfs (mounting needs
 * root: skipped, saying so, without it). Writes answer 507 `insufficient_storage`, without
 * Retry-After, to every kind of caller: the Python client too, which writes its whole body
 * before it reads an answer, and which a gateway that stopped reading its body once the store
 * refused it left waiting without one. /readyz stays 200 and says the store is full.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MINIO_BINARY } from '../../src/local/minio';
import { startLocalStore } from '../../src/local/engines';
import type { LocalStore } from '../../src/local/process';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { testStore } from '../support/testStore';

const MiB = 1024 * 1024;
const credentials = { accessKeyId: 'full-store', secretAccessKey: 'full-store-secret-for-tests' };

/** A tmpfs of `mib` MiB at a new folder, or why there can be none here. */
function tinyDrive(mib: number): { dir: string } | { why: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return { dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { why: `mounting a tmpfs failed (${(error as Error).message.split('\n')[0]}); it needs root` };
  }
}

const hasPythonRequests = (() => {
  try {
    execFileSync('python3', ['-c', 'import requests'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const minio = existsSync(MINIO_BINARY) && testStore().engine === 'minio';
const drive = minio ? tinyDrive(96) : { why: 'these run on the MinIO suite only' };
if ('why' in drive) console.log(`store-full tests skipped: ${drive.why}`);
const maybe = 'dir' in drive ? describe : describe.skip;

maybe('a full store', () => {
  const dir = 'dir' in drive ? drive.dir : '';
  const file = path.join(os.tmpdir(), `storage-gateway-full-${randomBytes(4).toString('hex')}.bin`);
  let store: LocalStore;
  let gw: TestGateway;
  let auth: Record<string, string>;

  beforeAll(async () => {
    store = await startLocalStore({ engine: 'minio', dataDir: dir, port: 0, credentials });
    gw = await startTestGateway({
      S3_ENDPOINT: store.endpoint,
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      COPY_SOURCE_BUCKETS: 'full-source',
      SHUTDOWN_GRACE_SECONDS: '1',
    });
    auth = await gw.auth('filler');
    // A copy source on the tiny store itself.
    const s3 = new S3Client({ endpoint: store.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    await s3.send(new CreateBucketCommand({ Bucket: 'full-source' }));
    await s3.send(new PutObjectCommand({ Bucket: 'full-source', Key: 'big.bin', Body: randomBytes(8 * MiB) }));
    s3.destroy();
    writeFileSync(file, randomBytes(16 * MiB));
    // Filled through the gateway until the store takes not even 1 MiB more.
    for (const size of [16, 4, 1]) {
      for (let i = 0; i < 16; i++) {
        const key = `fill/${size}-${i}.bin`;
        const answer = await fetch(`${gw.apiUrl}/data/${key}`, { method: 'PUT', headers: auth, body: randomBytes(size * MiB) });
        await answer.arrayBuffer();
        if (answer.status === 507) break;
      }
    }
  }, 120_000);
  afterAll(async () => {
    await gw?.close().catch(() => undefined);
    await store?.stop();
    execFileSync('umount', [dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    rmSync(file, { force: true });
  });

  it('answers a PUT 507 insufficient_storage, without Retry-After', async () => {
    const answer = await fetch(`${gw.apiUrl}/data/one-more.bin`, { method: 'PUT', headers: auth, body: randomBytes(16 * MiB) });
    const body = (await answer.json()) as { error: { code: string } };
    expect([answer.status, body.error.code, answer.headers.get('retry-after')]).toEqual([507, 'insufficient_storage', null]);
  });

  (hasPythonRequests ? it : it.skip)(
    'answers the Python client (body written whole before reading) with 507 at once',
    async () => {
      const started = Date.now();
      const script = [
        'import requests, sys',
        'r = requests.put(sys.argv[1], data=open(sys.argv[2], "rb"), headers={"authorization": sys.argv[3]}, timeout=20)',
        'print(r.status_code, r.json()["error"]["code"])',
      ].join('\n');
      const printed = await new Promise<string>((resolve) =>
        execFile(
          'python3',
          ['-c', script, `${gw.apiUrl}/data/from-python.bin`, file, auth.authorization as string],
          (error, stdout, stderr) =>
            resolve(error ? `failed: ${stderr.split('\n').filter(Boolean).at(-1) ?? error.message}` : stdout.trim()),
        ),
      );
      expect(printed).toBe('507 insufficient_storage');
      expect(Date.now() - started).toBeLessThan(10_000);
    },
    30_000,
  );

  it('answers an upload without a Content-Length (sent in parts) 507', async () => {
    const chunks = [randomBytes(8 * MiB), randomBytes(8 * MiB), randomBytes(4 * MiB)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const answer = await fetch(`${gw.apiUrl}/data/chunked.bin`, { method: 'PUT', headers: auth, body, duplex: 'half' } as RequestInit);
    const code = ((await answer.json()) as { error: { code: string } }).error.code;
    expect([answer.status, code, answer.headers.get('retry-after')]).toEqual([507, 'insufficient_storage', null]);
    expect((await fetch(`${gw.apiUrl}/data/get/chunked.bin`, { headers: auth })).status).toBe(404);
  });

  it('answers a multipart session on the full store 507, or takes it and refuses its completion without a 5xx', async () => {
    const session = `${gw.apiUrl}/multipart/data/session.bin`;
    const start = await fetch(`${session}?size=${16 * MiB}`, { method: 'POST', headers: auth });
    const started = (await start.json()) as { uploadId?: string; error?: { code: string } };
    // Whether MinIO still finds room for a session's few bytes depends on how full it is.
    if (start.status === 507) {
      expect(started.error?.code).toBe('insufficient_storage');
      return;
    }
    expect(start.status).toBe(201);
    const id = encodeURIComponent(started.uploadId!);
    const listed = (await (await fetch(`${session}?uploadId=${id}&parts=1`, { headers: auth })).json()) as { urls: { url: string }[] };
    // The part goes to the store directly, which answers for itself.
    const part = await fetch(listed.urls[0]!.url, { method: 'PUT', body: randomBytes(16 * MiB) });
    await part.arrayBuffer();
    expect(part.ok).toBe(false);
    // With no part stored the completion is the caller's mistake (400), or the store's want of space (507).
    const done = await fetch(`${session}?uploadId=${id}`, { method: 'POST', headers: auth });
    expect([400, 507]).toContain(done.status);
    await fetch(`${session}?uploadId=${id}`, { method: 'DELETE', headers: auth });
  });

  it('answers a server-side copy into the full store 507', async () => {
    const ns = gw.namespaceOf('filler');
    const answer = await fetch(`${gw.apiUrl}/copy/${ns}/src/full-source/big.bin/dest/data/copied.bin`, { method: 'POST', headers: auth });
    expect([answer.status, ((await answer.json()) as { error: { code: string } }).error.code]).toEqual([507, 'insufficient_storage']);
  });

  it('keeps /readyz at 200 and says why writes fail', async () => {
    const ready = await fetch(`${gw.url}/readyz`);
    const body = (await ready.json()) as { warnings?: string[] };
    expect(ready.status).toBe(200);
    expect(body.warnings?.join(' ')).toMatch(/full/);
  });
});
