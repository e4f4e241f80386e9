/**
 * The `code` of every error answer (`{ "error": { "code", "message" } }`): stable words a
 * caller may branch on, where the message is for people. The server's errors take their codes
 * from this list and the client's errors carry them. Shared by the client, the console and
 * the server: imports nothing.
 */
export const ERROR_CODES = [
  'bad_request',
  'invalid_key',
  'invalid_storage_type',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'too_many_sessions',
  'request_timeout',
  'unsupported_media_type',
  'quota_exceeded',
  'too_large',
  'range_not_satisfiable',
  'precondition_failed',
  'too_many_transfers',
  'too_many_requests',
  'internal',
  'busy',
  'store_unavailable',
  'identity_provider_unavailable',
  'insufficient_storage',
  'not_supported',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
