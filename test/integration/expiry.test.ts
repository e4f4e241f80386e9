/**
 * tmp objects expire seven days after they were written, however they were written (a PUT
 * through the gateway, a streamed PUT of unknown length, a resumable multipart session, an
 * upload URL), and nothing else does; stale multipart uploads are aborted. Checked as each
 * engine records it, without waiting seven days: MinIO names the rule and the date on the
 * object (x-amz-expiration); SeaweedFS records a TTL on the object's filer entry, which the
 * gateway keeps as a filer path rule because `weed server` alone applies no lifecycle rule.
 */
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { RULE_TMP_EXPIRY } from '../../src/storage/provisioning';
import { TMP_EXPIRY_DAYS } from '../../src/storage/types';
import { pacedPut } from '../support/hostileHttp';
import { startTestGateway, upkeepOf, type TestGateway } from '../support/gateway';
import { recordedTtlSeconds } from '../support/seaweedfs';
import { testStore } from '../support/testStore';

let gw: TestGateway;
let headers: Record<string, string>;
let token: string;
const MiB = 1024 * 1024;
const DAY_MS = 24 * 3600_000;
const engine = testStore().engine;

beforeAll(async () => {
  gw = await startTestGateway();
  token = await gw.token('expiring');
  headers = { authorization: `Bearer ${token}` };
});
afterAll(() => gw.close());

const ns = () => gw.namespaceOf('expiring');

/** Stores one object at `key` in the type's bucket in each of the four ways a caller can. */
const WAYS: { way: string; write: (type: string, key: string) => Promise<void> }[] = [
  {
    way: 'a PUT through the gateway',
    write: async (type, key) => {
      expect((await fetch(`${gw.apiUrl}/${type}/${key}`, { method: 'PUT', headers, body: 'seven days' })).status).toBe(200);
    },
  },
  {
    way: 'a streamed PUT of unknown length (multipart inside the gateway)',
    write: async (type, key) => {
      expect(await pacedPut(`${gw.apiUrl}/${type}/${key}`, token, { chunks: 3, everyMs: 10, chunked: true })).toBe(200);
    },
  },
  {
    way: 'a resumable multipart session',
    write: async (type, key) => {
      const started = await fetch(`${gw.apiUrl}/multipart/${type}/${key}`, { method: 'POST', headers });
      const { uploadId } = (await started.json()) as { uploadId: string };
      const session = `${gw.apiUrl}/multipart/${type}/${key}?uploadId=${encodeURIComponent(uploadId)}`;
      const { urls } = (await (await fetch(`${session}&parts=1-2`, { headers })).json()) as { urls: { url: string }[] };
      expect((await fetch(urls[0]?.url ?? '', { method: 'PUT', body: Buffer.alloc(5 * MiB, 1) })).status).toBe(200);
      expect((await fetch(urls[1]?.url ?? '', { method: 'PUT', body: Buffer.from('end') })).status).toBe(200);
      expect((await fetch(session, { method: 'POST', headers })).status).toBe(200);
    },
  },
  {
    way: 'an upload URL (bare PUT)',
    write: async (type, key) => {
      const url = await (await fetch(`${gw.apiUrl}/${type}/new_resumable_url/${key}`, { headers })).text();
      expect((await fetch(url, { method: 'PUT', body: Buffer.from('sent to a URL') })).status).toBe(200);
    },
  },
];

/** When the engine will expire the object: undefined when it will not. */
async function expiryOf(type: 'tmp' | 'data', key: string): Promise<{ ttlSeconds?: number; date?: Date } | undefined> {
  const bucket = gw.bucket(type);
  if (engine === 'seaweedfs') {
    const filerUrl = testStore().filerUrl;
    if (!filerUrl) throw new Error('the SeaweedFS test store has no filer URL');
    const ttlSeconds = await recordedTtlSeconds(filerUrl, bucket, `${ns()}/${key}`);
    return ttlSeconds > 0 ? { ttlSeconds } : undefined;
  }
  const head = await gw.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${ns()}/${key}` }));
  if (!head.Expiration) return undefined;
  expect(head.Expiration).toContain(`rule-id="${RULE_TMP_EXPIRY}"`);
  const date = /expiry-date="([^"]+)"/.exec(head.Expiration)?.[1];
  return { date: new Date(date ?? 'none') };
}

describe.each(WAYS)('$way', ({ write }) => {
  it(`expires in tmp after ${TMP_EXPIRY_DAYS} days, as the store records it, and not in data`, async () => {
    const key = `expiring-${Math.random().toString(36).slice(2)}.bin`;
    const written = Date.now();
    await write('tmp', key);
    await write('data', key);
    const tmp = await expiryOf('tmp', key);
    if (engine === 'seaweedfs') {
      expect(tmp).toEqual({ ttlSeconds: TMP_EXPIRY_DAYS * 24 * 3600 });
    } else {
      // S3 rounds an expiry up to the next midnight UTC.
      const at = tmp?.date?.getTime() ?? 0;
      expect(at).toBeGreaterThanOrEqual(written + TMP_EXPIRY_DAYS * DAY_MS - DAY_MS);
      expect(at).toBeLessThanOrEqual(written + (TMP_EXPIRY_DAYS + 1) * DAY_MS);
    }
    expect(await expiryOf('data', key)).toBeUndefined();
  });
});

// MinIO expires stale multipart uploads itself (MINIO_API_STALE_UPLOADS_EXPIRY, set by the
// local launcher); SeaweedFS stores the lifecycle rule for it without applying it.
(engine === 'seaweedfs' ? it : it.skip)(
  'aborts multipart uploads older than the lifecycle rule allows, and no others (SeaweedFS)',
  async () => {
    const started = await fetch(`${gw.apiUrl}/multipart/data/abandoned.bin`, { method: 'POST', headers });
    expect(started.status).toBe(201);
    const open = async () =>
      ((await gw.s3.send(new ListMultipartUploadsCommand({ Bucket: gw.bucket('data'), Prefix: `${ns()}/abandoned.bin` }))).Uploads ?? [])
        .length;
    const upkeep = upkeepOf(gw);
    expect(await upkeep.abortStaleUploads(gw.bucket('data'), DAY_MS)).toBe(0);
    expect(await open()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await upkeep.abortStaleUploads(gw.bucket('data'), 1000)).toBe(1);
    expect(await open()).toBe(0);
  },
);
