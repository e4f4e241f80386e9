/**
 * The quota rows of `npm run bench`: the bench's one gateway runs with a quota on tmp alone
 * (QUOTA_ENV, 1 TiB so nothing is refused), so the same 1 KiB PUTs and upload URLs are timed
 * with a quota (to tmp, the caller's own space like data) and without (to data, the rows
 * above them). Both go to the same MinIO; only the type, its bucket and the quota differ.
 * With the quota each PUT and each URL holds its size, drawn on its namespace's lease in the
 * process (usageLeases.ts): the usage record is written once per slice, not once per request.
 */
import { load } from './benchMeasure';
import type { Bench } from './benchStack';
import { ratioRow, type Row } from './benchTable';

export const QUOTA_TYPE = 'tmp';
export const QUOTA_ENV = { QUOTA_BYTES: `${QUOTA_TYPE}=1TiB` };
const octet = { 'content-type': 'application/octet-stream' };

/** 1 KiB PUTs to the quota type by the same callers as the quota-off row (`off`, its rate). */
export async function quotaPutRow({ options, api, callers, client }: Bench, off: number): Promise<Row> {
  const n = options.concurrency;
  const small = Buffer.alloc(1024, 7);
  const put = (loop: number) => client.send('PUT', `${api}/${QUOTA_TYPE}/bench/put`, { ...callers[loop], ...octet }, small);
  // Warm-up, not timed: the hold's code path compiled, each namespace's record read once.
  await load(n, 1, put);
  const on = await load(n, options.seconds, put);
  return ratioRow(
    `1 KiB PUT, ${n} concurrent, quota on (${QUOTA_TYPE}, QUOTA_BYTES=${QUOTA_ENV.QUOTA_BYTES}; beside: quota off, data)`,
    on.rate,
    off,
    'ops/s',
    0.9,
  );
}

/**
 * Upload URLs for 1 KiB on the quota type (`?size=1024`) by the same callers as the quota-off
 * row, beside its rate (`off`). Each URL draws on its caller's URL lease (usageLeases.ts), so
 * a namespace issuing many URLs writes its record once per slice; only 200s count, and the
 * label says how many answers were not.
 */
export async function quotaUrlRow({ options, api, callers, client }: Bench, off: number): Promise<Row> {
  const n = options.concurrency;
  const statuses = new Map<number, number>();
  const ask = async (loop: number, i: number) => {
    const status = await client.send('GET', `${api}/${QUOTA_TYPE}/new_resumable_url/bench/url-${i % 1000}?size=1024`, callers[loop] ?? {});
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    return status === 200 ? 200 : 0;
  };
  // Warm-up, not timed: the hold's code path compiled, each namespace's record read once.
  await load(n, 1, ask, true);
  statuses.clear();
  const on = await load(n, options.seconds, ask, true);
  const refused = [...statuses].filter(([status]) => status !== 200);
  const notOk = refused.length === 0 ? 'every answer 200' : refused.map(([status, count]) => `${count} × ${status}`).join(', ');
  return ratioRow(
    `presigned upload URLs, ${n} concurrent, quota on (${QUOTA_TYPE}, ?size=1024; ${notOk}; beside: quota off, data)`,
    on.rate,
    off,
    'per s',
    0.9,
  );
}
