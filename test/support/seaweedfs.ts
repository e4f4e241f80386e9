/** What a SeaweedFS test store records, read from its filer (the engine's own view of an object). */

/** The TTL SeaweedFS recorded on one object's filer entry, in seconds (0: none). */
export async function recordedTtlSeconds(filerUrl: string, bucket: string, key: string): Promise<number> {
  const path = `/buckets/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const answer = await fetch(`${filerUrl}${path}?metadata=true`, { signal: AbortSignal.timeout(5000) });
  if (!answer.ok) throw new Error(`the filer answered ${answer.status} for ${path}`);
  const entry = (await answer.json()) as { TtlSec?: number; Extended?: Record<string, unknown> };
  // The S3 flag makes the filer expire the entry from its last write (not only its volumes).
  return entry.Extended && 'X-Seaweedfs-Expires-S3' in entry.Extended ? (entry.TtlSec ?? 0) : 0;
}
