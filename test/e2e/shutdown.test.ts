/**
 * SIGTERM during an upload: with time to spare the upload completes; when the grace period
 * runs out it is cut, and leaves neither an object nor an unfinished multipart upload. Either
 * way the gateway exits 0. Runs the built gateway (dist/) as its own process.
 */
import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mintToken } from '../../src/auth/tokens';
import { pacedPut } from '../support/hostileHttp';
import { operatorClient, removeBuckets, TEST_JWT_SECRET } from '../support/gateway';
import { startGatewayProcess } from '../support/gatewayProcess';

const s3 = operatorClient();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await removeBuckets(s3, prefix);
  s3.destroy();
});

async function startGateway(graceSeconds: number) {
  const prefix = `t-${randomBytes(5).toString('hex')}`;
  prefixes.push(prefix);
  return { ...(await startGatewayProcess(prefix, { SHUTDOWN_GRACE_SECONDS: String(graceSeconds) })), prefix };
}

/** A PUT that sends `chunks` of 1 MiB, one every `pauseMs`, and calls `midway` halfway. */
function slowUpload(url: string, token: string, key: string, chunks: number, pauseMs: number, midway: () => void) {
  return pacedPut(`${url}/storage/v1/data/${key}`, token, {
    chunks,
    everyMs: pauseMs,
    onChunk: (sent) => sent === Math.floor(chunks / 2) && midway(),
  });
}

async function storeHas(prefix: string, key: string) {
  const bucket = `${prefix}-data`;
  const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return {
    object: (objects.Contents ?? []).some((o) => o.Key?.endsWith(`/${key}`)),
    uploads: (uploads.Uploads ?? []).length,
  };
}

it('lets an upload under way finish, then exits 0', async () => {
  const gateway = await startGateway(30);
  const token = await mintToken(TEST_JWT_SECRET, 'shutdown-user');
  const status = await slowUpload(gateway.url, token, 'finished.bin', 8, 150, () => gateway.child.kill('SIGTERM'));
  expect(status).toBe(200);
  expect(await gateway.exited).toBe(0);
  expect(await storeHas(gateway.prefix, 'finished.bin')).toEqual({ object: true, uploads: 0 });
});

it('cuts an upload that outlasts the grace period, leaving nothing half-written, then exits 0', async () => {
  const gateway = await startGateway(1);
  const token = await mintToken(TEST_JWT_SECRET, 'shutdown-user');
  // 40 MiB over ~8 s: past the 16 MiB part size, so a multipart upload is under way when cut.
  const status = await slowUpload(gateway.url, token, 'cut.bin', 40, 200, () => gateway.child.kill('SIGTERM'));
  expect(status).toBe('cut');
  expect(await gateway.exited).toBe(0);
  expect(await storeHas(gateway.prefix, 'cut.bin')).toEqual({ object: false, uploads: 0 });
});

it('refuses new connections once stopping, while an upload under way still finishes', async () => {
  const gateway = await startGateway(30);
  const token = await mintToken(TEST_JWT_SECRET, 'shutdown-user');
  let refused: boolean | undefined;
  // Asked while the process still drains the upload, so nothing else can have its port yet.
  const status = await slowUpload(gateway.url, token, 'draining.bin', 8, 150, () => {
    gateway.child.kill('SIGTERM');
    setTimeout(() => {
      fetch(`${gateway.url}/healthz`).then(
        () => (refused = false),
        () => (refused = true),
      );
    }, 100);
  });
  expect(status).toBe(200);
  expect(refused).toBe(true);
  expect(await gateway.exited).toBe(0);
});
