/**
 * Which failures of a call to the store mean "no answer from that endpoint" (refused, reset,
 * timed out, unreachable), as opposed to an answer: these mark an endpoint down, may move an
 * idempotent call to another endpoint, and reach callers as a retryable 503.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';

/** A refusal from the store, named by its S3 error code (or by status for bodiless answers). */
export class StoreHttpError extends Error {
  constructor(
    override readonly name: string,
    readonly status: number,
  ) {
    super(`The object store answered ${status} ${name}`);
  }
}

const NETWORK_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

export function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

export function statusOf(error: unknown): number | undefined {
  if (error instanceof StoreHttpError) return error.status;
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

export function isNetworkFailure(error: unknown): boolean {
  const { code, $metadata } = (error ?? {}) as { code?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof code === 'string' && NETWORK_FAILURES.has(code)) return true;
  // undici's own failures (socket closed, connect or headers timeout), but not an abort.
  if (typeof code === 'string' && code.startsWith('UND_ERR_') && code !== 'UND_ERR_ABORTED') return true;
  if (nameOf(error) === 'TimeoutError') return true;
  // The SDK marks every failed exchange with $metadata; no HTTP status there means the store
  // never answered (its retry layer may have re-wrapped the socket error and dropped `code`).
  return $metadata !== undefined && $metadata.httpStatusCode === undefined;
}

/** A short cause for the log: the network error's code, a timeout, or the store's answer. */
export function failureOf(error: unknown): string {
  const { code, name, $metadata } = (error ?? {}) as { code?: unknown; name?: string; $metadata?: { httpStatusCode?: number } };
  const status = statusOf(error) ?? $metadata?.httpStatusCode;
  if (typeof code === 'string') return code;
  if (status !== undefined) return `HTTP ${status}${name ? ` ${name}` : ''}`;
  return name || 'no answer';
}

/** The endpoint a failed call was sent to, recorded on the error for the log line. */
const ENDPOINT = Symbol('storeEndpoint');

export function markEndpoint(error: unknown, endpoint: string): void {
  if (error !== null && typeof error === 'object' && !Object.isFrozen(error)) (error as Record<symbol, string>)[ENDPOINT] = endpoint;
}

export function endpointOf(error: unknown): string | undefined {
  return error !== null && typeof error === 'object' ? (error as Record<symbol, string | undefined>)[ENDPOINT] : undefined;
}
