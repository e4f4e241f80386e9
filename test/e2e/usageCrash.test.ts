/**
 * A gateway killed (SIGKILL) in the middle of an upload to a type with a quota: its hold
 * stays in the namespace's record, refusing what would not fit beside it, until it lapses
 * (UPLOAD_HOLD_SECONDS after the last renewal); then another gateway sharing the store drops
 * it, finds nothing stored at its key, and the whole quota is free again. Runs the built
 * gateway (dist/) as its own process, beside one in this process.
 */
import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mintToken } from '../../src/auth/tokens';
import type { AnswerOf } from '../../src/protocol/answers';
import { pacedPut } from '../support/hostileHttp';
import { startGatewayProcess } from '../support/gatewayProcess';
import { isGatewayRecord, operatorClient, removeBuckets, startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';

const MiB = 1024 * 1024;
const LIMITS = { QUOTA_BYTES: 'data=10MiB', UPLOAD_HOLD_SECONDS: '4' };

let survivor: TestGateway;
let prefix: string;

beforeAll(async () => {
  prefix = `t-${randomBytes(5).toString('hex')}`;
  survivor = await startTestGateway({ ...LIMITS, STORAGE_BUCKET_PREFIX: prefix });
});
afterAll(async () => {
  await survivor.close();
  const s3 = operatorClient();
  await removeBuckets(s3, prefix);
  s3.destroy();
});

async function usage(): Promise<AnswerOf<'usage'>['types']['data']> {
  const answer = await fetch(`${survivor.apiUrl}/usage`, { headers: await survivor.auth('crash-user') });
  return ((await answer.json()) as AnswerOf<'usage'>).types.data;
}

const put = async (key: string, bytes: number) =>
  (await fetch(`${survivor.apiUrl}/data/${key}`, { method: 'PUT', headers: await survivor.auth('crash-user'), body: Buffer.alloc(bytes) }))
    .status;

it("frees a killed gateway's hold once it lapses, and counts nothing it did not store", async () => {
  const doomed = await startGatewayProcess(prefix, LIMITS);
  const token = await mintToken(TEST_JWT_SECRET, 'crash-user');
  let killed = false;
  // 8 MiB declared, sent a MiB every 300 ms: killed after the third.
  const upload = pacedPut(`${doomed.url}/storage/v1/data/lost.bin`, token, {
    chunks: 8,
    everyMs: 300,
    onChunk: (sent) => {
      if (sent === 3) {
        doomed.child.kill('SIGKILL');
        killed = true;
      }
    },
  });
  expect(await upload).toBe('cut');
  expect(killed).toBe(true);

  // The dead gateway's 8 MiB are still held: 5 MiB more do not fit in 10.
  expect((await usage()).reservedBytes).toBe(8 * MiB);
  expect(await put('first.bin', 5 * MiB)).toBe(413);

  // Once the hold lapses, the next write drops it and fits.
  const deadline = Date.now() + 20_000;
  let status = 0;
  while (Date.now() < deadline && (status = await put('first.bin', 5 * MiB)) === 413) await new Promise((r) => setTimeout(r, 500));
  expect(status).toBe(200);
  const listed = await survivor.s3.send(new ListObjectsV2Command({ Bucket: `${prefix}-data` }));
  const keys = (listed.Contents ?? []).map((o) => o.Key ?? '').filter((k) => !isGatewayRecord(k));
  expect(keys).toEqual([`${survivor.namespaceOf('crash-user')}/first.bin`]);
  const until = Date.now() + 5_000;
  let seen = await usage();
  while ((seen.reservedBytes !== 0 || seen.objects !== 1) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    seen = await usage();
  }
  expect(seen).toMatchObject({ bytes: 5 * MiB, objects: 1, reservedBytes: 0 });
});
