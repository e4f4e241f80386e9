/**
 * How the S3 store is sized and what it may be told: its options with their defaults, and the
 * fair pools (shares.ts) its calls take turns in. Kept apart from the store so its limits can
 * be read, and changed, in one place.
 */
import { FairPool } from '../shares';
import type { StoreEndpoints } from './endpoints';
import type { StoreCallShares, StoreObserver } from './types';

/** By default a stream entry not refreshed for an hour is a dead gateway's (ORPHAN_UPLOAD_AGE_SECONDS). */
export const DEFAULT_ORPHAN_AGE_MS = 3600_000;
/** Sockets for streamed bodies by default: the HTTP layer bounds streams below it (MAX_TRANSFERS). */
export const TRANSFER_SOCKETS = 1024;
/**
 * Small calls under way for callers at once (heads, listings, deletes, multipart bookkeeping),
 * shared fairly (shares.ts): below the sockets there are, so the gateway's own calls (health,
 * readiness, sweeps) always find one. One caller holds at most STORE_CALLS_PER_CALLER and may
 * queue STORE_CALLS_QUEUED_PER_CALLER more: a deep key's collision check or a thousand parallel
 * listings wait in that caller's own line.
 */
export const STORE_CALL_SLOTS = 48;
export const STORE_CALLS_PER_CALLER = 8;
export const STORE_CALLS_QUEUED_PER_CALLER = 256;
/**
 * Calls that keep the store busy for long: multipart completions (up to 10,000 parts each) and
 * server-side copies. A few at once for everyone, one or two per caller.
 */
export const HEAVY_CALL_SLOTS = 4;
export const HEAVY_CALLS_PER_CALLER = 2;
export const HEAVY_CALLS_QUEUED_PER_CALLER = 16;
/** Part buffers for uploads of unknown length unless told otherwise: 6 of 16 MiB. */
export const DEFAULT_PART_BUFFER_BYTES = 96 * 1024 ** 2;
/** A call that waits longer than this for its turn is answered 503 (the gateway is busy). */
const TURN_WAIT_MS = 10_000;
/** Completions and copies wait longer: each one ahead may take seconds. */
const HEAVY_TURN_WAIT_MS = 60_000;
/** How long the store may stay silent on a call unless told otherwise (S3_RESPONSE_TIMEOUT_SECONDS). */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 10_000;

/** S3 copies at most 5 GiB in one CopyObject; larger objects are copied part by part. */
export const SINGLE_COPY_LIMIT = 5 * 1024 ** 3;
/** Parts of a server-side copy: large, as no bytes pass through the gateway. */
export const COPY_PART_SIZE = 512 * 1024 ** 2;

export interface StoreOptions {
  observer?: StoreObserver;
  /** Objects larger than this are copied in parts (tests lower it to exercise that path). */
  singleCopyLimit?: number;
  copyPartSize?: number;
  /**
   * Presigned URLs for objects in these buckets, signed with least-privilege credentials
   * renewed to outlive the longest URL; without it no URL is issued.
   */
  signing?: { buckets: readonly string[]; maxUrlTtlSeconds: number };
  /** How long the store may stay silent on a call before it counts as unavailable. */
  responseTimeoutMs?: number;
  /** A streamed upload whose entry was not refreshed for this long belongs to a dead process. */
  orphanAgeMs?: number;
  /** The store's endpoints and their health (shared with the URL signer); by default from the settings. */
  endpoints?: StoreEndpoints;
  /** Connections for streamed bodies (GET and PUT); the HTTP layer keeps streams under way below it. */
  streamSockets?: number;
  /** Bytes all uploads of unknown length may hold in part buffers at once (UNKNOWN_LENGTH_BUFFER_MIB). */
  partBufferBytes?: number;
}

/** Callers' small calls, and their completions and copies, each taken in fair turns. */
export function storeCallShares(): StoreCallShares {
  return {
    storeCalls: new FairPool({
      limit: 'store_calls',
      slots: STORE_CALL_SLOTS,
      perPrincipal: STORE_CALLS_PER_CALLER,
      queuedPerPrincipal: STORE_CALLS_QUEUED_PER_CALLER,
      maxWaitMs: TURN_WAIT_MS,
      what: 'store calls',
    }),
    heavyCalls: new FairPool({
      limit: 'heavy_calls',
      slots: HEAVY_CALL_SLOTS,
      perPrincipal: HEAVY_CALLS_PER_CALLER,
      queuedPerPrincipal: HEAVY_CALLS_QUEUED_PER_CALLER,
      maxWaitMs: HEAVY_TURN_WAIT_MS,
      what: 'multipart completions and copies',
    }),
  };
}

/** The part buffers of uploads of unknown length: `bytes` worth of parts, a quarter at most for one caller. */
export function partBufferShares(bytes: number, partSize: number): FairPool {
  const partBuffers = Math.max(1, Math.floor(bytes / partSize));
  return new FairPool({
    limit: 'unknown_length_uploads',
    slots: partBuffers,
    // A quarter each: one caller's chunked uploads never hold every buffer.
    perPrincipal: Math.max(1, Math.ceil(partBuffers / 4)),
    queuedPerPrincipal: 0,
    maxWaitMs: 0,
    what: 'uploads without a Content-Length (send one to stream without a buffer)',
  });
}
