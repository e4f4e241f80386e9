/**
 * Retries with exponential backoff and full jitter, for failures worth another try: the
 * network, 5xx and 429 answers (UnavailableError). A Retry-After from the gateway is honoured.
 * Retrying goes on for a time budget (a minute by default), long enough to ride out a gateway
 * restart or a store failover, and stops early only at the attempt cap (or a Retry-After
 * beyond the budget).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from './errors';

export interface RetryPolicy {
  /** Attempts after the first, at most. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts later than this after the first attempt began. */
  budgetMs: number;
  /** Told before each retry, so a program can say that it is waiting and why (the CLI does). */
  onRetry?: RetryListener;
}

/** What a retry listener hears: the failure, and when the next attempt goes. */
export interface RetryNotice {
  error: UnavailableError;
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  /** Since the first attempt began. */
  elapsedMs: number;
  budgetMs: number;
}
export type RetryListener = (notice: RetryNotice) => void;

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 30, baseDelayMs: 250, maxDelayMs: 10_000, budgetMs: 60_000 };

export function isRetryable(error: unknown): error is UnavailableError {
  return error instanceof UnavailableError;
}

/** Runs `attempt` until it succeeds, fails for good, runs out of retries, or `signal` aborts. */
export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  const started = Date.now();
  for (let attemptNumber = 0; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (!isRetryable(error) || attemptNumber >= policy.retries || signal?.aborted) throw error;
      const elapsedMs = Date.now() - started;
      const remainingMs = policy.budgetMs - elapsedMs;
      // A backoff past the budget is cut short, so retrying lasts the budget it was given; a
      // Retry-After past it is not, since the gateway asked for no call before then.
      if (remainingMs <= 0 || (error.retryAfterSeconds ?? 0) * 1000 > remainingMs) throw error;
      const delay = Math.min(delayBefore(policy, attemptNumber, error), remainingMs);
      policy.onRetry?.({ error, retry: attemptNumber + 1, delayMs: delay, elapsedMs, budgetMs: policy.budgetMs });
      await sleep(delay, undefined, { signal });
    }
  }
}

function delayBefore(policy: RetryPolicy, attemptNumber: number, error: UnavailableError): number {
  const backoff = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attemptNumber);
  const askedFor = (error.retryAfterSeconds ?? 0) * 1000;
  return Math.min(policy.maxDelayMs, Math.max(backoff, askedFor));
}
