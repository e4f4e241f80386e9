/**
 * The OpenAPI 3.1 description of the whole API, served at /storage/v1/openapi.json. Tests
 * check the route table against it and real responses against its statuses, headers and
 * schemas, so it cannot drift from what the gateway does.
 */
import { MAX_KEY_BYTES } from '../storage/keys';
import { MAX_PARTS } from '../storage/multipart';
import { OPERATIONS } from '../storage/policy';
import { STORAGE_TYPES } from '../storage/types';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ 'application/json': { schema } });
const text = { 'text/plain': { schema: { type: 'string', format: 'uri' } } };

/** Every response carries the request id. */
function reply(description: string, content?: Json, headers: Json = {}): Json {
  return {
    description,
    headers: { 'X-Request-Id': { $ref: '#/components/headers/RequestId' }, ...headers },
    ...(content && { content }),
  };
}

function errors(...statuses: number[]): Json {
  return Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]));
}

const objectHeaders = {
  'Content-Length': { required: true, schema: { type: 'integer', minimum: 0 } },
  ETag: { required: true, schema: { type: 'string' } },
  'Last-Modified': { required: true, schema: { type: 'string' } },
  'Accept-Ranges': { schema: { type: 'string', const: 'bytes' } },
};

const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const storageOperation = (extra: Json[] = []) => [param('StorageType'), param('Key'), param('ActAs'), ...extra];
const secured = [{ bearer: [] }];
const common = errors(400, 401, 403, 500, 503);

export const openApiDocument: Json = {
  openapi: '3.1.0',
  info: {
    title: 'Storage API',
    version: '1',
    description:
      "Key-value storage of blobs over S3-compatible object storage. Each storage type is a bucket; a caller's keys live " +
      'under its namespace (hex SHA-1 of the token subject). Keys may contain `/` and are percent-decoded once: ' +
      "everything after the route's fixed part is the key.",
  },
  servers: [{ url: '/' }],
  security: secured,
  paths: {
    '/healthz': {
      get: { summary: 'The process is up', security: [], responses: { '200': reply('Up', json(ref('Status'))) } },
    },
    '/readyz': {
      get: {
        summary: 'The object store is reachable, the buckets exist, and the gateway is not stopping',
        security: [],
        responses: { '200': reply("Ready, with each store endpoint's health", json(ref('Readiness'))), ...errors(503) },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        security: [],
        responses: { '200': reply('Metrics in the Prometheus text format', { 'text/plain': { schema: { type: 'string' } } }) },
      },
    },
    '/storage/v1/openapi.json': {
      get: { summary: 'This document', security: [], responses: { '200': reply('OpenAPI 3.1', json({ type: 'object' })) } },
    },
    '/storage/v1/sign-in': {
      post: {
        summary:
          'Extension: trade a one-time sign-in link’s ticket for a token (what the storage browser does with the link npm start prints)',
        security: [],
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['ticket'], properties: { ticket: { type: 'string', maxLength: 4096 } } }),
        },
        responses: {
          '200': reply(
            'A token for the link’s subject',
            json({
              type: 'object',
              required: ['token', 'subject', 'expiresIn'],
              properties: { token: { type: 'string' }, subject: { type: 'string' }, expiresIn: { type: 'integer' } },
            }),
          ),
          ...errors(400, 401, 404, 500),
        },
      },
    },
    '/storage/v1/capabilities': {
      get: {
        summary: 'Extension: what the caller may do on each storage type (the policy table), and the longest URL lifetime',
        parameters: [param('ActAs')],
        responses: {
          '200': reply('Per storage type, the operations allowed', json(ref('Capabilities'))),
          ...errors(400, 401, 403, 500, 503),
        },
      },
    },
    '/storage/v1/{type}/get/{key}': {
      get: {
        summary: 'Read a blob, streamed',
        parameters: [
          ...storageOperation(),
          { name: 'Range', in: 'header', schema: { type: 'string' }, description: 'One byte range, e.g. bytes=0-1023' },
          { name: 'If-None-Match', in: 'header', schema: { type: 'string' } },
          { name: 'If-Modified-Since', in: 'header', schema: { type: 'string' } },
        ],
        responses: {
          '200': reply(
            'The blob, with its stored Content-Type',
            { '*/*': { schema: { type: 'string', format: 'binary' } } },
            objectHeaders,
          ),
          '206': reply(
            'Part of the blob',
            { '*/*': { schema: { type: 'string', format: 'binary' } } },
            {
              ...objectHeaders,
              'Content-Range': { required: true, schema: { type: 'string' } },
            },
          ),
          '304': reply('Not modified since the given ETag or date'),
          ...errors(404, 416, 429),
          ...common,
        },
      },
      head: {
        summary: 'Does a blob exist',
        parameters: storageOperation(),
        // HEAD answers carry the headers of the GET answer and no body.
        responses: { '200': reply('It exists', undefined, objectHeaders), ...errors(404), ...common },
      },
    },
    '/storage/v1/{type}/{key}': {
      put: {
        summary: 'Store the request body at the key (extension); streamed, any size',
        parameters: [
          ...storageOperation(),
          {
            name: 'Content-Type',
            in: 'header',
            schema: { type: 'string' },
            description: 'Stored with the blob; default application/octet-stream',
          },
        ],
        requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
        responses: { '200': reply('Stored', json(ref('Stored'))), ...errors(409, 429), ...common },
      },
      delete: {
        summary: 'Delete a blob (idempotent)',
        parameters: storageOperation(),
        responses: { '204': reply('Deleted, or was not there'), ...common },
      },
    },
    '/storage/v1/{type}/list': {
      get: {
        summary: "List the caller's keys, in key order, a page at a time",
        parameters: [
          param('StorageType'),
          param('ActAs'),
          { name: 'prefix', in: 'query', schema: { type: 'string' } },
          {
            name: 'delimiter',
            in: 'query',
            schema: { type: 'string', enum: ['/'] },
            description: 'Extension: fold keys below the next / after the prefix into folders; the answer is then a FolderList',
          },
          {
            name: 'X-NEXT',
            in: 'header',
            schema: { type: 'string' },
            description: 'The X-NEXT of the previous page (it carries the prefix and delimiter)',
          },
        ],
        responses: {
          '200': reply('One page of keys (or with a delimiter, keys and folders), namespace stripped', json(ref('Listing')), {
            'X-NEXT': { schema: { type: 'string' }, description: 'Present when more keys remain' },
          }),
          ...common,
        },
      },
    },
    '/storage/v1/{type}/new_resumable_url/{key}': {
      get: {
        summary: 'A presigned URL that a plain PUT of the bytes stores the blob with',
        parameters: [
          ...storageOperation(),
          param('ExpiresIn'),
          { name: 'content_type', in: 'query', schema: { type: 'string' }, description: 'The uploader must send this Content-Type' },
        ],
        responses: { '200': reply('The URL', text), ...errors(409), ...common },
      },
    },
    '/storage/v1/{type}/get_signed_url/{key}': {
      get: {
        summary: 'A presigned URL to download the blob from',
        parameters: [...storageOperation(), param('ExpiresIn')],
        responses: { '200': reply('The URL', text), ...common },
      },
    },
    '/storage/v1/copy/{user_ns}/src/{src_bucket}/{src}/dest/{dest_type}/{dest}': {
      post: {
        summary: "Copy an object, server-side, from an allowed bucket into the caller's namespace",
        parameters: [
          {
            name: 'user_ns',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[0-9a-f]{40}$' },
            description: "The caller's namespace",
          },
          { name: 'src_bucket', in: 'path', required: true, schema: { type: 'string' }, description: 'One of COPY_SOURCE_BUCKETS' },
          { name: 'src', in: 'path', required: true, schema: { type: 'string' }, description: 'Source key; may contain /' },
          { name: 'dest_type', in: 'path', required: true, schema: ref('StorageType') },
          { name: 'dest', in: 'path', required: true, schema: { type: 'string' }, description: 'Destination key; may contain /' },
          param('ActAs'),
        ],
        responses: { '200': reply('Copied', json(ref('Stored'))), ...errors(404, 409), ...common },
      },
    },
    '/storage/v1/multipart/{type}/{key}': {
      post: {
        summary: 'Without uploadId: start a multipart upload session. With uploadId: complete it',
        parameters: [
          ...storageOperation(),
          { name: 'uploadId', in: 'query', schema: { type: 'string' } },
          { name: 'size', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'Total size, to choose the part size' },
          { name: 'content_type', in: 'query', schema: { type: 'string' } },
        ],
        requestBody: { required: false, content: json(ref('Completion')) },
        responses: {
          '201': reply('Started', json(ref('UploadStarted'))),
          '200': reply('Completed', json(ref('Stored'))),
          ...errors(404, 409, 413),
          ...common,
        },
      },
      get: {
        summary: 'With uploadId and parts: presigned part URLs. With uploadId: the parts stored. Without: open sessions on the key',
        parameters: [
          ...storageOperation(),
          { name: 'uploadId', in: 'query', schema: { type: 'string' } },
          { name: 'parts', in: 'query', schema: { type: 'string', pattern: '^[0-9,\\- ]+$' }, description: 'e.g. 1,2,5-8; at most 1000' },
        ],
        responses: {
          '200': reply('Part URLs, stored parts, or open sessions', json({ oneOf: [ref('PartUrls'), ref('PartList'), ref('UploadList')] })),
          ...errors(404),
          ...common,
        },
      },
      delete: {
        summary: 'Abort a multipart upload session',
        parameters: [...storageOperation(), { name: 'uploadId', in: 'query', required: true, schema: { type: 'string' } }],
        responses: { '204': reply('Aborted'), ...errors(404), ...common },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'HS256 with the shared secret, or RS256/ES256 from the identity provider; claims sub (required) and roles',
      },
    },
    headers: {
      RequestId: { required: true, schema: { type: 'string' }, description: 'The X-Request-Id sent, or a new one' },
    },
    parameters: {
      StorageType: { name: 'type', in: 'path', required: true, schema: ref('StorageType') },
      Key: {
        name: 'key',
        in: 'path',
        required: true,
        schema: { type: 'string', minLength: 1, maxLength: MAX_KEY_BYTES },
        description: `1 to ${MAX_KEY_BYTES} bytes of UTF-8; may contain /; no empty, . or .. segments, no leading /, backslash or control characters`,
      },
      ActAs: {
        name: 'X-Storage-Namespace',
        in: 'header',
        schema: { type: 'string', pattern: '^[0-9a-f]{40}$' },
        description: 'Service tokens (roles storage:tasks, storage:catalog) act for this namespace',
      },
      ExpiresIn: {
        name: 'expires_in',
        in: 'query',
        schema: { type: 'integer', minimum: 1 },
        description: 'Seconds, up to SIGNED_URL_MAX_TTL_SECONDS',
      },
    },
    responses: {
      Error400: reply('Bad key, unknown storage type or malformed request', json(ref('Error'))),
      Error401: reply('Missing, expired or invalid token', json(ref('Error')), {
        'WWW-Authenticate': { required: true, schema: { type: 'string' } },
      }),
      Error403: reply("Forbidden by the storage type's rules; the message says what to do instead", json(ref('Error'))),
      Error404: reply('Not found', json(ref('Error'))),
      Error409: reply(
        'Conflict: a product is already stored at the key (products only create), or the key is also a folder or under an object',
        json(ref('Error')),
      ),
      Error413: reply('Request body too large', json(ref('Error'))),
      Error416: reply('Range not satisfiable', json(ref('Error'))),
      Error429: reply('Too many uploads and downloads under way for this caller (MAX_TRANSFERS_PER_CALLER)', json(ref('Error')), {
        'Retry-After': { required: true, schema: { type: 'string' } },
      }),
      Error500: reply('Internal error', json(ref('Error'))),
      Error503: reply('The object store or identity provider is unavailable', json(ref('Error')), {
        'Retry-After': { required: true, schema: { type: 'string' } },
      }),
    },
    schemas: {
      StorageType: { type: 'string', enum: [...STORAGE_TYPES] },
      Status: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } },
      Readiness: {
        type: 'object',
        required: ['status', 'endpoints'],
        properties: {
          status: { type: 'string', enum: ['ready'] },
          endpoints: {
            type: 'array',
            items: {
              type: 'object',
              required: ['endpoint', 'up', 'since'],
              additionalProperties: false,
              properties: {
                endpoint: {
                  type: 'integer',
                  minimum: 1,
                  description: 'Its place in S3_ENDPOINT (1 is the first); the URL itself is not shown here',
                },
                up: { type: 'boolean', description: 'Whether it answers its health checks' },
                since: { type: 'string', format: 'date-time', description: 'When its state last changed' },
                reason: { type: 'string', description: 'Why it is down (ECONNREFUSED, no answer in time, HTTP 503)' },
              },
            },
          },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        additionalProperties: false,
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            additionalProperties: false,
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
      KeyList: { type: 'array', items: { type: 'string' } },
      Capabilities: {
        type: 'object',
        required: ['subject', 'namespace', 'signedUrlMaxTtlSeconds', 'types'],
        additionalProperties: false,
        properties: {
          subject: { type: 'string', description: "The token's subject" },
          namespace: { type: 'string', pattern: '^[0-9a-f]{40}$', description: 'The namespace acted on' },
          signedUrlMaxTtlSeconds: { type: 'integer', minimum: 1, description: 'The most expires_in may ask for' },
          types: {
            type: 'object',
            required: [...STORAGE_TYPES],
            additionalProperties: false,
            properties: Object.fromEntries(
              STORAGE_TYPES.map((type) => [
                type,
                {
                  type: 'object',
                  required: ['operations', 'note'],
                  additionalProperties: false,
                  properties: {
                    operations: { type: 'array', items: { type: 'string', enum: [...OPERATIONS] } },
                    note: { type: 'string', description: "What the type's rules say to a refused caller" },
                  },
                },
              ]),
            ),
          },
        },
      },
      FolderList: {
        type: 'object',
        required: ['keys', 'prefixes'],
        additionalProperties: false,
        properties: {
          keys: { type: 'array', items: { type: 'string' } },
          prefixes: { type: 'array', items: { type: 'string', pattern: '/$' }, description: 'Folders, each ending with /' },
        },
      },
      Listing: { oneOf: [ref('KeyList'), ref('FolderList')] },
      Stored: {
        type: 'object',
        required: ['key', 'size', 'etag'],
        additionalProperties: false,
        properties: { key: { type: 'string' }, size: { type: 'integer', minimum: 0 }, etag: { type: 'string' } },
      },
      UploadStarted: {
        type: 'object',
        required: ['uploadId', 'key', 'partSize', 'maxParts', 'urlTtlSeconds'],
        additionalProperties: false,
        properties: {
          uploadId: { type: 'string' },
          key: { type: 'string' },
          partSize: { type: 'integer' },
          maxParts: { type: 'integer', const: MAX_PARTS },
          urlTtlSeconds: { type: 'integer' },
        },
      },
      PartUrls: {
        type: 'object',
        required: ['uploadId', 'urls', 'expiresIn'],
        additionalProperties: false,
        properties: {
          uploadId: { type: 'string' },
          expiresIn: { type: 'integer' },
          urls: {
            type: 'array',
            items: {
              type: 'object',
              required: ['partNumber', 'url'],
              additionalProperties: false,
              properties: { partNumber: { type: 'integer' }, url: { type: 'string' } },
            },
          },
        },
      },
      PartList: {
        type: 'object',
        required: ['uploadId', 'parts'],
        additionalProperties: false,
        properties: {
          uploadId: { type: 'string' },
          parts: {
            type: 'array',
            items: {
              type: 'object',
              required: ['partNumber', 'size', 'etag'],
              additionalProperties: false,
              properties: { partNumber: { type: 'integer' }, size: { type: 'integer' }, etag: { type: 'string' } },
            },
          },
        },
      },
      UploadList: {
        type: 'object',
        required: ['uploads'],
        additionalProperties: false,
        properties: {
          uploads: {
            type: 'array',
            items: {
              type: 'object',
              required: ['uploadId', 'initiated'],
              additionalProperties: false,
              properties: { uploadId: { type: 'string' }, initiated: { type: 'string' } },
            },
          },
        },
      },
      Completion: {
        type: 'object',
        properties: {
          parts: {
            type: 'array',
            items: {
              type: 'object',
              required: ['partNumber', 'etag'],
              properties: { partNumber: { type: 'integer' }, etag: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};
