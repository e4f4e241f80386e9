/**
 * The gateway's errors, below every layer: auth, the store, the service and HTTP all throw
 * them. Each domain error carries the HTTP status and the stable error code of the contract;
 * one error middleware turns them into `{ "error": { "code", "message" } }`. Messages are
 * written for the caller and never carry credentials, endpoints or stack traces.
 */
import type { ErrorCode } from './protocol/errorCodes';

export abstract class StorageError extends Error {
  abstract readonly status: number;
  /** One of the contract's codes; `not_modified` is answered as a bare 304, never sent. */
  abstract readonly code: ErrorCode | 'not_modified';
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string> = {};
  /** Set when a limit refused the request: which one (a metric label, docs/security.md). */
  readonly limit: LimitName | undefined = undefined;
}

/**
 * The gateway's limits, each with a default, a metric (`storage_limits_hit_total{limit}`), a
 * line in docs/security.md and an answer a caller can act on (429, 503 with Retry-After, 408,
 * 409, 413, 415).
 */
export const LIMIT_NAMES = [
  'key_depth',
  'transfers_per_caller',
  'transfers_total',
  'store_calls',
  'heavy_calls',
  'unknown_length_uploads',
  'transfer_rate',
  'body_deadline',
  'request_deadline',
  'store_stalled',
  'headers_timeout',
  'connections',
  'sessions_per_key',
  'sessions_per_caller',
  'quota',
  'max_upload_bytes',
  'upload_content_types',
  'usage_holds',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export class InvalidKey extends StorageError {
  readonly status = 400;
  readonly code = 'invalid_key';
  constructor(
    message: string,
    override readonly limit: LimitName | undefined = undefined,
  ) {
    super(message);
  }
}

export class InvalidStorageType extends StorageError {
  readonly status = 400;
  readonly code = 'invalid_storage_type';
  constructor(given: string, valid: readonly string[]) {
    super(`Unknown storage type '${given}'; valid storage types are: ${valid.join(', ')}`);
  }
}

export class BadRequest extends StorageError {
  readonly status = 400;
  readonly code = 'bad_request';
}

export class Unauthorized extends StorageError {
  readonly status = 401;
  readonly code = 'unauthorized';
  override readonly headers = { 'WWW-Authenticate': 'Bearer' };
}

export class Forbidden extends StorageError {
  readonly status = 403;
  readonly code = 'forbidden';
}

export class NotFound extends StorageError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** The write would replace or hide something it must not: an existing product, or a key that is also a folder. */
export class Conflict extends StorageError {
  readonly status = 409;
  readonly code = 'conflict';
}

/** A refusal by one of the gateway's limits, which it names (LIMIT_NAMES). */
export abstract class LimitReached extends StorageError {
  constructor(
    override readonly limit: LimitName,
    message: string,
  ) {
    super(message);
  }
}

/** This caller has more work under way or queued than its share: it should slow down. */
export class TooManyRequests extends LimitReached {
  readonly status = 429;
  override readonly headers = { 'Retry-After': '1' };
  constructor(
    limit: LimitName,
    message: string,
    /** `too_many_transfers` for streams (what callers have seen since that limit came), else `too_many_requests`. */
    readonly code: 'too_many_requests' | 'too_many_transfers' = 'too_many_requests',
  ) {
    super(limit, message);
  }
}

/** The gateway as a whole has as much of something under way as it takes: retry shortly. */
export class Busy extends LimitReached {
  readonly status = 503;
  readonly code = 'busy';
  override readonly headers = { 'Retry-After': '2' };
}

/** A key already has (or a caller already has) as many open upload sessions as allowed. */
export class TooManySessions extends LimitReached {
  readonly status = 409;
  readonly code = 'too_many_sessions';
}

/** The write would take the namespace past its quota for the storage type: nothing is stored. */
export class QuotaExceeded extends StorageError {
  readonly status = 413;
  readonly code = 'quota_exceeded';
  override readonly limit = 'quota';
}

/** The object is larger than its storage type takes (MAX_UPLOAD_BYTES), or than its upload declared. */
export class TooLarge extends StorageError {
  readonly status = 413;
  readonly code = 'too_large';
  override readonly limit = 'max_upload_bytes';
}

/** The storage type does not take objects of this media type (UPLOAD_CONTENT_TYPES). */
export class UnsupportedMediaType extends StorageError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  override readonly limit = 'upload_content_types';
}

/** The store cannot do what was asked (an engine without scoped temporary credentials). */
export class NotSupported extends StorageError {
  readonly status = 501;
  readonly code = 'not_supported';
}

export class RangeNotSatisfiable extends StorageError {
  readonly status = 416;
  readonly code = 'range_not_satisfiable';
}

export class StoreUnavailable extends StorageError {
  readonly status = 503;
  readonly code = 'store_unavailable';
  override readonly headers = { 'Retry-After': '5' };
  /**
   * @param reason what failed and where (e.g. `ECONNREFUSED at http://minio-2:9000`): for the
   *   log line, never for the caller.
   */
  constructor(
    message = 'The object store is unavailable; try again shortly',
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** The store is full: not worth retrying until an operator makes room. */
export class InsufficientStorage extends StorageError {
  readonly status = 507;
  readonly code = 'insufficient_storage';
  constructor(
    message = 'The object store is full: nothing more can be stored until space is freed',
    /** What the store said and where, for the log line. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

export class IdentityProviderUnavailable extends StorageError {
  readonly status = 503;
  readonly code = 'identity_provider_unavailable';
  override readonly headers = { 'Retry-After': '5' };
  constructor() {
    super('Tokens cannot be verified right now: the identity provider is unreachable; try again shortly');
  }
}

/** The store answered, but refused the gateway itself: wrong credentials or missing permissions. */
export class StoreAccessDenied extends Error {
  override name = 'StoreAccessDenied';
}

/** The condition in If-None-Match / If-Modified-Since held: the caller's copy is current. */
export class NotModified extends StorageError {
  readonly status = 304;
  readonly code = 'not_modified';
}
