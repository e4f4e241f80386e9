/**
 * The JSON answers of the Storage API, as zod schemas: what the gateway's handlers must return
 * (a body of another shape does not compile, http/contract.ts), what the OpenAPI document
 * describes, and, through `AnswerOf`, the types the client and the console read. Shared by the
 * client, the console and the server: imports nothing of the project but the protocol.
 *
 * The client and the console import these as types only, so zod never runs on their side.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errorCodes';
import { MAX_PARTS } from './multipart';
import { NAMESPACE_PATTERN, OPERATIONS, STORAGE_TYPES, type StorageType } from './storageTypes';

/** Every refusal and failure. */
export const errorAnswer = z
  .object({ error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }) })
  .meta({ id: 'Error', description: 'Every refusal and failure' });

/** What a write answers: the key, its size and the store's entity tag. */
export const stored = z.object({ key: z.string(), size: z.number().int().min(0), etag: z.string() }).meta({ id: 'Stored' });

export const keyList = z.array(z.string()).meta({ id: 'KeyList' });

export const folderList = z
  .object({
    keys: z.array(z.string()),
    prefixes: z.array(z.string().regex(/\/$/)).meta({ description: 'Folders, each ending with /' }),
  })
  .meta({ id: 'FolderList' });

export const detailedList = z
  .object({
    keys: z.array(z.string()),
    prefixes: z.array(z.string().regex(/\/$/)).meta({ description: 'Folders, each ending with / (none without a delimiter)' }),
    objects: z
      .array(z.object({ key: z.string(), size: z.number().int().min(0), lastModified: z.iso.datetime() }))
      .meta({ description: 'The keys again, in the same order, each with its size in bytes and when it was last written' }),
  })
  .meta({ id: 'DetailedList' });

/**
 * Without a delimiter the contract's plain array of keys; with one, keys and folders; asked
 * with details, keys and folders with each key's size and date.
 */
export const listing = z.union([keyList, folderList, detailedList]).meta({ id: 'Listing' });

const typeRights = z.object({
  operations: z.array(z.enum(OPERATIONS)),
  note: z.string().meta({ description: "What the type's rules say to a refused caller" }),
});

export const capabilities = z
  .object({
    subject: z.string().meta({ description: "The token's subject" }),
    namespace: z.string().regex(NAMESPACE_PATTERN).meta({ description: 'The namespace acted on' }),
    signedUrlMaxTtlSeconds: z.number().int().min(1).meta({ description: 'The most expires_in may ask for' }),
    types: z.object(
      Object.fromEntries(STORAGE_TYPES.map((type) => [type, typeRights])) as Record<(typeof STORAGE_TYPES)[number], typeof typeRights>,
    ),
  })
  .meta({ id: 'Capabilities' });

export const uploadStarted = z
  .object({
    uploadId: z.string(),
    key: z.string(),
    partSize: z.number().int(),
    maxParts: z.literal(MAX_PARTS),
    urlTtlSeconds: z.number().int(),
  })
  .meta({ id: 'UploadStarted' });

export const partUrls = z
  .object({
    uploadId: z.string(),
    expiresIn: z.number().int(),
    urls: z.array(z.object({ partNumber: z.number().int(), url: z.string() })),
  })
  .meta({ id: 'PartUrls' });

export const partList = z
  .object({
    uploadId: z.string(),
    parts: z.array(z.object({ partNumber: z.number().int(), size: z.number().int(), etag: z.string() })),
  })
  .meta({ id: 'PartList' });

export const uploadList = z
  .object({ uploads: z.array(z.object({ uploadId: z.string(), initiated: z.string() })) })
  .meta({ id: 'UploadList' });

export const signedIn = z.object({ token: z.string(), subject: z.string(), expiresIn: z.number().int() }).meta({ id: 'SignedIn' });

export const status = z.object({ status: z.string() }).meta({ id: 'Status' });

export const readiness = z
  .object({
    status: z.literal('ready'),
    endpoints: z.array(
      z.object({
        endpoint: z
          .number()
          .int()
          .min(1)
          .meta({ description: 'Its place in S3_ENDPOINT (1 is the first); the URL itself is not shown here' }),
        up: z.boolean().meta({ description: 'Whether it answers its health checks' }),
        since: z.iso.datetime().meta({ description: 'When its state last changed' }),
        reason: z
          .string()
          .optional()
          .meta({ description: 'Why it is down, in words (connection refused, no answer in time, no write quorum)' }),
      }),
    ),
    warnings: z
      .array(z.string())
      .optional()
      .meta({ description: 'What still serves but an operator should know (the store is full: writes answer 507)' }),
  })
  .meta({ id: 'Readiness' });

const typeUsage = z
  .object({
    bytes: z.number().int().meta({ description: 'Bytes stored' }),
    objects: z.number().int().meta({ description: 'Objects stored' }),
    reservedBytes: z
      .number()
      .int()
      .meta({ description: 'Bytes held for uploads under way and upload URLs not used yet, on types with a quota' }),
    quotaBytes: z.number().int().nullable().meta({ description: 'The most this namespace may store in the type; null: no quota' }),
    maxUploadBytes: z.number().int().nullable().meta({ description: 'The largest single object the type takes; null: no limit' }),
  })
  .meta({ id: 'TypeUsage' });

export const usage = z
  .object({
    namespace: z.string(),
    types: z.object(Object.fromEntries(STORAGE_TYPES.map((type) => [type, typeUsage])) as Record<StorageType, typeof typeUsage>),
  })
  .meta({ id: 'Usage' });

export const quotas = z
  .object({
    namespace: z.string(),
    quotas: z
      .object(
        Object.fromEntries(STORAGE_TYPES.map((type) => [type, z.number().int().nullable()])) as Record<
          StorageType,
          z.ZodNullable<z.ZodNumber>
        >,
      )
      .meta({ description: 'The quota in force for each type (the override if one is set, else QUOTA_BYTES); null: none' }),
    overrides: z
      .record(z.string(), z.number().int())
      .meta({ description: 'The types whose quota this namespace has set by an administrator' }),
  })
  .meta({ id: 'Quotas' });

/** What raw S3 access a grant gives. */
export const S3_ACCESS = ['read', 'list', 'write', 'delete'] as const;
export type S3Access = (typeof S3_ACCESS)[number];

export const s3Credentials = z
  .object({
    accessKeyId: z.string(),
    secretAccessKey: z.string(),
    sessionToken: z.string(),
    expiration: z.iso.datetime().meta({ description: 'When they stop working (ISO 8601)' }),
    endpoint: z.string().meta({ description: "The store's public S3 endpoint" }),
    region: z.string(),
    forcePathStyle: z.literal(true),
    grants: z
      .array(
        z.object({
          type: z.enum(STORAGE_TYPES),
          bucket: z.string(),
          prefix: z.string().meta({ description: "The caller's namespace and a slash: nothing outside it is reachable" }),
          access: z.array(z.enum(S3_ACCESS)),
        }),
      )
      .meta({ description: "What the credentials allow, per storage type: the session policy's rights, word for word" }),
  })
  .meta({ id: 'S3Credentials' });

/**
 * The JSON answer of each route that has one (routes.ts names them): the route contracts
 * declare exactly these (test/unit/protocol.test.ts), and clients read them as `AnswerOf`.
 */
export const ANSWERS = {
  set: stored,
  list: listing,
  copy: stored,
  capabilities,
  sign_in: signedIn,
  multipart_start: uploadStarted,
  multipart_sessions: uploadList,
  multipart_part_urls: partUrls,
  multipart_parts: partList,
  multipart_complete: stored,
  usage,
  admin_usage: usage,
  admin_quotas: quotas,
  admin_recount: usage,
  credentials: s3Credentials,
} as const;

export type AnsweredRoute = keyof typeof ANSWERS;

/** The JSON a route answers with on success. */
export type AnswerOf<R extends AnsweredRoute> = z.output<(typeof ANSWERS)[R]>;

export type ErrorAnswer = z.output<typeof errorAnswer>;
