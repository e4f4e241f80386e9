/**
 * Where usage is kept: one small JSON object per namespace under USAGE_PREFIX in the data
 * bucket, outside every namespace (those are 40 hex characters), so no caller's key reaches
 * it; and one with the totals per type over every namespace, for /metrics. Each is changed
 * only by a conditional write: If-Match on the ETag read, or If-None-Match: * for the first.
 */
import { Readable } from 'node:stream';
import { Conflict, NotFound } from '../errors';
import type { Store } from '../store/types';
import { STORAGE_TYPES, type StorageType } from './types';

export const USAGE_PREFIX = '.storage-gateway/usage/';
export const USAGE_TOTALS_KEY = '.storage-gateway/usage-totals';

export interface TypeCount {
  bytes: number;
  objects: number;
}

/** Bytes held in a type's quota for a write, an upload URL or a multipart session not ended yet. */
export interface Hold {
  id: string;
  type: StorageType;
  bytes: number;
  /** When it lapses (ms since the epoch), unless its process renews it. */
  until: number;
  /** The object key (in the type's bucket) it is for, and what was there when it was taken. */
  key: string;
  prevEtag: string | undefined;
  prevSize: number;
}

export interface UsageRecord {
  types: Partial<Record<StorageType, TypeCount>>;
  /** An administrator's quotas for this namespace, by type, over QUOTA_BYTES. */
  quotas: Partial<Record<StorageType, number>>;
  holds: Hold[];
}

export function emptyRecord(): UsageRecord {
  return { types: {}, quotas: {}, holds: [] };
}

export class UsageRecords {
  /** Changes written to namespace records and not yet to the totals. */
  private readonly unwrittenTotals = new Map<StorageType, TypeCount>();

  constructor(
    private readonly store: Store,
    private readonly bucket: string,
  ) {}

  /** A failed condition: another process wrote the record since it was read. */
  static isRace(error: unknown): boolean {
    return error instanceof Conflict || error instanceof NotFound;
  }

  /** The record and its ETag (null when there is none yet). */
  async read(namespace: string): Promise<{ record: UsageRecord; etag: string | null }> {
    return this.readJson(recordKey(namespace), parseRecord);
  }

  /** Writes the record if it is still the one with `etag` (null: if there is none); answers the new ETag. */
  async write(namespace: string, record: UsageRecord, etag: string | null): Promise<string> {
    return this.writeJson(recordKey(namespace), record, etag);
  }

  /** Reads, changes and writes the record until no other process wrote it in between. */
  async update(namespace: string, change: (record: UsageRecord) => UsageRecord): Promise<{ record: UsageRecord; etag: string }> {
    for (;;) {
      const { record, etag } = await this.read(namespace);
      const next = change(record);
      try {
        return { record: next, etag: await this.write(namespace, next, etag) };
      } catch (error) {
        if (!UsageRecords.isRace(error)) throw error;
      }
    }
  }

  /** Every namespace that has a record. */
  async *namespaces(): AsyncGenerator<string> {
    let after: string | undefined;
    for (;;) {
      const page = await this.store.list(this.bucket, USAGE_PREFIX, after, 1000);
      for (const key of page.keys) yield key.slice(USAGE_PREFIX.length);
      after = page.keys.at(-1);
      if (!page.truncated || after === undefined) return;
    }
  }

  /** The objects and bytes under `prefix` in the bucket, from its listing. */
  async count(bucket: string, prefix: string): Promise<TypeCount> {
    const count = { bytes: 0, objects: 0 };
    let after: string | undefined;
    for (;;) {
      const page = await this.store.list(bucket, prefix, after, 1000);
      for (const object of page.objects) {
        count.bytes += object.size;
        count.objects++;
      }
      after = page.keys.at(-1);
      if (!page.truncated || after === undefined) return count;
    }
  }

  /** Changes just written to a namespace's record, for the totals' next write. */
  addToTotals(changes: ReadonlyMap<StorageType, TypeCount>): void {
    for (const [type, change] of changes) {
      const sum = this.unwrittenTotals.get(type) ?? { bytes: 0, objects: 0 };
      this.unwrittenTotals.set(type, { bytes: sum.bytes + change.bytes, objects: sum.objects + change.objects });
    }
  }

  /** Adds this process's changes to the totals record; answers the totals as written. */
  async flushTotals(): Promise<Record<StorageType, TypeCount>> {
    const adding = new Map(this.unwrittenTotals);
    for (;;) {
      const { record, etag } = await this.readJson(USAGE_TOTALS_KEY, parseTotals);
      if (adding.size === 0) return record;
      for (const [type, change] of adding)
        record[type] = { bytes: record[type].bytes + change.bytes, objects: record[type].objects + change.objects };
      try {
        await this.writeJson(USAGE_TOTALS_KEY, record, etag);
        for (const type of adding.keys()) this.unwrittenTotals.delete(type);
        return record;
      } catch (error) {
        if (!UsageRecords.isRace(error)) throw error;
      }
    }
  }

  private async readJson<T>(key: string, parse: (value: unknown) => T): Promise<{ record: T; etag: string | null }> {
    try {
      const object = await this.store.get(this.bucket, key, { operation: 'getUsageRecord' });
      const chunks: Buffer[] = [];
      for await (const chunk of object.body) chunks.push(chunk as Buffer);
      return { record: parse(JSON.parse(Buffer.concat(chunks).toString('utf8'))), etag: object.etag };
    } catch (error) {
      if (error instanceof NotFound) return { record: parse(undefined), etag: null };
      throw error;
    }
  }

  private async writeJson(key: string, value: unknown, etag: string | null): Promise<string> {
    const body = Buffer.from(JSON.stringify(value));
    const written = await this.store.put(this.bucket, key, Readable.from([body]), {
      contentType: 'application/json',
      contentLength: body.length,
      // Named, so a reader never takes it for an upload URL's object still to settle (SeaweedFS).
      metadata: { record: 'usage' },
      operation: 'putUsageRecord',
      ...(etag === null ? { exclusive: true } : { ifMatch: etag }),
    });
    return written.etag;
  }
}

function recordKey(namespace: string): string {
  return `${USAGE_PREFIX}${namespace}`;
}

/** A record as stored; anything unreadable counts as empty (a recount repairs it). */
function parseRecord(value: unknown): UsageRecord {
  const record = emptyRecord();
  if (typeof value !== 'object' || value === null) return record;
  const stored = value as Partial<UsageRecord>;
  for (const type of STORAGE_TYPES) {
    const count = stored.types?.[type];
    if (count && Number.isFinite(count.bytes) && Number.isFinite(count.objects))
      record.types[type] = { bytes: count.bytes, objects: count.objects };
    const quota = stored.quotas?.[type];
    if (typeof quota === 'number' && Number.isSafeInteger(quota)) record.quotas[type] = quota;
  }
  record.holds = Array.isArray(stored.holds)
    ? stored.holds.filter((hold) => typeof hold?.id === 'string' && Number.isFinite(hold.bytes))
    : [];
  return record;
}

function parseTotals(value: unknown): Record<StorageType, TypeCount> {
  const stored = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<StorageType, TypeCount>>;
  return Object.fromEntries(
    STORAGE_TYPES.map((type) => [type, { bytes: Number(stored[type]?.bytes) || 0, objects: Number(stored[type]?.objects) || 0 }]),
  ) as Record<StorageType, TypeCount>;
}
