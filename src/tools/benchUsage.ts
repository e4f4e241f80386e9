/**
 * The GET /usage row of `npm run bench`: one user's namespace filled with `--usage-objects`
 * small objects put straight into the data bucket with MinIO's root keys (as an operator's
 * copy would), recounted by an administrator so its record counts them, then GET /usage
 * asked one call after another. It reads one record, so its time should not grow with the
 * objects; the recount, which lists them all, is printed beneath for scale.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mintToken } from '../auth/tokens';
import { namespaceFor, objectKey } from '../protocol/namespace';
import { ISSUE_USAGE_OBJECTS } from './benchOptions';
import type { Bench } from './benchStack';
import type { Row } from './benchTable';

const CREATE_CONCURRENCY = 32;
const USAGE_CALLS = 200;

export async function measureUsage(bench: Bench): Promise<Row[]> {
  const { options, api, jwtSecret, client } = bench;
  const objects = options.usageObjects;
  const subject = 'bench-usage';
  const namespace = namespaceFor(subject);
  const user = { authorization: `Bearer ${await mintToken(jwtSecret, subject)}` };
  const admin = { authorization: `Bearer ${await mintToken(jwtSecret, 'bench-admin', { roles: ['storage:admin'] })}` };

  // ---- set-up, not timed as a row: the objects, straight into the store
  const created = await createObjects(bench, namespace, objects);
  console.log(`GET /usage: ${objects.toLocaleString('en')} objects put straight into MinIO in ${created.toFixed(1)} s`);
  const recountStarted = performance.now();
  const recount = await fetch(`${api}/admin/usage/${namespace}/recount`, { method: 'POST', headers: admin });
  const recountMs = performance.now() - recountStarted;
  if (recount.status !== 200) throw new Error(`the recount answered ${recount.status}: ${await recount.text()}`);
  const counted = ((await recount.json()) as { types: { data: { objects: number } } }).types.data.objects;
  if (counted !== objects) throw new Error(`the recount counted ${counted} objects, not ${objects}`);

  // ---- GET /usage, one call after another (the first reads the record into nothing cached)
  const seen = JSON.parse(await client.text(`${api}/usage`, user)) as { types: { data: { objects: number } } };
  if (seen.types.data.objects !== objects) throw new Error(`GET /usage answered ${seen.types.data.objects} objects, not ${objects}`);
  const latencies: number[] = [];
  for (let i = 0; i < USAGE_CALLS; i++) {
    const t0 = performance.now();
    const status = await client.send('GET', `${api}/usage`, user);
    latencies.push(performance.now() - t0);
    if (status !== 200) throw new Error(`GET /usage answered ${status}`);
  }
  latencies.sort((a, b) => a - b);
  const p50 = latencies[Math.floor(latencies.length / 2)] ?? 0;
  const count = objects.toLocaleString('en');
  const issue = objects < ISSUE_USAGE_OBJECTS ? `; the issue's ${ISSUE_USAGE_OBJECTS.toLocaleString('en')}: --usage-objects` : '';
  return [
    {
      metric: `GET /usage p50, ${count} objects in the namespace (${USAGE_CALLS} calls, one at a time${issue})`,
      gateway: p50,
      unit: 'ms',
      goal: '< 20 ms',
      met: p50 < 20,
      lowerIsBetter: true,
    },
    {
      metric: `  for scale: recounting them (a listing of all ${count}), once`,
      gateway: recountMs,
      unit: 'ms',
      goal: '–',
      met: undefined,
      lowerIsBetter: true,
    },
  ];
}

/** Puts `count` objects of a few bytes under the namespace in the data bucket; answers the seconds it took. */
async function createObjects({ store, storeKeys }: Bench, namespace: string, count: number): Promise<number> {
  const root = new S3Client({
    endpoint: store,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: storeKeys ?? { accessKeyId: '', secretAccessKey: '' },
    maxAttempts: 5,
  });
  const started = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        for (let i = next++; i < count; i = next++) {
          const key = objectKey(namespace, `bench/usage/${String(i).padStart(6, '0')}`);
          await root.send(new PutObjectCommand({ Bucket: 'storage-data', Key: key, Body: 'usage', ContentType: 'text/plain' }));
        }
      }),
    );
  } finally {
    root.destroy();
  }
  return (performance.now() - started) / 1000;
}
