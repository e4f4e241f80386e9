/**
 * Typed errors of the Storage API client. The gateway answers errors as
 * `{ "error": { "code", "message" } }`; each status becomes one class so callers can
 * `catch (e) { if (e instanceof NotFoundError) ... }` without reading status codes.
 */
import { NETWORK_FAILURES_IN_WORDS } from '../protocol/networkFailures';

export class StorageClientError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when no answer came (network failure). */
    readonly status: number,
    /** The contract's error code (`not_found`, `forbidden`, ...) or `network_error`. */
    readonly code: string,
    /** The gateway's X-Request-Id, to quote when reporting a problem. */
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends StorageClientError {}
export class UnauthorizedError extends StorageClientError {}
export class ForbiddenError extends StorageClientError {}
export class NotFoundError extends StorageClientError {}
/** Something is already at the key and may not be replaced (a product), or the key is a folder. */
export class ConflictError extends StorageClientError {}
/**
 * 413: the object is larger than the storage type takes (`too_large`, its MAX_UPLOAD_BYTES), or
 * a store or proxy refused a body that large. Not worth retrying as it is.
 */
export class TooLargeError extends StorageClientError {}
/**
 * 413 `quota_exceeded`: storing this would take the namespace past its quota on the storage
 * type (bytes stored plus uploads under way). A TooLargeError, as its status says; it fits once
 * something is deleted or the quota is raised.
 */
export class QuotaExceededError extends TooLargeError {}
/** 415: the storage type does not store this media type (UPLOAD_CONTENT_TYPES). */
export class UnsupportedMediaTypeError extends StorageClientError {}
/**
 * 501 `not_supported`: the gateway's store cannot do this at all (e.g. scope temporary S3
 * credentials). Not a passing fault: never retried, and asking again will not help.
 */
export class NotSupportedError extends StorageClientError {}
/** The store or the identity provider is down, or the network failed; worth retrying later. */
export class UnavailableError extends StorageClientError {
  constructor(
    message: string,
    status: number,
    code: string,
    requestId?: string,
    /** Seconds the gateway asked us to wait (Retry-After), when it said. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, status, code, requestId, options);
  }
}

const BY_STATUS: Record<number, new (message: string, status: number, code: string, requestId?: string) => StorageClientError> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  // The store's answer to an upload URL that only creates (If-None-Match: *), when the key is taken.
  412: ConflictError,
  413: TooLargeError,
  415: UnsupportedMediaTypeError,
};

/** Codes whose class is narrower than their status's. */
const BY_CODE: Record<string, new (message: string, status: number, code: string, requestId?: string) => StorageClientError> = {
  quota_exceeded: QuotaExceededError,
  // A 5xx, but the store's lasting answer, not an outage: not an UnavailableError, so not retried.
  not_supported: NotSupportedError,
};

/** The error for a non-2xx answer; `body` is the response text (JSON from the gateway, XML from S3). */
export function errorFromResponse(response: Response, body: string): StorageClientError {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  const { code, message } = describe(response, body);
  const byCode = BY_CODE[code];
  if (byCode) return new byCode(message, response.status, code, requestId);
  if (response.status >= 500 || response.status === 429) {
    const retryAfter = Number(response.headers.get('retry-after'));
    return new UnavailableError(
      message,
      response.status,
      code,
      requestId,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
  const ErrorClass = BY_STATUS[response.status] ?? StorageClientError;
  return new ErrorClass(message, response.status, code, requestId);
}

function describe(response: Response, body: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string') {
      return { code: parsed.error.code, message: parsed.error.message };
    }
  } catch {
    // Not the gateway's JSON: an S3 XML error from a presigned URL, or a proxy's page.
  }
  const s3Code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  const s3Message = /<Message>([^<]{1,300})<\/Message>/.exec(body)?.[1];
  const code = s3Code ?? `http_${response.status}`;
  return { code, message: s3Message ?? `HTTP ${response.status} ${response.statusText}`.trim() };
}

/**
 * The gateway's (or store's) host name does not resolve: a mistyped URL far more often than a
 * passing DNS fault, so it is reported at once rather than retried.
 */
export class HostNotFoundError extends StorageClientError {}

const HOST_NOT_FOUND = new Set(['ENOTFOUND', 'EAI_AGAIN']);

/**
 * A failure before any answer: refused connection, reset, DNS. Worth a retry, except a host
 * name that does not resolve. The message names only the URL's origin: a presigned URL's query
 * is a credential, and messages end up in logs.
 */
export function networkError(cause: unknown, url: string): UnavailableError | HostNotFoundError {
  const { code, detail } = failureOf(cause);
  const reason = code ? `${NETWORK_FAILURES_IN_WORDS[code] ?? detail} (${code})` : detail;
  const message = `Cannot reach ${new URL(url).origin}: ${reason}`;
  if (code && HOST_NOT_FOUND.has(code)) return new HostNotFoundError(message, 0, 'host_not_found', undefined, { cause });
  return new UnavailableError(message, 0, 'network_error', undefined, undefined, { cause });
}

/** fetch wraps the socket's error in its own `fetch failed`; several addresses fail together. */
function failureOf(error: unknown): { code?: string; detail: string } {
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const first = inner instanceof AggregateError && inner.errors[0] instanceof Error ? inner.errors[0] : inner;
  const code = (first as { code?: unknown } | undefined)?.code ?? (inner as { code?: unknown } | undefined)?.code;
  const detail = first instanceof Error ? first.message : String(first);
  return { code: typeof code === 'string' ? code : undefined, detail };
}
