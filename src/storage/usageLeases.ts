/**
 * A process's leases on one namespace's quota: where the quota has ample room, a write's hold
 * takes a slice more than it needs (LEASE_SLICE_WRITES of its size, at most 1/16 of what is
 * left), held in the record as one hold of this process per type, and the next writes draw on
 * it here without writing the record. Near the quota no slice is taken: every hold is exact,
 * so a lease never stands between a namespace and the room it has. A lease not drawn on for
 * LEASE_IDLE_MS shrinks back to what is in flight at the next record write, and lapses with
 * its process (UPLOAD_HOLD_SECONDS) like any write's hold.
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
export interface LeasePlan {
  /** Each lease hold's bytes in the record after this write (0: none). */
  holds: Map<StorageType, number>;
  /** After the write succeeded, with the slices it granted (bytes drawn, spare) per type. */
  commit(added: ReadonlyMap<StorageType, { drawn: number; spare: number }>): void;
  /** The write failed: nothing changed. */
  abandon(): void;
}

export class Leases {
  private readonly leases = new Map<StorageType, Lease>();
  private readonly draws = new Map<string, { type: StorageType; bytes: number }>();

  constructor(private readonly processId: string) {}

  /** The record's hold for this process's lease on a type. */
  holdId(type: StorageType): string {
    return `lease-${this.processId}-${type}`;
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
    return [...this.leases].filter(([, lease]) => lease.granted > 0).map(([type]) => this.holdId(type));
  }

  /** A write's bytes from the lease, if it has them spare: answers the draw's id, or undefined. */
  draw(type: StorageType, bytes: number): string | undefined {
    const lease = this.leases.get(type);
    if (!lease || lease.shrinking || lease.granted - lease.drawn < bytes) return undefined;
    return this.take(lease, type, bytes);
  }

  /** The draw's write ended and was counted. Answers false for an id that is no draw. */
  settle(id: string): boolean {
    const draw = this.draws.get(id);
    if (!draw) return false;
    this.draws.delete(id);
    const lease = this.leases.get(draw.type);
    if (lease) lease.settled += draw.bytes;
    return true;
  }

  /** The draw's write failed: its bytes are spare again. Answers false for an id that is no draw. */
  release(id: string): boolean {
    const draw = this.draws.get(id);
    if (!draw) return false;
    this.draws.delete(id);
    const lease = this.leases.get(draw.type);
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
    const holds = new Map<StorageType, number>();
    const settledNow = new Map<StorageType, number>();
    const shrunk: Lease[] = [];
    for (const [type, lease] of this.leases) {
      settledNow.set(type, lease.settled);
      const idle = now - lease.usedAt > LEASE_IDLE_MS;
      const kept = idle ? lease.drawn : lease.granted;
      if (idle && kept < lease.granted) {
        lease.shrinking = true;
        shrunk.push(lease);
      }
      holds.set(type, kept - lease.settled);
    }
    return {
      holds,
      commit: (added) => {
        for (const [type, lease] of this.leases) {
          const settled = settledNow.get(type) ?? 0;
          lease.granted = (holds.get(type) ?? 0) + (added.get(type)?.drawn ?? 0) + (added.get(type)?.spare ?? 0);
          lease.settled -= settled;
          lease.drawn -= settled;
          lease.shrinking = false;
        }
        for (const [type, slice] of added) {
          if (!this.leases.has(type)) {
            this.leases.set(type, { granted: slice.drawn + slice.spare, drawn: 0, settled: 0, usedAt: now, shrinking: false });
          }
        }
        for (const [type, lease] of this.leases) if (lease.granted <= 0 && lease.drawn <= 0) this.leases.delete(type);
      },
      abandon: () => shrunk.forEach((lease) => (lease.shrinking = false)),
    };
  }

  /** A granted write's bytes, drawn on its new lease at once (after commit). */
  drawGranted(type: StorageType, bytes: number): string {
    const lease = this.leases.get(type);
    if (!lease) throw new Error('drawn on a lease that was not granted');
    return this.take(lease, type, bytes);
  }

  private take(lease: Lease, type: StorageType, bytes: number): string {
    lease.drawn += bytes;
    lease.usedAt = Date.now();
    const id = `draw-${randomUUID()}`;
    this.draws.set(id, { type, bytes });
    return id;
  }
}
