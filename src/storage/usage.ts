/**
 * Usage and quotas per namespace and storage type, kept in the store itself: one small JSON
 * record per namespace (usageRecords.ts), changed only by conditional writes, so every gateway
 * process sharing the store keeps one count and, together, never lets a namespace past its
 * quota.
 *
 * A write to a type with a quota first *holds* its size in the record: it fits only if the
 * bytes stored plus every hold plus its own size stay within the quota, checked in the same
 * conditional write that adds the hold. When the write ends, its hold goes and what it changed
 * (bytes and objects) is added, in one later write. Writes of one namespace in one process
 * share each record write (group commit), so a burst of PUTs costs a few record writes, not
 * one each; writes to types without a quota only add what they changed, once a second.
 *
 * Holds end: a write's hold is renewed while its process lives and lapses UPLOAD_HOLD_SECONDS after it
 * dies; an upload URL's lasts as long as the URL, a multipart session's as long as the session.
 * Whoever drops a lapsed hold first looks at its key and counts what was stored there, so a
 * crash loses nothing; a recount (recount()) repairs anything else, such as objects written
 * straight into a bucket.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { StorageLimits } from '../config';
import { QuotaExceeded, StoreUnavailable, TooManyRequests } from '../errors';
import type { AnswerOf } from '../protocol/answers';
import type { ObjectInfo, Store } from '../store/types';
import type { Logger } from '../log';
import { LEASE_IDLE_MS, leaseKey, Leases, type LeaseGrant, type LeaseKey } from './usageLeases';
import { addCount, grantHold, leaseHold, quotaOf, subtractCount, type HoldAsk } from './usageGrants';

export { MAX_HOLDS } from './usageGrants';
import { emptyRecord, UsageRecords, type Hold, type TypeCount, type UsageRecord } from './usageRecords';
import { STORAGE_TYPES, type StorageType } from './types';

export type { TypeCount } from './usageRecords';

/** Changes made by this process are written at most this long after they happen. */
const FLUSH_MS = 500;
/** Quota overrides read this long ago are still used to decide whether a type has a quota. */
const RECORD_FRESH_MS = 5_000;
/** Conditional writes tried before the caller is told the store is too contended. */
const MAX_ATTEMPTS = 40;

/** What a type allows a namespace, after its overrides. */
export interface TypeLimits {
  quotaBytes: number | undefined;
  maxUploadBytes: number | undefined;
  contentTypes: readonly string[] | undefined;
}

/** A hold to ask for: its size, the key it is for, and what was there when it was asked. */
export interface HoldRequest {
  bytes: number;
  key: string;
  prev: ObjectInfo | undefined;
  /** When it lapses (ms since the epoch); a write's, renewed while it runs, by default. */
  until?: number;
  /** A name of the caller's choosing (a multipart session's), so another process can end it. */
  id?: string;
  /** Grant what fits, at least one byte, up to `bytes` (a body of unknown length grows its hold). */
  partial?: boolean;
}

interface Waiting extends HoldAsk {
  /** When it was first asked: refused while other processes hold leases, it waits up to LEASE_WAIT_MS. */
  firstAt: number;
  resolve: (granted: { id: string; bytes: number }) => void;
  reject: (error: unknown) => void;
}

/** A hold refused while other processes hold leases waits this long for them to give back their spare. */
const LEASE_WAIT_MS = 3 * LEASE_IDLE_MS;

/** What this process knows of one namespace's record and what it has yet to write there. */
interface Book {
  namespace: string;
  record: UsageRecord | undefined;
  /** The record's ETag, null when there is none yet, undefined when unknown. */
  etag: string | null | undefined;
  readAt: number;
  /** A read of the record under way. */
  reading: Promise<void> | undefined;
  waiting: Waiting[];
  changes: Map<StorageType, TypeCount>;
  releases: Set<string>;
  /** Holds of writes under way in this process: renewed on every record write. */
  live: Set<string>;
  /** The live holds are to be renewed even if nothing else is written. */
  renewDue: boolean;
  /** This process's leases on the namespace's quota. */
  leases: Leases;
  /** Holds refused while other processes held leases, asked again shortly. */
  deferred: Waiting[];
  leaseTimer: NodeJS.Timeout | undefined;
  flushing: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class Usage {
  private readonly books = new Map<string, Book>();
  /** Names this process's leases in the records. */
  private readonly processId = randomUUID();
  private readonly records: UsageRecords;
  private readonly renewal: NodeJS.Timeout;
  /** A write's hold outlives its process by at most this (UPLOAD_HOLD_SECONDS); renewed while the write goes on. */
  private readonly holdMs: number;
  /** Totals by type across namespaces, as this process last read them (for /metrics). */
  private totalsSeen: Record<StorageType, TypeCount> | undefined;

  constructor(
    private readonly store: Store,
    /** The bucket that keeps the records (the data bucket), and each type's bucket. */
    recordBucket: string,
    private readonly bucketFor: (type: StorageType) => string,
    private readonly limits: StorageLimits,
    private readonly log?: Logger,
  ) {
    this.records = new UsageRecords(store, recordBucket);
    this.holdMs = limits.holdSeconds * 1000;
    this.renewal = setInterval(() => this.renewHolds(), this.holdMs / 4);
    this.renewal.unref();
  }

  /**
   * Whether the type has any limit that makes writes hold their size (a quota or a largest
   * object). Only the first look at a namespace waits for its record; after that a record older
   * than RECORD_FRESH_MS is read again in the background. A write to a type without a quota
   * must not wait on the one record every write of its namespace shares: on a MinIO cluster a
   * node frozen and thawed has left reads of that one object hanging on every node for longer
   * than the fault runs last, while every other key answered.
   */
  async limitsOf(namespace: string, type: StorageType): Promise<TypeLimits> {
    const book = this.book(namespace);
    if (book.record === undefined) await this.refresh(book);
    else if (Date.now() - book.readAt > RECORD_FRESH_MS) void this.refresh(book).catch(() => undefined);
    return {
      quotaBytes: quotaOf(book.record, this.limits, type),
      maxUploadBytes: this.limits.maxUploadBytes[type],
      contentTypes: this.limits.contentTypes[type],
    };
  }

  /**
   * Holds `bytes` of the type's quota for a write to come, or refuses with QuotaExceeded
   * (413) when it would not fit. Answers the hold's id and the bytes granted (all of them,
   * unless `partial`).
   */
  async hold(namespace: string, type: StorageType, request: HoldRequest): Promise<{ id: string; bytes: number }> {
    const book = this.book(namespace);
    // A write's hold, or an upload URL's (it has an end, no name): both go into leases.
    const lease = request.id !== undefined || request.partial ? undefined : { url: request.until !== undefined };
    const drawn = lease ? book.leases.draw(type, request.bytes, request.until) : undefined;
    if (drawn !== undefined) {
      // Unless drawn on again meanwhile, the lease's spare goes back after LEASE_IDLE_MS.
      this.giveBackIdleSpare(book);
      return { id: drawn, bytes: request.bytes };
    }
    const id = request.id ?? randomUUID();
    const granted = await new Promise<{ id: string; bytes: number }>((resolve, reject) => {
      book.waiting.push({ type, request, id, lease, firstAt: Date.now(), resolve, reject });
      this.flushSoon(book, 0);
    });
    if (request.until === undefined && !lease) book.live.add(id);
    return granted;
  }

  /**
   * A write ended and stored this change (bytes and objects, negative for a delete): counted,
   * and its holds dropped, in the next record write (within FLUSH_MS).
   */
  settle(namespace: string, type: StorageType, change: TypeCount, holds: readonly string[] = []): void {
    const book = this.book(namespace);
    const sum = book.changes.get(type) ?? { bytes: 0, objects: 0 };
    book.changes.set(type, { bytes: sum.bytes + change.bytes, objects: sum.objects + change.objects });
    // A draw's bytes move from its lease to the usage in the next record write.
    this.release(
      namespace,
      holds.filter((id) => !book.leases.settle(id)),
    );
  }

  /** Holds no longer needed (a write that failed, an aborted session): dropped in the next record write. */
  release(namespace: string, holds: readonly string[]): void {
    const book = this.book(namespace);
    for (const id of holds) {
      // A draw's bytes are its lease's spare again: nothing to write for it.
      if (book.leases.release(id)) continue;
      book.releases.add(id);
      book.live.delete(id);
    }
    this.flushSoon(book, FLUSH_MS);
  }

  /** The namespace's usage as the store has it, with this process's changes not yet written. */
  async usage(namespace: string): Promise<AnswerOf<'usage'>> {
    const book = this.book(namespace);
    await this.refresh(book);
    return this.answer(book, book.record ?? emptyRecord());
  }

  /** Sets (a number) or removes (null) the namespace's quota override per type; answers the quotas in force. */
  async setQuotas(namespace: string, changes: Partial<Record<StorageType, number | null>>): Promise<AnswerOf<'admin_quotas'>> {
    const record = await this.records.update(namespace, (current) => {
      const quotas = { ...current.quotas };
      for (const [type, value] of Object.entries(changes) as [StorageType, number | null][]) {
        if (value === null) delete quotas[type];
        else quotas[type] = value;
      }
      return { ...current, quotas };
    });
    const book = this.book(namespace);
    this.remember(book, record.record, record.etag);
    return {
      namespace,
      quotas: Object.fromEntries(
        STORAGE_TYPES.map((type) => [type, quotaOf(record.record, this.limits, type) ?? null]),
      ) as AnswerOf<'admin_quotas'>['quotas'],
      overrides: { ...record.record.quotas },
    };
  }

  /**
   * Counts the namespace's objects in every type's bucket and writes that as its usage: objects
   * written straight into a bucket are counted from then on. Holds are kept. Changes this
   * process has not written yet are written first; another process's, written after the
   * count, may count a write twice until the next recount (docs/operations.md).
   */
  async recount(namespace: string): Promise<AnswerOf<'admin_recount'>> {
    const book = this.book(namespace);
    return this.answer(book, await this.recountTypes(book, STORAGE_TYPES));
  }

  /**
   * The tmp bucket's expiry rule deletes objects without a word to the gateway: every
   * namespace that counts objects there is recounted there (upkeep.ts, a few times a day).
   * Answers how many namespaces' counts changed.
   */
  async recountExpiring(): Promise<number> {
    // What this process counted and has not written yet is written first, so it is in the records read.
    await Promise.all([...this.books.values()].map((book) => this.flush(book).catch(() => undefined)));
    let changed = 0;
    for await (const namespace of this.records.namespaces()) {
      const { record } = await this.records.read(namespace);
      const counted = record.types.tmp;
      if (!counted?.objects) continue;
      const after = (await this.recountTypes(this.book(namespace), ['tmp'])).types.tmp;
      if (after?.bytes !== counted.bytes || after.objects !== counted.objects) changed++;
    }
    return changed;
  }

  private async recountTypes(book: Book, types: readonly StorageType[]): Promise<UsageRecord> {
    await this.flush(book);
    const counted: Partial<Record<StorageType, TypeCount>> = {};
    for (const type of types) counted[type] = await this.records.count(this.bucketFor(type), `${book.namespace}/`);
    let before: UsageRecord['types'] = {};
    const written = await this.records.update(book.namespace, (current) => {
      before = current.types;
      return { ...current, types: { ...current.types, ...counted } };
    });
    const none = { bytes: 0, objects: 0 };
    this.records.addToTotals(new Map(types.map((type) => [type, subtractCount(counted[type], before[type] ?? none) ?? none])));
    this.remember(book, written.record, written.etag);
    return written.record;
  }

  /** Totals per type over every namespace (for /metrics), as last read; refreshed in the background. */
  totals(): Record<StorageType, TypeCount> | undefined {
    return this.totalsSeen;
  }

  /** Writes what this process still holds unwritten, and stops its timers. */
  async close(): Promise<void> {
    clearInterval(this.renewal);
    for (const book of this.books.values()) {
      book.leases.giveBack();
      if (book.leaseTimer) clearTimeout(book.leaseTimer);
    }
    await Promise.all([...this.books.values()].map((book) => this.flush(book).catch(() => undefined)));
  }

  private answer(book: Book, record: UsageRecord): AnswerOf<'usage'> {
    const types = {} as AnswerOf<'usage'>['types'];
    for (const type of STORAGE_TYPES) {
      const stored = record.types[type] ?? { bytes: 0, objects: 0 };
      const pending = book.changes.get(type) ?? { bytes: 0, objects: 0 };
      types[type] = {
        bytes: Math.max(0, stored.bytes + pending.bytes),
        objects: Math.max(0, stored.objects + pending.objects),
        reservedBytes: record.holds.filter((h) => h.type === type && !book.releases.has(h.id)).reduce((sum, h) => sum + h.bytes, 0),
        quotaBytes: quotaOf(record, this.limits, type) ?? null,
        maxUploadBytes: this.limits.maxUploadBytes[type] ?? null,
      };
    }
    return { namespace: book.namespace, types };
  }

  private book(namespace: string): Book {
    let book = this.books.get(namespace);
    if (!book) {
      book = {
        namespace,
        record: undefined,
        etag: undefined,
        readAt: 0,
        reading: undefined,
        waiting: [],
        changes: new Map(),
        releases: new Set(),
        live: new Set(),
        renewDue: false,
        leases: new Leases(this.processId),
        deferred: [],
        leaseTimer: undefined,
        flushing: undefined,
        timer: undefined,
      };
      this.books.set(namespace, book);
    }
    return book;
  }

  /** Reads the record again; callers asking while a read is under way share it. */
  private refresh(book: Book): Promise<void> {
    book.reading ??= this.records.read(book.namespace).then(
      (read) => {
        book.reading = undefined;
        this.remember(book, read.record, read.etag);
      },
      (error: unknown) => {
        book.reading = undefined;
        throw error;
      },
    );
    return book.reading;
  }

  private remember(book: Book, record: UsageRecord, etag: string | null): void {
    book.record = record;
    book.etag = etag;
    book.readAt = Date.now();
  }

  private flushSoon(book: Book, delayMs: number): void {
    if (book.flushing) return;
    if (delayMs === 0) {
      if (book.timer) clearTimeout(book.timer);
      book.timer = undefined;
      void this.flush(book).catch(() => undefined);
      return;
    }
    book.timer ??= setTimeout(() => {
      book.timer = undefined;
      void this.flush(book).catch(() => undefined);
    }, delayMs);
    book.timer.unref();
  }

  /** Writes what is waiting (holds asked, changes, releases) in as few record writes as it takes. */
  private flush(book: Book): Promise<void> {
    book.flushing ??= (async () => {
      // Not a step further until `flushing` is set: with nothing due, the finally below would
      // run first and leave a settled promise there for good.
      await Promise.resolve();
      try {
        const due = () =>
          book.waiting.length > 0 || book.changes.size > 0 || book.releases.size > 0 || book.renewDue || book.leases.idleSpare(Date.now());
        while (due()) await this.writeOnce(book);
      } finally {
        book.flushing = undefined;
      }
      // Asked while the last write was on its way out.
      if (book.waiting.length > 0) this.flushSoon(book, 0);
    })();
    return book.flushing;
  }

  /**
   * One record write carrying everything waiting now, retried on another process's write
   * (a failed condition) with the record read again. Holds that do not fit are refused;
   * a write that fails for another reason fails the holds asked and keeps the changes for
   * the next one.
   */
  private async writeOnce(book: Book): Promise<void> {
    const waiting = book.waiting.splice(0);
    book.renewDue = false;
    const changes = new Map(book.changes);
    const releases = new Set(book.releases);
    const plan = book.leases.plan(Date.now());
    let lapsed: Hold[] = [];
    let outcome: Map<string, number | QuotaExceeded | TooManyRequests> = new Map();
    let added = new Map<LeaseKey, LeaseGrant>();
    let writtenAt = 0;
    let leased = false;
    try {
      for (let attempt = 1; ; attempt++) {
        if (book.etag === undefined || book.record === undefined) await this.refresh(book);
        const now = Date.now();
        const next = structuredClone(book.record ?? emptyRecord());
        for (const [type, change] of changes) next.types[type] = addCount(next.types[type], change);
        const own = (hold: Hold) => book.live.has(hold.id) || book.leases.isOwn(hold.id);
        lapsed = next.holds.filter((h) => h.until < now && !own(h));
        next.holds = next.holds.filter((h) => !releases.has(h.id) && !lapsed.includes(h) && !book.leases.isOwn(h.id));
        for (const [key, lease] of plan.holds) {
          if (lease.bytes > 0)
            next.holds.push(leaseHold(book.leases.holdId(key), lease.type, lease.bytes, now + (lease.reach || this.holdMs)));
        }
        writtenAt = now;
        for (const hold of next.holds) if (own(hold)) hold.until = Math.max(hold.until, now + this.holdMs);
        // Spare in any lease, this process's own included, goes back within LEASE_IDLE_MS.
        leased = book.leases.spareIdleAt() !== undefined || next.holds.some((h) => Leases.isLease(h.id) && !book.leases.isOwn(h.id));
        outcome = new Map();
        added = new Map();
        for (const ask of waiting)
          outcome.set(ask.id, grantHold(next, ask, { now, limits: this.limits, holdMs: this.holdMs, leases: book.leases, added }));
        try {
          const etag = await this.records.write(book.namespace, next, book.etag ?? null);
          this.remember(book, next, etag);
          break;
        } catch (error) {
          if (!UsageRecords.isRace(error) || attempt >= MAX_ATTEMPTS) throw error;
          book.etag = undefined;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * attempt)));
        }
      }
    } catch (error) {
      plan.abandon();
      const refusal = UsageRecords.isRace(error)
        ? new StoreUnavailable('Usage could not be recorded: too many writes to this namespace at once; try again shortly')
        : error;
      for (const ask of waiting) ask.reject(refusal);
      book.etag = undefined;
      throw error;
    }
    for (const [type, change] of changes) {
      const left = subtractCount(book.changes.get(type), change);
      if (left) book.changes.set(type, left);
      else book.changes.delete(type);
    }
    for (const id of releases) book.releases.delete(id);
    this.records.addToTotals(changes);
    plan.commit(added, writtenAt);
    this.giveBackIdleSpare(book);
    const now = Date.now();
    for (const ask of waiting) {
      const result = outcome.get(ask.id);
      if (result instanceof QuotaExceeded && leased && now - ask.firstAt < LEASE_WAIT_MS) {
        // A lease may be holding spare that is about to be given back: ask again shortly.
        this.defer(book, ask);
      } else if (typeof result !== 'number') ask.reject(result ?? new Error('no outcome'));
      else ask.resolve({ id: ask.lease ? book.leases.drawGranted(leaseKey(ask.type, ask.lease.url), result) : ask.id, bytes: result });
    }
    // Lapsed holds of a process gone: what was stored at their keys meanwhile is counted now.
    for (const hold of lapsed) void this.countLapsed(book.namespace, hold);
  }

  /** A lease's spare is given back once idle: a record write then, unless something else writes first. */
  private giveBackIdleSpare(book: Book): void {
    if (book.leaseTimer) return;
    const idleAt = book.leases.spareIdleAt();
    if (idleAt === undefined) return;
    book.leaseTimer = setTimeout(
      () => {
        book.leaseTimer = undefined;
        // Drawn on meanwhile: not idle yet, look again when it would be.
        if (book.leases.idleSpare(Date.now())) this.flushSoon(book, 0);
        else this.giveBackIdleSpare(book);
      },
      Math.max(0, idleAt - Date.now()) + 50,
    );
    book.leaseTimer.unref();
  }

  private defer(book: Book, ask: Waiting): void {
    book.deferred.push(ask);
    if (book.deferred.length > 1) return;
    setTimeout(() => {
      book.waiting.push(...book.deferred.splice(0));
      this.flushSoon(book, 0);
    }, 250).unref();
  }

  /** A hold lapsed: whatever its key now holds, beyond what was there when it was taken, is counted. */
  private async countLapsed(namespace: string, hold: Hold): Promise<void> {
    // A lease names no key: what its writes stored was counted as each ended.
    if (hold.key === '') return;
    try {
      const now = await this.store.head(this.bucketFor(hold.type), hold.key).catch(() => undefined);
      if (now === undefined || now.etag === hold.prevEtag) return;
      this.settle(namespace, hold.type, { bytes: now.contentLength - hold.prevSize, objects: hold.prevEtag === undefined ? 1 : 0 });
    } catch (error) {
      this.log?.warn({ err: error, namespace }, 'a lapsed hold could not be checked; a recount repairs its usage');
    }
  }

  /** Keeps the holds of writes still under way from lapsing: every record write renews them. */
  private renewHolds(): void {
    for (const book of this.books.values()) {
      if (book.live.size === 0 && book.leases.liveIds().length === 0) continue;
      book.renewDue = true;
      this.flushSoon(book, 0);
    }
    void this.records.flushTotals().then(
      (totals) => (this.totalsSeen = totals),
      (error: unknown) => this.log?.warn({ err: error }, 'usage totals could not be written'),
    );
  }
}

/** A multipart session's hold is named by its upload id, so any process can end it. */
export function sessionHoldId(uploadId: string): string {
  return `session-${createHash('sha256').update(uploadId).digest('hex').slice(0, 32)}`;
}
