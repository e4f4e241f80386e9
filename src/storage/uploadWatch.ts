/**
 * Upload URLs are used straight against the store, so the gateway never sees their uploads.
 * It watches each key it issued an upload URL for, until the URL expires: a HEAD now and then
 * tells when something new is stored there, and usage counts it (and drops the URL's hold).
 * HEADs are rationed (HEADS_PER_TICK a second, the most overdue first), and a watch looks
 * every FAST_LOOK_MS while its URL is young, every SLOW_LOOK_MS after; a URL whose process
 * stopped is counted when its hold lapses instead (usage.ts).
 */
import type { ObjectInfo, Store } from '../store/types';
import type { StorageType } from './types';
import type { Usage } from './usage';

const TICK_MS = 1_000;
const HEADS_PER_TICK = 50;
const FAST_LOOK_MS = 2_000;
const SLOW_LOOK_MS = 30_000;
/** A URL this young is looked at every FAST_LOOK_MS. */
const YOUNG_MS = 10 * 60_000;
/** Watches kept at once per process; past it the oldest goes (its hold, if any, still counts the upload when it lapses). */
const MAX_WATCHES = 10_000;

/** What a watch compares with: the ETag, and the size the next upload replaces. */
type Seen = Pick<ObjectInfo, 'etag' | 'contentLength'>;

interface Watch {
  namespace: string;
  type: StorageType;
  bucket: string;
  key: string;
  /** What was at the key when last looked at. */
  seen: Seen | undefined;
  issuedAt: number;
  /** The URL's expiry (ms since the epoch); looked at once more just after it. */
  until: number;
  /** The holds of its URLs not used yet, oldest first: each upload seen ends one. */
  holds: string[];
  nextLook: number;
}

export class UploadWatch {
  private readonly watches = new Map<string, Watch>();
  private readonly timer: NodeJS.Timeout;
  private looking = false;

  constructor(
    private readonly store: Store,
    private readonly usage: Usage,
  ) {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** An upload URL was issued for this key: what is stored there from now on is counted. */
  watch(watch: Omit<Watch, 'nextLook' | 'issuedAt' | 'holds'> & { hold: string | undefined }): void {
    const id = `${watch.bucket}\n${watch.key}`;
    const earlier = this.watches.get(id);
    this.watches.delete(id);
    const { hold, ...rest } = watch;
    const holds = [...(earlier?.holds ?? []), ...(hold === undefined ? [] : [hold])];
    const now = Date.now();
    this.watches.set(id, {
      ...rest,
      holds,
      until: Math.max(watch.until, earlier?.until ?? 0),
      issuedAt: now,
      nextLook: now + FAST_LOOK_MS,
    });
    if (this.watches.size > MAX_WATCHES) {
      const oldest = this.watches.keys().next().value;
      if (oldest !== undefined) this.watches.delete(oldest);
    }
  }

  /** The gateway itself wrote or deleted the key (and counted it): that is the state to compare with. */
  wrote(bucket: string, key: string, now: Seen | undefined): void {
    const watch = this.watches.get(`${bucket}\n${key}`);
    if (watch) watch.seen = now;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      const now = Date.now();
      const due = [...this.watches.values()]
        .filter((w) => w.nextLook <= now)
        .sort((a, b) => a.nextLook - b.nextLook)
        .slice(0, HEADS_PER_TICK);
      await Promise.all(due.map((watch) => this.look(watch, now)));
    } finally {
      this.looking = false;
    }
  }

  private async look(watch: Watch, now: number): Promise<void> {
    const id = `${watch.bucket}\n${watch.key}`;
    let stored: ObjectInfo | undefined;
    try {
      stored = await this.store.head(watch.bucket, watch.key);
    } catch (error) {
      if ((error as { status?: number }).status !== 404) {
        watch.nextLook = now + FAST_LOOK_MS;
        return;
      }
    }
    if (stored !== undefined && stored.etag !== watch.seen?.etag) {
      const before = watch.seen;
      this.usage.settle(
        watch.namespace,
        watch.type,
        { bytes: stored.contentLength - (before?.contentLength ?? 0), objects: before === undefined ? 1 : 0 },
        watch.holds.splice(0, 1),
      );
      watch.seen = stored;
    }
    if (now > watch.until) {
      this.usage.release(watch.namespace, watch.holds);
      if (this.watches.get(id) === watch) this.watches.delete(id);
      return;
    }
    const young = now - watch.issuedAt < YOUNG_MS;
    watch.nextLook = Math.min(watch.until + 1_000, now + (young ? FAST_LOOK_MS : SLOW_LOOK_MS));
  }
}
