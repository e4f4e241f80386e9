/**
 * Every call the S3 store makes: timed for the metrics, its failures translated into the
 * domain's errors at this seam (failures.ts) with the endpoint and operation in the reason,
 * those under way known (for the log line of a request past its deadline), and a full store
 * remembered for /readyz.
 */
import { Conflict, InsufficientStorage, StorageError, StoreUnavailable } from '../errors';
import { endpointOf, isPreconditionFailure, translate } from './failures';
import type { StoreObserver } from './types';

/** A store that said it is full is reported so on /readyz until it has not said so for this long. */
const FULL_REMEMBERED_MS = 60_000;

export class StoreCalls {
  private readonly underWay = new Set<{ operation: string; started: number }>();
  /** When the store first and last said it is full (XMinioStorageFull). */
  private fullSince: Date | undefined;
  private fullSeenAt: number | undefined;

  constructor(
    private readonly observer: StoreObserver | undefined,
    /** Where the store is, for reasons that name no endpoint of their own. */
    private readonly describe: () => string,
  ) {}

  /**
   * Runs one exchange with the store, times it, and translates its failures into domain
   * errors. `exclusive`: the exchange was a create-only write, so a failed precondition means
   * something is already at the key.
   */
  async run<T>(operation: string, exchange: () => Promise<T>, exclusive = false): Promise<T> {
    const started = performance.now();
    const underWay = { operation, started };
    this.underWay.add(underWay);
    let failure: string | undefined;
    try {
      return await exchange();
    } catch (error) {
      const where = endpointOf(error) ?? this.describe();
      let translated = exclusive && isPreconditionFailure(error) ? new Conflict('An object already exists at that key') : translate(error);
      if (translated instanceof StoreUnavailable && translated.reason) {
        translated = new StoreUnavailable(translated.message, `${translated.reason} at ${where} (${operation})`);
      }
      if (translated instanceof InsufficientStorage) {
        this.fullSince ??= new Date();
        this.fullSeenAt = Date.now();
        translated = new InsufficientStorage(translated.message, `${translated.reason ?? 'full'} at ${where} (${operation})`);
      }
      failure = translated instanceof StorageError ? translated.code : (translated as Error).name || 'Error';
      throw translated;
    } finally {
      this.underWay.delete(underWay);
      this.observer?.observeStoreCall(operation, (performance.now() - started) / 1000, failure);
    }
  }

  /** Store calls under way for longer than `olderThanMs`, oldest first: what a request waits on. */
  underWayFor(olderThanMs: number): { operation: string; seconds: number }[] {
    const now = performance.now();
    return [...this.underWay]
      .filter((call) => now - call.started >= olderThanMs)
      .map((call) => ({ operation: call.operation, seconds: Math.round((now - call.started) / 100) / 10 }));
  }

  /** What an operator should know beside the endpoints' health: the store said it is full lately. */
  warnings(): string[] {
    if (this.fullSeenAt === undefined) return [];
    if (Date.now() - this.fullSeenAt > FULL_REMEMBERED_MS) {
      this.fullSince = undefined;
      this.fullSeenAt = undefined;
      return [];
    }
    return [`The object store has answered that it is full since ${this.fullSince?.toISOString()}: writes answer 507`];
  }
}
