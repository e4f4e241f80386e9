/**
 * Retries with exponential backoff and full jitter, for failures worth another try: the
 * network, 5xx and 429 answers (UnavailableError). A Retry-After from the gateway is honoured.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from './errors';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 10_000 };

export function isRetryable(error: unknown): error is UnavailableError {
  return error instanceof UnavailableError;
}

/** Runs `attempt` until it succeeds, fails for good, runs out of retries, or `signal` aborts. */
export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  for (let attemptNumber = 0; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (!isRetryable(error) || attemptNumber >= policy.retries || signal?.aborted) throw error;
      await sleep(delayBefore(policy, attemptNumber, error), undefined, { signal });
    }
  }
}

function delayBefore(policy: RetryPolicy, attemptNumber: number, error: UnavailableError): number {
  const backoff = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attemptNumber);
  const askedFor = (error.retryAfterSeconds ?? 0) * 1000;
  return Math.min(policy.maxDelayMs, Math.max(backoff, askedFor));
}
