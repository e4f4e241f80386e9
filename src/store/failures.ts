/**
 * What a failed call to the store means, as pure functions of the error: which failures mean
 * "no answer from that endpoint" (refused, reset, timed out, unreachable; these mark an endpoint
 * down, may move an idempotent call to another endpoint, and reach callers as a retryable 503),
 * and the domain error every other failure becomes (`translate`).
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { NETWORK_FAILURES_IN_WORDS } from '../protocol/networkFailures';
import {
  BadRequest,
  Conflict,
  InsufficientStorage,
  InvalidKey,
  NotFound,
  NotModified,
  RangeNotSatisfiable,
  StorageError,
  StoreAccessDenied,
  StoreUnavailable,
} from '../errors';

/** A refusal from the store, named by its S3 error code (or by status for bodiless answers). */
export class StoreHttpError extends Error {
  constructor(
    override readonly name: string,
    readonly status: number,
  ) {
    super(`The object store answered ${status} ${name}`);
  }
}

const NETWORK_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

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

const TIMEOUTS = new Set(['ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The store said nothing in time (as opposed to refusing or dropping the connection). */
export function isTimeout(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  return (typeof code === 'string' && TIMEOUTS.has(code)) || nameOf(error) === 'TimeoutError';
}

/** Network failures in words, for logs and /readyz; the code follows in parentheses. */
const IN_WORDS: Readonly<Record<string, string>> = {
  ...NETWORK_FAILURES_IN_WORDS,
  UND_ERR_SOCKET: 'connection closed by the store',
};

/** What the store's own refusals mean, where their name does not say it plainly. */
const ANSWERS_IN_WORDS: Readonly<Record<string, string>> = {
  SlowDown: 'the store is overloaded',
  SlowDownRead: 'no read quorum',
  SlowDownWrite: 'no write quorum',
  XMinioServerNotInitialized: 'the node is still starting',
  XMinioStorageFull: 'the store is full',
  XMinioReadQuorum: 'no read quorum',
  XMinioWriteQuorum: 'no write quorum',
};

/**
 * A short cause for the log and /readyz, in words: the network failure (with its code), a
 * timeout, or the store's answer (`HTTP 503 SlowDownWrite: no write quorum`). Never a bare
 * number: a timeout's DOMException carries the legacy numeric code 23.
 */
export function failureOf(error: unknown): string {
  const { code, name, $metadata } = (error ?? {}) as { code?: unknown; name?: string; $metadata?: { httpStatusCode?: number } };
  const status = statusOf(error) ?? $metadata?.httpStatusCode;
  if (typeof code === 'string') return IN_WORDS[code] ? `${IN_WORDS[code]} (${code})` : code;
  if (status !== undefined) {
    const meaning = name ? ANSWERS_IN_WORDS[name] : undefined;
    return `HTTP ${status}${name ? ` ${name}` : ''}${meaning ? `: ${meaning}` : ''}`;
  }
  if (name === 'TimeoutError' || name === 'AbortError') return 'no answer in time';
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

export function isPreconditionFailure(error: unknown): boolean {
  return nameOf(error) === 'PreconditionFailed' || statusOf(error) === 412;
}

const ACCESS_DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken']);
export const PARTS_REFUSED: Record<string, string> = {
  InvalidPart: 'A listed part was not uploaded, or its ETag does not match',
  InvalidPartOrder: 'Parts must be listed in ascending part-number order',
  EntityTooSmall: 'Every part but the last must be at least 5 MiB',
};
/** The store's ways of saying it is full. */
const STORAGE_FULL = new Set(['XMinioStorageFull', 'InsufficientStorage']);
const KEY_REFUSED = new Set(['KeyTooLongError', 'XMinioInvalidObjectName', 'XMinioInvalidResourceName', 'InvalidObjectName']);

/** The domain error a store failure becomes; an error that is none of these passes unchanged. */
export function translate(error: unknown): unknown {
  if (error instanceof StorageError) return error;
  const name = nameOf(error);
  if (name === 'AbortError') return error;
  const status = statusOf(error);
  if (status === 304) return new NotModified('Not modified');
  // Before the generic 404 below, which would swallow it (S3 answers NoSuchUpload with 404).
  if (name === 'NoSuchUpload') return new NotFound('No such upload session: it was completed, aborted or has expired');
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) {
    return new NotFound('No object at that key');
  }
  if (name === 'InvalidRange' || status === 416) return new RangeNotSatisfiable('The requested range is not satisfiable');
  // Before the generic 5xx below: a full store is not a passing outage.
  if (STORAGE_FULL.has(name) || status === 507) return new InsufficientStorage(undefined, failureOf(error));
  if (PARTS_REFUSED[name]) return new BadRequest(PARTS_REFUSED[name]);
  // A concurrent conditional write to the same key (AWS answers 409 to the loser).
  if (status === 409 || name === 'ConditionalRequestConflict') return new Conflict('Another write to that key is under way; try again');
  if (KEY_REFUSED.has(name)) return new InvalidKey('The object store refused the key');
  // Callers never reach S3 with their own identity, so any 403 is about the gateway's
  // credentials or permissions. HEAD answers have no body to name the error: go by status.
  if (status === 403 || ACCESS_DENIED.has(name)) {
    const reason = ACCESS_DENIED.has(name) ? ` (${name})` : '';
    return new StoreAccessDenied(`The object store refused the gateway's credentials or permissions${reason}`);
  }
  // No answer at all (refused, reset, timed out), a 5xx, or buckets missing: retryable.
  if (isNetworkFailure(error) || (status !== undefined && status >= 500) || name === 'NoSuchBucket') {
    return new StoreUnavailable(undefined, failureOf(error));
  }
  // Any other refusal of the request itself (a 4xx) is about what the caller sent.
  if (status !== undefined && status >= 400 && status < 500) {
    return new BadRequest(`The object store refused the request${name ? ` (${name})` : ''}`);
  }
  return error;
}
