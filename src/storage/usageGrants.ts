/**
 * The decision of one record write on one hold asked: it fits if the bytes stored, every hold
 * (leases included) and it stay within the quota in force. A write's or an upload URL's hold
 * goes into this process's lease (usageLeases.ts), with a slice more where the room is ample;
 * a session's, or a body of unknown length's, is a hold of its own, with its key.
 */
import type { StorageLimits } from '../config';
import { QuotaExceeded, TooManyRequests } from '../errors';
import { leaseKey, Leases, type LeaseGrant, type LeaseKey } from './usageLeases';
import type { Hold, TypeCount, UsageRecord } from './usageRecords';
import type { StorageType } from './types';
import type { HoldRequest } from './usage';

/** Holds one namespace may keep at once (each session and each body of unknown length on a limited type keeps one). */
export const MAX_HOLDS = 1_000;
/** A URL lease reaches this far past the end of the URL that took it: the next URLs draw on it. */
const URL_LEASE_MARGIN_MS = 5 * 60_000;

export interface HoldAsk {
  type: StorageType;
  request: HoldRequest;
  id: string;
  /** A write's or an upload URL's hold, which goes into a lease. */
  lease: { url: boolean } | undefined;
}

export interface GrantContext {
  now: number;
  limits: StorageLimits;
  /** How long a write's hold outlives its process. */
  holdMs: number;
  leases: Leases;
  /** What this write grants each lease, filled in here. */
  added: Map<LeaseKey, LeaseGrant>;
}

/**
 * Adds the asked hold to `next` if it fits: answers the bytes granted, or the refusal. A
 * write's hold goes into this process's lease on the type, with a slice more where the
 * room is ample (`added`).
 */
export function grantHold(next: UsageRecord, ask: HoldAsk, context: GrantContext): number | QuotaExceeded | TooManyRequests {
  const { now, limits, holdMs, leases, added } = context;
  const { type, request } = ask;
  const quota = quotaOf(next, limits, type);
  const used = next.types[type]?.bytes ?? 0;
  const held = next.holds.filter((h) => h.type === type).reduce((sum, h) => sum + h.bytes, 0);
  const room = quota === undefined ? Number.MAX_SAFE_INTEGER : Math.max(0, quota - used - held);
  // A partial hold takes what is left, maybe nothing; a whole one fits or is refused.
  const granted = request.partial ? Math.min(request.bytes, room) : request.bytes;
  if (granted === 0 && request.partial) return 0;
  if (granted > room) {
    return new QuotaExceeded(
      `This would exceed the namespace's ${type} quota: ${used} bytes used` +
        (held > 0 ? ` and ${held} held by uploads under way` : '') +
        `, quota ${quota} bytes, ${request.bytes} bytes asked`,
    );
  }
  if (ask.lease) {
    const spare = quota === undefined ? 0 : Leases.sliceFor(granted, room - granted);
    const key = leaseKey(type, ask.lease.url);
    // A URL lease reaches past this URL's end, and the next ones' for a while.
    const reach = request.until === undefined ? 0 : request.until - now + URL_LEASE_MARGIN_MS;
    // A write lease lives as its process does: renewed on every record write.
    const until = now + (reach || holdMs);
    const id = leases.holdId(key);
    const held = next.holds.find((h) => h.id === id);
    if (held) {
      held.bytes += granted + spare;
      held.until = Math.max(held.until, until);
    } else next.holds.push(leaseHold(id, type, granted + spare, until));
    const sum = added.get(key) ?? { type, drawn: 0, spare: 0, reach: 0 };
    added.set(key, { type, drawn: sum.drawn + granted, spare: sum.spare + spare, reach: Math.max(sum.reach, reach) });
    return granted;
  }
  if (next.holds.length >= MAX_HOLDS) {
    return new TooManyRequests(
      'usage_holds',
      `This namespace has ${MAX_HOLDS} uploads under way, sessions open or upload URLs unused on types with a quota: finish or let some expire first`,
    );
  }
  next.holds.push({
    id: ask.id,
    type,
    bytes: granted,
    until: request.until ?? now + holdMs,
    key: request.key,
    prevEtag: request.prev?.etag,
    prevSize: request.prev?.contentLength ?? 0,
  });
  return granted;
}

/** A lease's hold in the record: no key, so a lapsed one is simply dropped. */
export function leaseHold(id: string, type: StorageType, bytes: number, until = 0): Hold {
  return { id, type, bytes, until, key: '', prevEtag: undefined, prevSize: 0 };
}

/** The quota in force: the namespace's override, else QUOTA_BYTES. */
export function quotaOf(record: UsageRecord | undefined, limits: StorageLimits, type: StorageType): number | undefined {
  return record?.quotas[type] ?? limits.quotaBytes[type];
}

export function addCount(count: TypeCount | undefined, change: TypeCount): TypeCount {
  return { bytes: (count?.bytes ?? 0) + change.bytes, objects: (count?.objects ?? 0) + change.objects };
}

export function subtractCount(count: TypeCount | undefined, change: TypeCount): TypeCount | undefined {
  const left = { bytes: (count?.bytes ?? 0) - change.bytes, objects: (count?.objects ?? 0) - change.objects };
  return left.bytes === 0 && left.objects === 0 ? undefined : left;
}
