/**
 * The S3 store's clients, built from the settings: the SDK for small calls, for copies (no
 * inactivity limit: the store answers a large copy only when done) and for parts of streamed
 * uploads, each on sockets of its own, and the signed-HTTP client for the hot calls. Every
 * attempt of every one goes to a healthy endpoint.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Settings } from '../config';
import type { FairPool } from '../shares';
import { routeByHealth, type StoreEndpoints } from './endpoints';
import { SignedHttp, SMALL_CALL_CONNECTIONS } from './signedHttp';

/** Sockets for small calls, kept apart from streams so slow readers cannot starve them. */
const CONTROL_SOCKETS = SMALL_CALL_CONNECTIONS;

const SILENT_SDK_LOGGER = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface S3Clients {
  /** Small calls: heads, lists, deletes, multipart bookkeeping, bucket set-up. */
  client: S3Client;
  /** Server-side copies, without an inactivity limit. */
  copies: S3Client;
  /** Parts of a streamed upload of unknown length, on their own sockets. */
  transfers: S3Client;
  /** The hot calls (GET, HEAD, single PUT, DELETE) as signed HTTP, without the SDK's stack. */
  http: SignedHttp;
}

export interface ClientOptions {
  /** How long the store may stay silent on a call before it counts as unavailable. */
  responseTimeoutMs: number;
  /** Connections for streamed bodies (GET and PUT). */
  streamSockets: number;
  /** Callers' small calls take their turn here (shares.ts). */
  smallCalls: FairPool;
}

export function createS3Clients(settings: S3Settings, endpoints: StoreEndpoints, options: ClientOptions): S3Clients {
  const endpoint = settings.endpoints[0];
  const common = {
    region: settings.region,
    credentials: settings.credentials,
    forcePathStyle: settings.forcePathStyle,
    // Since SDK 3.729 the default also bakes a CRC32 of an empty body into presigned PUT URLs,
    // which breaks a plain `curl -T`, and adds aws-chunked trailers to streamed uploads.
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
  const client = new S3Client({
    ...common,
    endpoint,
    maxAttempts: 3,
    // A socket silent for this long (a frozen node) fails the call; each attempt has its own.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 3000,
      socketTimeout: options.responseTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: CONTROL_SOCKETS },
    }),
  });
  const http = new SignedHttp({
    endpoints,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    // The SDK client's provider: static keys, or the default chain with its refreshes.
    credentials: client.config.credentials,
    connections: options.streamSockets,
    headersTimeoutMs: options.responseTimeoutMs,
    smallCalls: options.smallCalls,
  });
  const copies = new S3Client({
    ...common,
    endpoint,
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, httpAgent: { keepAlive: true, maxSockets: CONTROL_SOCKETS } }),
  });
  const transfers = new S3Client({
    ...common,
    endpoint,
    // Parts are buffers, so an attempt can be sent again (to another endpoint after a failure).
    maxAttempts: 3,
    // A stream cut by its client is expected and handled here; the SDK would warn on the console.
    logger: SILENT_SDK_LOGGER,
    // No socket idle timeout here: a download to a slow reader pauses the S3 socket by
    // back-pressure; the HTTP layer cuts a caller that moves nothing for too long.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 3000,
      socketTimeout: options.responseTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: options.streamSockets },
    }),
  });
  // Configured endpoints (not AWS's own, which the SDK resolves): each attempt to a healthy one.
  if (endpoint !== undefined) for (const sdk of [client, copies, transfers]) routeByHealth(sdk, endpoints);
  return { client, copies, transfers, http };
}

/** Closes what createS3Clients opened. */
export async function closeS3Clients(clients: S3Clients): Promise<void> {
  clients.client.destroy();
  clients.copies.destroy();
  clients.transfers.destroy();
  await clients.http.close();
}
