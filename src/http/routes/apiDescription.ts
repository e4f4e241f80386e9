/** GET /storage/v1/openapi.json: the API's description, generated from the routes' contracts. */
import { defineRoute, type Route } from '../contract';
import type { OpenApiDocument } from '../openapi';
import { serverPath } from '../../protocol/routes';

/** `document`: read when asked, since it describes the table this route is part of. */
export function apiDescription(document: () => OpenApiDocument): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('openapi'),
      name: 'openapi',
      summary: 'This document',
      public: true,
      responses: {
        '200': {
          description: 'OpenAPI 3.1',
          content: { 'application/json': { schema: { type: 'object', description: 'An OpenAPI 3.1 document' } } },
        },
      },
    },
    (_input, _req, res) => {
      res.json(document());
    },
  );
}
