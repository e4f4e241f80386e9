/**
 * A gateway killed while it streams a body of unknown length leaves a multipart upload in the
 * store. The next gateway on the same buckets aborts it once its entry is stale, and never
 * touches a caller's own resumable session or a stream that is still alive.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mintToken } from '../../src/auth/tokens';
import { loadConfig } from '../../src/config';
import { startGateway, type RunningGateway } from '../../src/gateway';
import { freePort } from '../../src/local/minio';
import { createLogger } from '../../src/log';
import { namespaceFor } from '../../src/protocol/namespace';
import { STREAM_ENTRY_PREFIX } from '../../src/store/streamedUploads';
import { pacedPut } from '../support/hostileHttp';
import { gatewayProcessEnv, operatorClient, removeBuckets, TEST_JWT_SECRET } from '../support/gateway';
import { engineSettings, testStore } from '../support/testStore';
import { until, within } from '../support/wait';

const root = path.resolve(__dirname, '..', '..');
const prefix = `t-${randomBytes(5).toString('hex')}`;
const bucket = `${prefix}-data`;
const ns = namespaceFor('streamer');
const s3 = operatorClient();
let second: RunningGateway | undefined;

afterAll(async () => {
  await second?.close();
  await removeBuckets(s3, prefix);
  s3.destroy();
});

const uploadsOn = async (key: string) =>
  ((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${ns}/${key}` }))).Uploads ?? []).filter(
    (u) => u.Key === `${ns}/${key}`,
  );
const streamEntries = async () => (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: STREAM_ENTRY_PREFIX }))).Contents ?? [];

it('aborts the uploads of a gateway killed mid-stream, and only those', async () => {
  const token = await mintToken(TEST_JWT_SECRET, 'streamer');
  const port = await freePort();
  const first = spawn(process.execPath, [path.join(root, 'dist', 'main.js')], {
    env: gatewayProcessEnv(prefix, port),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  expect(
    await until(
      () =>
        fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      30_000,
    ),
  ).toBe(true);

  // A caller's own resumable session: the sweep must leave it alone.
  const started = await within(
    'starting a resumable session',
    10_000,
    fetch(`${url}/storage/v1/multipart/data/resumable.bin`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }),
  );
  expect(started.status).toBe(201);

  // The gateway streams a body of unknown length (a multipart upload of its own), then dies.
  const cut = pacedPut(`${url}/storage/v1/data/orphan.bin`, token, { chunks: 200, everyMs: 100, chunked: true });
  expect(await until(async () => (await uploadsOn('orphan.bin')).length === 1 && (await streamEntries()).length === 1, 20_000)).toBe(true);
  const exited = new Promise((resolve) => first.once('exit', resolve));
  first.kill('SIGKILL');
  await within('the first gateway exiting', 10_000, exited);
  expect(await within('the cut upload answering', 10_000, cut)).toBe('cut');
  expect(await uploadsOn('orphan.bin')).toHaveLength(1);

  // The next gateway, with a short orphan age, sweeps it.
  const config = loadConfig({
    S3_ENDPOINT: testStore().endpoint,
    ...engineSettings(),
    S3_ACCESS_KEY_ID: testStore().accessKeyId,
    S3_SECRET_ACCESS_KEY: testStore().secretAccessKey,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    STORAGE_BUCKET_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    // Heartbeats every 1 s, swept when 4 s stale: a margin that holds on a busy 2-core machine.
    ORPHAN_UPLOAD_AGE_SECONDS: '4',
  });
  second = await within('starting the second gateway', 20_000, startGateway(config, createLogger('silent')));
  expect(await until(async () => (await uploadsOn('orphan.bin')).length === 0, 15_000)).toBe(true);
  expect(await streamEntries()).toHaveLength(0);
  expect(await uploadsOn('resumable.bin')).toHaveLength(1);

  // A stream that keeps moving outlives the sweeps (every 2 s) for longer than the orphan age: its entry stays fresh.
  const slow = await within(
    'the live stream',
    20_000,
    pacedPut(`${second.apiUrl}/data/alive.bin`, token, { chunks: 24, everyMs: 250, chunked: true }),
  );
  expect(slow).toBe(200);
  const stored = await fetch(`${second.apiUrl}/data/get/alive.bin`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
  expect(Number(stored.headers.get('content-length'))).toBe(24 * 1024 * 1024);
}, 120_000);
