/**
 * Fair shares of the gateway's bounded resources. A shared front door must count work per
 * principal (the token's subject, whatever namespace it acts for), not per connection or per
 * namespace: otherwise one caller with many connections, or one service token acting for many
 * made-up namespaces, holds what everyone else needs.
 *
 * `FairPool` is a bounded number of slots (store calls under way, streams, buffers). Each
 * principal may hold at most `perPrincipal` of them and queue at most `queuedPerPrincipal`
 * more; a freed slot goes to the principals waiting in turn (round robin), so a caller who
 * queues a thousand calls waits behind its own queue while another caller's one call is
 * served next. A caller over its queue is refused at once (429); a wait longer than
 * `maxWaitMs` is answered 503 with Retry-After, never a hang.
 *
 * The principal is passed along explicitly, from the caller the auth layer established down to
 * each store call (an AsyncLocalStorage would carry it for free, but on Node 20 it costs every
 * promise in the process a hook, measured at a sixth more CPU per GET). Work outside any
 * request (health checks, sweeps) has no principal and is not counted here; the pools leave
 * headroom for it.
 */
import { Busy, TooManyRequests, type LimitName } from './errors';

/** Whose work a call is: a token's subject; undefined for the gateway's own work. */
export type Principal = string | undefined;

export interface FairPoolOptions {
  /** For errors and metrics: a refusal for being over the principal's share. */
  limit: LimitName;
  /** A refusal because the pool as a whole is full (default: `limit`). */
  totalLimit?: LimitName;
  /** Slots in all. */
  slots: number;
  /** Slots one principal may hold at once. */
  perPrincipal: number;
  /** Waiters one principal may have queued beyond what it holds; more are refused (429). */
  queuedPerPrincipal: number;
  /** A waiter not served within this is refused (503, the gateway is busy). */
  maxWaitMs: number;
  /** What one slot is, for messages ("store calls", "uploads of unknown length"). */
  what: string;
  /** The error code of a refusal for being over the per-principal share (default too_many_requests). */
  code?: TooManyRequests['code'];
  /**
   * The last `slots` of the pool are kept for principals holding fewer than `heldBelow`: when
   * many callers each hold their whole share, one who holds little is still served.
   */
  reserve?: { slots: number; heldBelow: number };
}

/** Gives the slot back; calling it twice gives back one slot. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  refuse: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Share {
  held: number;
  waiting: Waiter[];
}

export class FairPool {
  private inUse = 0;
  /** Principals holding or waiting; Map order is the round-robin order of those waiting. */
  private readonly shares = new Map<string, Share>();
  /** Principals with waiters, in turn order. */
  private readonly turns = new Set<string>();

  constructor(readonly options: FairPoolOptions) {
    if (options.perPrincipal > options.slots) throw new Error(`${options.limit}: perPrincipal exceeds slots`);
  }

  /** Slots held right now (for metrics). */
  get held(): number {
    return this.inUse;
  }

  /** Waiters queued right now (for metrics). */
  get queued(): number {
    let count = 0;
    for (const principal of this.turns) count += this.shares.get(principal)?.waiting.length ?? 0;
    return count;
  }

  /** A slot now, or a refusal now: for resources worth refusing rather than waiting for. */
  tryAcquire(principal: string): Release {
    const share = this.shareOf(principal);
    if (share.held >= this.options.perPrincipal) {
      this.forgetIdle(principal, share);
      throw new TooManyRequests(
        this.options.limit,
        `At most ${this.options.perPrincipal} ${this.options.what} at once per caller; retry when one has finished`,
        this.options.code,
      );
    }
    if (!this.roomFor(share)) {
      this.forgetIdle(principal, share);
      throw new Busy(
        this.options.totalLimit ?? this.options.limit,
        `The gateway has as many ${this.options.what} under way as it takes; retry shortly`,
      );
    }
    return this.take(principal, share);
  }

  /** A free slot this share may take: any but the reserve, or the reserve too while it holds little. */
  private roomFor(share: Share): boolean {
    const reserve = this.options.reserve;
    if (reserve && share.held >= reserve.heldBelow) return this.inUse < this.options.slots - reserve.slots;
    return this.inUse < this.options.slots;
  }

  /** A slot, as soon as it is this principal's turn. */
  acquire(principal: string): Promise<Release> {
    const share = this.shareOf(principal);
    if (share.waiting.length === 0 && share.held < this.options.perPrincipal && this.roomFor(share)) {
      return Promise.resolve(this.take(principal, share));
    }
    if (share.waiting.length >= this.options.queuedPerPrincipal) {
      return Promise.reject(
        new TooManyRequests(
          this.options.limit,
          `Too many ${this.options.what} waiting for this caller (at most ${this.options.perPrincipal} at once and ${this.options.queuedPerPrincipal} queued); slow down`,
          this.options.code,
        ),
      );
    }
    return new Promise<Release>((grant, refuse) => {
      const waiter: Waiter = {
        grant,
        refuse,
        timer: setTimeout(() => {
          const at = share.waiting.indexOf(waiter);
          if (at >= 0) share.waiting.splice(at, 1);
          if (share.waiting.length === 0) this.turns.delete(principal);
          this.forgetIdle(principal, share);
          refuse(
            new Busy(
              this.options.totalLimit ?? this.options.limit,
              `The gateway is busy: no turn for ${this.options.what} within ${this.options.maxWaitMs / 1000} s`,
            ),
          );
        }, this.options.maxWaitMs),
      };
      share.waiting.push(waiter);
      this.turns.add(principal);
    });
  }

  /** Runs `work` holding one slot of `principal`'s (or none when there is no principal). */
  async run<T>(principal: Principal, work: () => Promise<T>): Promise<T> {
    if (principal === undefined) return work();
    const release = await this.acquire(principal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private shareOf(principal: string): Share {
    let share = this.shares.get(principal);
    if (!share) {
      share = { held: 0, waiting: [] };
      this.shares.set(principal, share);
    }
    return share;
  }

  private forgetIdle(principal: string, share: Share): void {
    if (share.held === 0 && share.waiting.length === 0) this.shares.delete(principal);
  }

  private take(principal: string, share: Share): Release {
    share.held++;
    this.inUse++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      share.held--;
      this.inUse--;
      this.forgetIdle(principal, share);
      this.serveNext();
    };
  }

  /** Hands freed slots to waiting principals in turn, skipping those at their own limit. */
  private serveNext(): void {
    while (this.inUse < this.options.slots && this.turns.size > 0) {
      let served = false;
      for (const principal of this.turns) {
        const share = this.shares.get(principal);
        if (!share || share.waiting.length === 0) {
          this.turns.delete(principal);
          continue;
        }
        if (share.held >= this.options.perPrincipal || !this.roomFor(share)) continue;
        const waiter = share.waiting.shift() as Waiter;
        clearTimeout(waiter.timer);
        // To the back of the line: the next free slot goes to the next principal.
        this.turns.delete(principal);
        if (share.waiting.length > 0) this.turns.add(principal);
        waiter.grant(this.take(principal, share));
        served = true;
        break;
      }
      if (!served) return;
    }
  }
}
