/**
 * A process's leases on one namespace's quota: where the quota has ample room, a hold takes a
 * slice more than it needs (LEASE_SLICE_WRITES of its size, while what is left after it is at
 * least LEASE_ROOM_SLICES slices), held in the record as one hold of this process per type,
 * and the next holds draw on it here without writing the record. Near the quota no slice is
 * taken: every hold is exact, so a lease never stands between a namespace and the room it has.
 * A lease not drawn on for LEASE_IDLE_MS shrinks back to what is in flight at the next record
 * write.
 *
 * Writes draw on a lease that lapses with its process (UPLOAD_HOLD_SECONDS), as their writes
 * end with it. Upload URLs outlive the process that issued them, so they draw on a lease of
 * their own, whose hold in the record reaches past the expiry of every URL drawn on it (each
 * record write carries it on): a process that stops leaves it held until those URLs are dead.
 */
import { randomUUID } from 'node:crypto';
import type { StorageType } from './types';

/** A slice is this many times the write that takes it... */
const LEASE_SLICE_WRITES = 64;
/** ...taken only while what is left after it is at least this many slices. */
const LEASE_ROOM_SLICES = 16;
/** A lease not drawn on this long is given back. */
export const LEASE_IDLE_MS = 1_000;

interface Lease {
  type: StorageType;
  /** Upload URLs' lease: its hold reaches `reach` ms past each record write. */
  reach: number;
  /** Until when the record holds it, as last written (URL leases). */
  until: number;
  /** Bytes the record holds for this lease. */
  granted: number;
  /** Bytes of writes drawn on it and not yet given back (in flight, or settled and not yet written). */
  drawn: number;
  /** Of those, bytes of writes that ended and were counted: moved from the lease to the usage at the next write. */
  settled: number;
  usedAt: number;
  /** A record write is giving back its spare: no draws until it is done. */
  shrinking: boolean;
}

/** What a record write does to this process's leases, and what to apply once it succeeded. */
/** A lease's name: its type, and whether it is the upload URLs'. */
export type LeaseKey = string;

export function leaseKey(type: StorageType, url: boolean): LeaseKey {
  return url ? `${type}-url` : type;
}

/** What a record write grants a lease: bytes drawn at once, spare beside them, the reach of a URL lease. */
export interface LeaseGrant {
  type: StorageType;
  drawn: number;
  spare: number;
  reach: number;
}

export interface LeasePlan {
  /** Each lease hold's bytes in the record after this write (0: none), and its reach (0: a write lease). */
  holds: Map<LeaseKey, { type: StorageType; bytes: number; reach: number }>;
  /** After the write (at `now`) succeeded, with what it granted per lease. */
  commit(added: ReadonlyMap<LeaseKey, LeaseGrant>, now: number): void;
  /** The write failed: nothing changed. */
  abandon(): void;
}

export class Leases {
  private readonly leases = new Map<LeaseKey, Lease>();
  private readonly draws = new Map<string, { key: LeaseKey; bytes: number }>();

  constructor(private readonly processId: string) {}

  /** The record's hold for one of this process's leases. */
  holdId(key: LeaseKey): string {
    return `lease-${this.processId}-${key}`;
  }

  isOwn(holdId: string): boolean {
    return holdId.startsWith(`lease-${this.processId}-`);
  }

  /** Another process's lease. */
  static isLease(holdId: string): boolean {
    return holdId.startsWith('lease-');
  }

  /** Lease holds this process keeps alive (renewed on every record write). */
  liveIds(): string[] {
    return [...this.leases].filter(([, lease]) => lease.granted > 0).map(([key]) => this.holdId(key));
  }

  /**
   * Bytes from a lease, if it has them spare: answers the draw's id, or undefined. An upload
   * URL (`coverUntil`, its hold's end) draws only on a URL lease held at least that long.
   */
  draw(type: StorageType, bytes: number, coverUntil?: number): string | undefined {
    const key = leaseKey(type, coverUntil !== undefined);
    const lease = this.leases.get(key);
    if (!lease || lease.shrinking || lease.granted - lease.drawn < bytes) return undefined;
    if (coverUntil !== undefined && lease.until < coverUntil) return undefined;
    return this.take(lease, key, bytes);
  }

  /** The draw's write ended and was counted. Answers false for an id that is no draw. */
  settle(id: string): boolean {
    const draw = this.draws.get(id);
    if (!draw) return false;
    this.draws.delete(id);
    const lease = this.leases.get(draw.key);
    if (lease) lease.settled += draw.bytes;
    return true;
  }

  /** The draw's write failed: its bytes are spare again. Answers false for an id that is no draw. */
  release(id: string): boolean {
    const draw = this.draws.get(id);
    if (!draw) return false;
    this.draws.delete(id);
    const lease = this.leases.get(draw.key);
    if (lease) lease.drawn -= draw.bytes;
    return true;
  }

  /** Every lease's spare goes back at the next record write (the process is stopping). */
  giveBack(): void {
    for (const lease of this.leases.values()) lease.usedAt = 0;
  }

  /** When the first lease with spare goes idle (ms since the epoch), if one has spare. */
  spareIdleAt(): number | undefined {
    const times = [...this.leases.values()].filter((lease) => lease.granted > lease.drawn).map((lease) => lease.usedAt + LEASE_IDLE_MS);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Whether a record write is due to give back spare that has gone idle. */
  idleSpare(now: number): boolean {
    return [...this.leases.values()].some((lease) => lease.granted > lease.drawn && now - lease.usedAt > LEASE_IDLE_MS);
  }

  /** The slice a granted write takes beside its own bytes: none unless the room left is ample. */
  static sliceFor(bytes: number, roomAfter: number): number {
    const slice = LEASE_SLICE_WRITES * Math.max(bytes, 1);
    return roomAfter >= LEASE_ROOM_SLICES * slice ? slice : 0;
  }

  /** At the start of a record write: the lease holds it writes; settled draws move to the usage. */
  plan(now: number): LeasePlan {
    const holds = new Map<LeaseKey, { type: StorageType; bytes: number; reach: number }>();
    const settledNow = new Map<LeaseKey, number>();
    const shrunk: Lease[] = [];
    for (const [key, lease] of this.leases) {
      settledNow.set(key, lease.settled);
      const idle = now - lease.usedAt > LEASE_IDLE_MS;
      const kept = idle ? lease.drawn : lease.granted;
      if (idle && kept < lease.granted) {
        lease.shrinking = true;
        shrunk.push(lease);
      }
      holds.set(key, { type: lease.type, bytes: kept - lease.settled, reach: lease.reach });
    }
    return {
      holds,
      commit: (added, writtenAt) => {
        for (const [key, lease] of this.leases) {
          const settled = settledNow.get(key) ?? 0;
          const grant = added.get(key);
          lease.granted = (holds.get(key)?.bytes ?? 0) + (grant?.drawn ?? 0) + (grant?.spare ?? 0);
          lease.settled -= settled;
          lease.drawn -= settled;
          lease.shrinking = false;
          lease.reach = Math.max(lease.reach, grant?.reach ?? 0);
          lease.until = writtenAt + lease.reach;
        }
        for (const [key, grant] of added) {
          if (!this.leases.has(key)) {
            this.leases.set(key, {
              type: grant.type,
              reach: grant.reach,
              until: writtenAt + grant.reach,
              granted: grant.drawn + grant.spare,
              drawn: 0,
              settled: 0,
              usedAt: now,
              shrinking: false,
            });
          }
        }
        for (const [key, lease] of this.leases) if (lease.granted <= 0 && lease.drawn <= 0) this.leases.delete(key);
      },
      abandon: () => shrunk.forEach((lease) => (lease.shrinking = false)),
    };
  }

  /** A granted hold's bytes, drawn on its lease at once (after commit). */
  drawGranted(key: LeaseKey, bytes: number): string {
    const lease = this.leases.get(key);
    if (!lease) throw new Error('drawn on a lease that was not granted');
    return this.take(lease, key, bytes);
  }

  private take(lease: Lease, key: LeaseKey, bytes: number): string {
    lease.drawn += bytes;
    lease.usedAt = Date.now();
    const id = `draw-${randomUUID()}`;
    this.draws.set(id, { key, bytes });
    return id;
  }
}
