/**
 * The gateway's configuration: every environment variable is read here, validated with one
 * schema, and turned into a typed object with defaults. A bad value stops start-up with a
 * message naming the variable.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { bucketName, STORAGE_TYPES, type StorageType } from './protocol/storageTypes';

/** S3 caps a presigned URL's lifetime at seven days (SigV4). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** S3 returns at most 1000 keys per ListObjectsV2 call. */
export const MAX_LIST_PAGE_SIZE = 1000;
/** The longest storage type name; bucket names must stay within S3's 63 characters. */
const LONGEST_TYPE = Math.max(...STORAGE_TYPES.map((t) => t.length));

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const url = z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).transform((v) => v.replace(/\/+$/, ''));

/** Items separated by commas, each trimmed, empty ones dropped, each then checked by `item`. */
const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** `10GiB`, `512 MiB` or `1048576`: a size in bytes, whole after its unit. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)?$/.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] ?? 1);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * `type=value` items, one per storage type at most, each value checked by `value` (which
 * answers undefined for a bad one): QUOTA_BYTES, MAX_UPLOAD_BYTES, UPLOAD_CONTENT_TYPES.
 */
const perType = <T>(value: (text: string) => T | undefined, expected: string) =>
  commaList(z.string()).transform((items, ctx) => {
    const result: Partial<Record<StorageType, T>> = {};
    for (const item of items) {
      const at = item.indexOf('=');
      const type = item.slice(0, at).trim();
      const parsed = at < 0 ? undefined : value(item.slice(at + 1).trim());
      if (!(STORAGE_TYPES as readonly string[]).includes(type) || parsed === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a comma-separated list of type=${expected}, type one of ${STORAGE_TYPES.join(', ')} ('${item}')`,
        });
        return z.NEVER;
      }
      if (type in result) {
        ctx.addIssue({ code: 'custom', message: `names ${type} twice` });
        return z.NEVER;
      }
      result[type as StorageType] = parsed;
    }
    return result;
  });

/** A media type pattern of UPLOAD_CONTENT_TYPES: `type/subtype` or `type/*`, lower case. */
const MEDIA_TYPE_PATTERN = /^[a-z0-9.+-]+\/([a-z0-9.+-]+|\*)$/;

/** One URL, or several separated by commas (the nodes of one cluster). */
const urlList = commaList(url)
  .refine((urls) => urls.length > 0, { message: 'must name at least one URL' })
  .refine((urls) => new Set(urls).size === urls.length, { message: 'must not list a URL twice' });

const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

/** `https://host[:port]` exactly as a browser sends it in Origin: no path, query or trailing slash. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

const envSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).optional(),
  S3_ENDPOINT: urlList.optional(),
  S3_PUBLIC_ENDPOINT: urlList.optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: booleanString.optional(),
  S3_ENGINE: z.enum(['minio', 'seaweedfs', 'aws'], { message: 'must be minio, seaweedfs or aws' }).optional(),
  S3_RESPONSE_TIMEOUT_SECONDS: int(1, 300).default(10),
  S3_SIGNING_ROLE_ARN: z
    .string()
    .regex(/^arn:[\w-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/, { message: 'must be an IAM role ARN' })
    .optional(),
  STORAGE_BUCKET_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$/, {
      message: 'must be lowercase letters, digits and hyphens, starting and ending with a letter or digit',
    })
    .max(63 - 1 - LONGEST_TYPE, { message: `must be at most ${63 - 1 - LONGEST_TYPE} characters (bucket names are at most 63)` })
    .default('storage'),
  STORAGE_DATA_DIR: z.string().min(1).default('.data'),
  LOCAL_ENGINE: z.enum(['minio', 'seaweedfs'], { message: 'must be minio or seaweedfs' }).default('minio'),
  LOCAL_MINIO_PORT: int(0, 65535).default(9000),
  SEAWEEDFS_FILER_URL: url.optional(),
  AUTH_JWT_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  AUTH_JWKS_URL: url.optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: int(60, 366 * 24 * 3600).default(30 * 24 * 3600),
  SIGNED_URL_TTL_SECONDS: int(1, MAX_PRESIGN_SECONDS).default(3600),
  SIGNED_URL_MAX_TTL_SECONDS: int(1, MAX_PRESIGN_SECONDS).optional(),
  INLINE_CONTENT_TYPES: commaList(
    z
      .string()
      .toLowerCase()
      .regex(/^[a-z0-9.+-]+\/([a-z0-9.+-]+|\*)$/, {
        message: 'must be a comma-separated list of media types (type/subtype or type/*)',
      }),
  ).optional(),
  COPY_SOURCE_BUCKETS: commaList(
    z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be a comma-separated list of bucket names' }),
  ).default([]),
  CORS_ORIGINS: commaList(
    z.string().refine(isOrigin, {
      message: 'must be a comma-separated list of origins such as https://app.example.com (scheme, host and port only)',
    }),
  ).default([]),
  LIST_PAGE_SIZE: int(1, MAX_LIST_PAGE_SIZE).default(1000),
  SHUTDOWN_GRACE_SECONDS: int(0, 3600).default(25),
  TRANSFER_IDLE_TIMEOUT_SECONDS: int(1, 3600).default(60),
  MAX_TRANSFERS_PER_CALLER: int(1, 10_000).default(16),
  MAX_TRANSFERS: int(1, 100_000).default(512),
  MIN_TRANSFER_RATE_BYTES: int(0, 1024 ** 3).default(1024),
  MIN_TRANSFER_RATE_WINDOW_SECONDS: int(5, 3600).default(30),
  HEADERS_TIMEOUT_SECONDS: int(1, 300).default(10),
  REQUEST_DEADLINE_SECONDS: int(1, 3600).default(30),
  MAX_CONNECTIONS: int(16, 1_000_000).default(4096),
  UNKNOWN_LENGTH_BUFFER_MIB: int(16, 64 * 1024).default(96),
  QUOTA_BYTES: perType(parseSize, 'size (bytes, or with KiB, MiB, GiB or TiB)').default({}),
  MAX_UPLOAD_BYTES: perType((text) => {
    const size = parseSize(text);
    return size !== undefined && size > 0 ? size : undefined;
  }, 'size above 0 (bytes, or with KiB, MiB, GiB or TiB)').default({}),
  UPLOAD_CONTENT_TYPES: perType((text) => {
    const types = text.split('|').map((t) => t.trim().toLowerCase());
    return types.length > 0 && types.every((t) => MEDIA_TYPE_PATTERN.test(t)) ? types : undefined;
  }, 'media types separated by | (type/subtype or type/*)').default({}),
  UPLOAD_HOLD_SECONDS: int(4, 3600).default(120),
  CREDENTIALS_MAX_TTL_SECONDS: int(900, 12 * 3600).default(3600),
  MAX_UPLOAD_SESSIONS_PER_KEY: int(1, 1000).default(8),
  MAX_UPLOAD_SESSIONS_PER_CALLER: int(1, 1000).default(100),
  WEB_CONCURRENCY: int(1, 256).optional(),
  ORPHAN_UPLOAD_AGE_SECONDS: int(1, 30 * 24 * 3600).default(3600),
  MULTIPART_ABANDON_HOURS: int(1, 24 * 30).default(24),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
});

/** Every environment variable the gateway reads (the docs must list each one). */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

export interface S3Settings {
  /**
   * Where the gateway itself talks to the store: one URL, or the nodes of one cluster (calls
   * go round the healthy ones). Empty: AWS S3's regional endpoint.
   */
  endpoints: string[];
  /**
   * The hosts presigned URLs are signed for, what uploaders and downloaders can reach: one (a
   * load balancer), or one per endpoint in the same order (each node's public face).
   */
  publicEndpoints: string[];
  region: string;
  /** Absent: the AWS SDK's default chain (environment, profile, instance or task role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  forcePathStyle: boolean;
  /**
   * What kind of engine the store is: `minio` takes a signed header's value from the URL's
   * query when the header is absent (so a bare PUT to an upload URL still binds its
   * Content-Type) and issues temporary credentials without a role; `seaweedfs` takes nothing
   * from the query and issues sessions of the caller's own; `aws` needs a role.
   */
  engine: StoreEngine;
  /**
   * SeaweedFS: its filer's HTTP address, where the gateway keeps the tmp bucket's expiry as a
   * path TTL (SeaweedFS stores lifecycle rules but `weed server` alone does not apply them).
   */
  filerUrl: string | undefined;
  /** AWS: the role URL-signing credentials are assumed from (see docs/security.md). */
  signingRoleArn: string | undefined;
  /** A call on which the store stays silent this long fails as unavailable (a frozen node). */
  responseTimeoutMs: number;
}

export type StoreEngine = 'minio' | 'seaweedfs' | 'aws';

/**
 * Temporary credentials from AWS STS last at most 12 h (a role's longest session), and a URL
 * dies with the credentials that signed it: half of that is the longest URL lifetime there.
 */
export const AWS_MAX_URL_TTL_SECONDS = 6 * 3600;

/** Media types a browser may show inline from a signed download URL: none of them can run script. */
export const DEFAULT_INLINE_CONTENT_TYPES = [
  'text/plain',
  'text/csv',
  'application/json',
  'application/geo+json',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/tiff',
  'audio/*',
  'video/*',
];

export interface Config {
  port: number;
  host: string;
  /** No S3_ENDPOINT: the gateway runs a local store (`localEngine`) and keeps its state in dataDir. */
  embeddedStore: boolean;
  /** Embedded mode: MinIO (minio/bin) or SeaweedFS (seaweedfs/bin). */
  localEngine: 'minio' | 'seaweedfs';
  /** Embedded mode: the local store's S3 port (0: any free port). */
  localStorePort: number;
  s3: S3Settings;
  bucketPrefix: string;
  dataDir: string;
  auth: {
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    /** Tokens must carry `exp`, and live at most this long from `iat` (or from now). */
    maxTokenLifetimeSeconds: number;
  };
  /** Default lifetime of presigned URLs, and the most a caller may ask for with ?expires_in=. */
  signedUrlTtlSeconds: number;
  signedUrlMaxTtlSeconds: number;
  /** Buckets outside the gateway that callers may copy from. */
  copySourceBuckets: string[];
  /** Origins whose pages may call the API from a browser (CORS); the console itself needs none. */
  corsOrigins: string[];
  listPageSize: number;
  /** Signed download URLs show these types inline; anything else is sent as an attachment. */
  inlineContentTypes: string[];
  /** A transfer (request or response body) that moves no byte for this long is cut. */
  transferIdleTimeoutSeconds: number;
  /** Streams (GET and PUT bodies) one principal may have under way at once, per worker process. */
  maxTransfersPerCaller: number;
  /** Streams under way at once in all, per worker process. */
  maxTransfers: number;
  /** A transfer moving fewer bytes a second than this, averaged over the window, is cut (0: never). */
  minTransferRate: { bytesPerSecond: number; windowSeconds: number };
  /** Request line and headers must arrive within this. */
  headersTimeoutSeconds: number;
  /** Once a request's body has arrived, its answer must begin within this (else 503). */
  requestDeadlineSeconds: number;
  /** Connections open at once, per worker process; more are refused at accept. */
  maxConnections: number;
  /** Bytes all uploads without a Content-Length may hold in part buffers at once, per worker. */
  unknownLengthBufferBytes: number;
  /** Open multipart sessions on one key, and per namespace and storage type. */
  maxUploadSessions: { perKey: number; perCaller: number };
  /** What each storage type may hold; a type not named has no such limit. */
  limits: StorageLimits;
  /** The longest life of the temporary S3 credentials callers may ask for. */
  credentialsMaxTtlSeconds: number;
  /** Worker processes serving HTTP on one port (1: the gateway runs in one process). */
  webConcurrency: number;
  /** The gateway's own streamed uploads left this long by a dead process are aborted. */
  orphanUploadAgeSeconds: number;
  /** Callers' multipart sessions left open this long are aborted (MinIO and SeaweedFS). */
  multipartAbandonHours: number;
  logLevel: string;
  /** JSON lines for collectors; `pretty`, one short line each, for a person at a terminal. */
  logFormat: 'json' | 'pretty';
  /** On SIGTERM/SIGINT, in-flight requests get this long before connections are cut. */
  shutdownGraceSeconds: number;
}

/** Per storage type: QUOTA_BYTES, MAX_UPLOAD_BYTES and UPLOAD_CONTENT_TYPES. */
export interface StorageLimits {
  /** Bytes one namespace may store in the type (an operator may override it per namespace). */
  quotaBytes: Partial<Record<StorageType, number>>;
  /** The largest single object. */
  maxUploadBytes: Partial<Record<StorageType, number>>;
  /** The only media types the type stores (`type/*` allowed), lower case. */
  contentTypes: Partial<Record<StorageType, string[]>>;
  /** How long a write's quota hold outlives a gateway that stopped mid-write (renewed while it lives). */
  holdSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment into a Config, or throws a ConfigError naming every bad variable. */
/** `onTerminal`: whether the log goes to a person (stdout is a terminal), the default for LOG_FORMAT. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, onTerminal = false): Config {
  // An empty variable means "not set", as shells and compose files often write them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    // A list's bad entry is named by its place: `S3_ENDPOINT: ... (entry 2)`.
    const lines = parsed.error.issues.map(
      (issue) => `  ${String(issue.path[0])}: ${issue.message}${issue.path.length > 1 ? ` (entry ${Number(issue.path[1]) + 1})` : ''}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
    throw new ConfigError('Invalid configuration:\n  S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: set both or neither');
  }
  const endpoints = e.S3_ENDPOINT ?? [];
  const publicEndpoints = e.S3_PUBLIC_ENDPOINT ?? endpoints;
  if (publicEndpoints.length > 1 && publicEndpoints.length !== endpoints.length) {
    throw new ConfigError('Invalid configuration:\n  S3_PUBLIC_ENDPOINT: must be one URL, or one per S3_ENDPOINT URL in the same order');
  }
  const embeddedStore = e.S3_ENDPOINT === undefined;
  // Embedded mode generates and keeps its own secret (local/secrets.ts); any other needs one.
  if (!embeddedStore && e.AUTH_JWT_SECRET === undefined && e.AUTH_JWKS_URL === undefined) {
    throw new ConfigError('Invalid configuration:\n  AUTH_JWT_SECRET or AUTH_JWKS_URL: one is required when S3_ENDPOINT is set');
  }
  // In embedded mode the engine is the local one, whatever S3_ENGINE says.
  const engine: StoreEngine = embeddedStore
    ? e.LOCAL_ENGINE
    : (e.S3_ENGINE ?? (endpoints.some((u) => /\.amazonaws\.com$/.test(new URL(u).hostname)) ? 'aws' : 'minio'));
  if (e.SEAWEEDFS_FILER_URL !== undefined && engine !== 'seaweedfs') {
    throw new ConfigError('Invalid configuration:\n  SEAWEEDFS_FILER_URL: only used with S3_ENGINE=seaweedfs');
  }
  const ttlCeiling = engine === 'aws' ? AWS_MAX_URL_TTL_SECONDS : MAX_PRESIGN_SECONDS;
  const maxTtl = e.SIGNED_URL_MAX_TTL_SECONDS ?? ttlCeiling;
  if (maxTtl > ttlCeiling) {
    throw new ConfigError(
      `Invalid configuration:\n  SIGNED_URL_MAX_TTL_SECONDS: must be at most ${ttlCeiling} on AWS S3 (URLs are signed with temporary credentials)`,
    );
  }
  if (engine === 'aws' && !e.S3_SIGNING_ROLE_ARN) {
    throw new ConfigError(
      'Invalid configuration:\n  S3_SIGNING_ROLE_ARN: required on AWS S3; URLs are signed with credentials assumed from this role (docs/security.md)',
    );
  }
  if (e.MAX_TRANSFERS_PER_CALLER > e.MAX_TRANSFERS) {
    throw new ConfigError('Invalid configuration:\n  MAX_TRANSFERS_PER_CALLER: must not exceed MAX_TRANSFERS');
  }
  if (e.SIGNED_URL_TTL_SECONDS > maxTtl) {
    throw new ConfigError('Invalid configuration:\n  SIGNED_URL_TTL_SECONDS: must not exceed SIGNED_URL_MAX_TTL_SECONDS');
  }
  const ownBuckets = STORAGE_TYPES.map((type) => bucketName(e.STORAGE_BUCKET_PREFIX, type));
  const clash = e.COPY_SOURCE_BUCKETS.find((bucket) => ownBuckets.includes(bucket));
  if (clash) {
    // Copying from the gateway's own buckets would read across namespaces.
    throw new ConfigError(`Invalid configuration:\n  COPY_SOURCE_BUCKETS: must not name the gateway's own bucket ${clash}`);
  }
  return {
    port: e.PORT,
    // The embedded store only listens on loopback, so its presigned URLs only work on this
    // machine: keep the gateway there too unless told otherwise.
    host: e.HOST ?? (embeddedStore ? '127.0.0.1' : '0.0.0.0'),
    embeddedStore,
    localEngine: e.LOCAL_ENGINE,
    localStorePort: e.LOCAL_MINIO_PORT,
    s3: {
      endpoints,
      publicEndpoints,
      region: e.S3_REGION,
      credentials:
        e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
          ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
          : undefined,
      // MinIO and most self-hosted engines want path-style; AWS S3 wants virtual-hosted.
      forcePathStyle: e.S3_FORCE_PATH_STYLE ?? (e.S3_ENDPOINT !== undefined && engine !== 'aws'),
      engine,
      filerUrl: e.SEAWEEDFS_FILER_URL,
      signingRoleArn: e.S3_SIGNING_ROLE_ARN,
      responseTimeoutMs: e.S3_RESPONSE_TIMEOUT_SECONDS * 1000,
    },
    bucketPrefix: e.STORAGE_BUCKET_PREFIX,
    dataDir: path.resolve(e.STORAGE_DATA_DIR),
    auth: {
      jwtSecret: e.AUTH_JWT_SECRET,
      jwksUrl: e.AUTH_JWKS_URL,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      maxTokenLifetimeSeconds: e.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
    },
    signedUrlTtlSeconds: e.SIGNED_URL_TTL_SECONDS,
    signedUrlMaxTtlSeconds: maxTtl,
    copySourceBuckets: e.COPY_SOURCE_BUCKETS,
    corsOrigins: e.CORS_ORIGINS,
    listPageSize: e.LIST_PAGE_SIZE,
    inlineContentTypes: e.INLINE_CONTENT_TYPES ?? DEFAULT_INLINE_CONTENT_TYPES,
    transferIdleTimeoutSeconds: e.TRANSFER_IDLE_TIMEOUT_SECONDS,
    maxTransfersPerCaller: e.MAX_TRANSFERS_PER_CALLER,
    maxTransfers: e.MAX_TRANSFERS,
    minTransferRate: { bytesPerSecond: e.MIN_TRANSFER_RATE_BYTES, windowSeconds: e.MIN_TRANSFER_RATE_WINDOW_SECONDS },
    headersTimeoutSeconds: e.HEADERS_TIMEOUT_SECONDS,
    requestDeadlineSeconds: e.REQUEST_DEADLINE_SECONDS,
    maxConnections: e.MAX_CONNECTIONS,
    unknownLengthBufferBytes: e.UNKNOWN_LENGTH_BUFFER_MIB * 1024 * 1024,
    maxUploadSessions: { perKey: e.MAX_UPLOAD_SESSIONS_PER_KEY, perCaller: e.MAX_UPLOAD_SESSIONS_PER_CALLER },
    credentialsMaxTtlSeconds: e.CREDENTIALS_MAX_TTL_SECONDS,
    limits: {
      quotaBytes: e.QUOTA_BYTES,
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      contentTypes: e.UPLOAD_CONTENT_TYPES,
      holdSeconds: e.UPLOAD_HOLD_SECONDS,
    },
    // Every core by default, as one Node thread is the gateway's limit long before the store's;
    // but one process in local mode, where the store needs the same cores (measured: two workers
    // beside an embedded MinIO on 2 cores were slower and held three times the memory).
    orphanUploadAgeSeconds: e.ORPHAN_UPLOAD_AGE_SECONDS,
    multipartAbandonHours: e.MULTIPART_ABANDON_HOURS,
    webConcurrency: e.WEB_CONCURRENCY ?? (embeddedStore ? 1 : os.availableParallelism()),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (onTerminal ? 'pretty' : 'json'),
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
  };
}
