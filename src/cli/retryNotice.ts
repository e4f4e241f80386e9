/**
 * Says on stderr, at the first retry, that a call is being retried and why: otherwise an
 * unreachable gateway looks like a hung command for all of --retry-for.
 */
import type { RetryNotice } from '../client';
import { duration } from './progress';

export interface RetryReporter {
  onRetry(notice: RetryNotice): void;
  /** How long it kept trying, for the final message; undefined when it never retried. */
  retriedFor(): string | undefined;
}

export function retryReporter(retryForSeconds: number, json: boolean, stream: NodeJS.WritableStream = process.stderr): RetryReporter {
  const started = Date.now();
  let retried = false;
  // Each distinct failure once: a retry a second for a minute would bury everything else.
  const told = new Set<string>();
  return {
    onRetry({ error }) {
      retried = true;
      const failure = error.status === 0 ? error.message : `${error.message} (HTTP ${error.status})`;
      if (told.has(failure)) return;
      told.add(failure);
      stream.write(
        json
          ? `${JSON.stringify({ retrying: { code: error.code, message: failure, status: error.status, retryForSeconds } })}\n`
          : `storage: ${failure}; retrying for up to ${retryForSeconds}s (--retry-for)\n`,
      );
    },
    retriedFor: () => (retried ? duration((Date.now() - started) / 1000) : undefined),
  };
}
