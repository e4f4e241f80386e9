/**
 * The OpenAPI 3.1 description of the whole API, served at /storage/v1/openapi.json, generated
 * from the routes' contracts (contract.ts). Tests hold real responses to its statuses,
 * headers and schemas.
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { NAMESPACE_HEADER } from '../auth/principals';
import { documentedPath, type Route } from './contract';
import { AUTHENTICATED_ERRORS, ERROR_RESPONSES, namespace, requestIdHeader } from './schemas';

/** Service tokens act for another namespace with this header; authenticate reads it (principals.ts). */
const actAs = namespace.optional().meta({
  description: 'Service tokens (roles storage:tasks, storage:catalog) act for this namespace',
  param: { id: 'ActAs' },
});

export type OpenApiDocument = ReturnType<typeof createDocument>;

export function openApiDocument(routes: readonly Route[]): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const { contract } of routes) {
    const path = documentedPath(contract.path);
    const header = contract.public ? contract.headers : (contract.headers ?? z.object({})).extend({ [NAMESPACE_HEADER]: actAs });
    const errors = [...new Set([...(contract.errors ?? []), ...(contract.public ? [] : AUTHENTICATED_ERRORS)])].sort();
    const operation: ZodOpenApiOperationObject = {
      summary: contract.summary,
      operationId: contract.name,
      ...(contract.public && { security: [] }),
      requestParams: {
        ...(contract.params && { path: contract.params }),
        ...(contract.query && { query: contract.query }),
        ...(header && { header }),
      },
      ...(contract.json && {
        requestBody: { required: contract.json.required, content: { 'application/json': { schema: contract.json.schema } } },
      }),
      ...(contract.stream && {
        requestBody: {
          required: true,
          description: contract.stream.description,
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
      }),
      responses: {
        ...withRequestId(contract.responses),
        ...Object.fromEntries(errors.map((status) => [String(status), errorResponse(status)])),
      },
    };
    paths[path] = { ...paths[path], [contract.method]: operation };
  }
  return createDocument({
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
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'HS256 with the shared secret, or RS256/ES256 from the identity provider; claims sub (required) and roles',
        },
      },
    },
  });
}

function errorResponse(status: number) {
  const response = ERROR_RESPONSES[status];
  if (!response) throw new Error(`No error response is described for status ${status}`);
  return response;
}

/** Every answer carries the request id. */
function withRequestId(responses: ZodOpenApiResponsesObject): ZodOpenApiResponsesObject {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => {
      if (typeof response !== 'object' || response === null || '$ref' in response) return [status, response];
      const headers = response.headers instanceof z.ZodObject ? response.headers : z.object({});
      return [status, { ...response, headers: headers.extend({ 'X-Request-Id': requestIdHeader }) }];
    }),
  );
}
