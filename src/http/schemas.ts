/**
 * Schemas more than one route declares: the storage type and key in the path, URL lifetimes,
 * namespaces, and the answers several routes share. Those with an `id` become named
 * components of the OpenAPI document.
 */
import { z } from 'zod';
import type { ZodOpenApiResponseObject } from 'zod-openapi';
import { errorAnswer } from '../protocol/answers';
import { NAMESPACE_PATTERN } from '../protocol/storageTypes';
import { MAX_KEY_BYTES } from '../storage/keys';
import { parseStorageType, STORAGE_TYPES } from '../storage/types';

/** An unknown type is refused with the error that lists the valid ones (parseStorageType). */
export const storageType = z
  .enum(STORAGE_TYPES)
  .catch(({ input }) => parseStorageType(String(input)))
  .meta({ id: 'StorageType', param: { required: true } });

/** Checked by the key rules (storage/keys.ts), which every way in shares; described here. */
export const key = z.string().meta({
  description: `1 to ${MAX_KEY_BYTES} bytes of UTF-8; may contain /; no empty, . or .. segments, no leading /, backslash or control characters`,
  override: { minLength: 1, maxLength: MAX_KEY_BYTES },
});

/** `/{type}/.../{key+}`: the storage type and the caller's key. */
export const objectParams = z.object({ type: storageType, key });

export const namespace = z.string().regex(NAMESPACE_PATTERN, 'must be a namespace: 40 lowercase hex characters');

/** Seconds; the service holds it to SIGNED_URL_MAX_TTL_SECONDS. */
export const expiresIn = z
  .string()
  .regex(/^\d{1,9}$/, 'must be a whole number of seconds')
  .transform(Number)
  .optional()
  .meta({ description: 'Seconds, up to SIGNED_URL_MAX_TTL_SECONDS' });

/** An upload's size in bytes: required on a storage type with a quota or a largest object. */
export const uploadSize = z
  .string()
  .regex(/^\d{1,16}$/, 'must be a whole number of bytes')
  .transform(Number)
  .optional()
  .meta({
    description:
      "The upload's size in bytes. Required on a storage type with a quota or a largest object (QUOTA_BYTES, MAX_UPLOAD_BYTES): the URLs then bind it, and the store refuses a body of any other length",
  });

/** Sent on every answer. */
export const requestIdHeader = z.string().meta({ description: 'The X-Request-Id sent, or a new one', header: { id: 'RequestId' } });

/** A JSON answer's content; its schema types what the handler returns (contract.ts). */
export const json = <S extends z.ZodType>(schema: S) => ({ 'application/json': { schema } });
export const bytes = { '*/*': { schema: { type: 'string' as const, format: 'binary' } } };
export const plainUrl = { 'text/plain': { schema: { type: 'string' as const, format: 'uri' } } };

function errorResponse(status: number, description: string, headers: z.ZodRawShape = {}): ZodOpenApiResponseObject {
  return {
    id: `Error${status}`,
    description,
    headers: z.object({ 'X-Request-Id': requestIdHeader, ...headers }),
    content: json(errorAnswer),
  };
}

const retryAfter = { 'Retry-After': z.string() };

/** The error answers, by status; a route names those it gives (contract `errors`). */
export const ERROR_RESPONSES: Readonly<Record<number, ZodOpenApiResponseObject>> = {
  400: errorResponse(400, 'Bad key, unknown storage type or malformed request'),
  401: errorResponse(401, 'Missing, expired or invalid token', { 'WWW-Authenticate': z.string() }),
  403: errorResponse(403, "Forbidden by the storage type's rules; the message says what to do instead"),
  404: errorResponse(404, 'Not found'),
  408: errorResponse(408, 'The request body did not arrive in time, or moved below the minimum rate (request_timeout)', {
    Connection: z.literal('close'),
  }),
  409: errorResponse(
    409,
    'Conflict: a product is already stored at the key (products only create), the key is also a folder or under an object, ' +
      'or the key or namespace has as many open upload sessions as allowed (too_many_sessions)',
  ),
  413: errorResponse(
    413,
    "Too large: over the namespace's quota for the storage type (quota_exceeded; the message says used, quota and asked), " +
      "larger than the type's largest object or than the upload declared (too_large), or a request body too large",
  ),
  415: errorResponse(
    415,
    'A media type the storage type does not store (UPLOAD_CONTENT_TYPES), or a JSON body in an encoding or charset the gateway does not read (unsupported_media_type)',
  ),
  416: errorResponse(416, 'Range not satisfiable'),
  429: errorResponse(
    429,
    "Over this caller's share: too many uploads and downloads under way (too_many_transfers), or too many store calls waiting (too_many_requests)",
    retryAfter,
  ),
  500: errorResponse(500, 'Internal error'),
  501: errorResponse(501, 'The store cannot do this (not_supported): an engine that cannot scope temporary credentials'),
  503: errorResponse(
    503,
    'The object store or identity provider is unavailable, or the gateway is at one of its limits (busy)',
    retryAfter,
  ),
};

/**
 * Every authenticated route may answer these: bad input, a slow body, the token, the policy,
 * the caller's share of the gateway, the store.
 */
export const AUTHENTICATED_ERRORS = [400, 401, 403, 408, 429, 500, 503] as const;
