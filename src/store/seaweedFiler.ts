/**
 * SeaweedFS's filer configuration (/etc/seaweedfs/filer.conf), the one thing the gateway keeps
 * outside S3 on that engine: a path TTL on the tmp bucket. SeaweedFS stores S3 lifecycle rules
 * but `weed server` alone does not apply them (that needs its admin and worker processes, or
 * its per-bucket fast path, which misses multipart objects). A filer.conf TTL on
 * `/buckets/<bucket>/` applies to every write under that path, multipart parts included:
 * each entry records the TTL (TtlSec, X-Seaweedfs-Expires-S3), its data goes to volumes that
 * expire with it, and the filer stops listing and serving it once expired. This is what
 * `weed shell fs.configure -locationPrefix=/buckets/<bucket>/ -ttl=7d -apply` writes.
 */

/** Where SeaweedFS keeps S3 buckets in its filer (filer.toml `buckets_folder`, default). */
export const SEAWEEDFS_BUCKETS_PATH = '/buckets';
const FILER_CONF_PATH = '/etc/seaweedfs/filer.conf';
/** The version this SeaweedFS writes (filer.FilerConfVersion). */
const FILER_CONF_VERSION = 2;
/**
 * filer.conf is one file that every writer reads, changes and writes back whole, with no
 * conditional write: two gateways (of different prefixes) editing at once can lose one
 * change. Each writer re-reads after a pause and writes again until its rule is there.
 */
const ATTEMPTS = 6;
const TIMEOUT_MS = 5_000;

interface PathRule {
  locationPrefix: string;
  ttl?: string;
  [other: string]: unknown;
}

interface FilerConf {
  version?: number;
  locations?: PathRule[];
  [other: string]: unknown;
}

export type TtlOutcome = 'present' | 'written';

/** Makes sure every write into `bucket` carries a TTL of `days` days; rules for other paths are kept. */
export async function ensureBucketTtl(filerUrl: string, bucket: string, days: number): Promise<TtlOutcome> {
  const locationPrefix = `${SEAWEEDFS_BUCKETS_PATH}/${bucket}/`;
  const ttl = `${days}d`;
  let wrote = false;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const conf = await readFilerConf(filerUrl);
    const rules = conf.locations ?? [];
    const rule = rules.find((r) => r.locationPrefix === locationPrefix);
    // After a write, this is the read-back: a writer that read before our write may have put
    // its own version back without our rule since.
    if (rule?.ttl === ttl) return wrote ? 'written' : 'present';
    const locations = rule ? rules.map((r) => (r === rule ? { ...r, ttl } : r)) : [...rules, { locationPrefix, ttl }];
    await writeFilerConf(filerUrl, { ...conf, version: conf.version ?? FILER_CONF_VERSION, locations });
    wrote = true;
    await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
  }
  throw new Error(`the filer at ${filerUrl} did not keep the TTL rule for ${locationPrefix} (others kept rewriting ${FILER_CONF_PATH})`);
}

async function readFilerConf(filerUrl: string): Promise<FilerConf> {
  const answer = await fetch(`${filerUrl}${FILER_CONF_PATH}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (answer.status === 404) {
    await answer.arrayBuffer();
    return {};
  }
  if (!answer.ok) throw new Error(`the filer at ${filerUrl} answered ${answer.status} reading ${FILER_CONF_PATH}`);
  const text = await answer.text();
  return text.trim() === '' ? {} : (JSON.parse(text) as FilerConf);
}

async function writeFilerConf(filerUrl: string, conf: FilerConf): Promise<void> {
  const answer = await fetch(`${filerUrl}${FILER_CONF_PATH}`, {
    method: 'PUT',
    body: `${JSON.stringify(conf, null, 2)}\n`,
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await answer.arrayBuffer();
  if (!answer.ok) throw new Error(`the filer at ${filerUrl} answered ${answer.status} writing ${FILER_CONF_PATH}`);
}
