/**
 * Multipart upload sessions (extension), for blobs of any size and resumable uploads. The
 * parts go straight to the store through presigned URLs; the gateway only keeps the books.
 * One operation per method and path:
 *
 *   POST   /multipart/{type}/{key}[?size=N]                            start: { uploadId, partSize, maxParts }
 *   GET    /multipart/{type}/{key}                                     the key's open sessions { uploads }
 *   GET    /multipart/sessions/{uploadId}/urls/{type}/{key}?parts=1-4  presigned PUT URLs for those parts
 *   GET    /multipart/sessions/{uploadId}/parts/{type}/{key}           parts uploaded so far (to resume)
 *   POST   /multipart/sessions/{uploadId}/complete/{type}/{key}        complete (body { parts } optional)
 *   DELETE /multipart/sessions/{uploadId}/{type}/{key}                 abort
 *
 * The first version said which operation it meant in the query (`?uploadId=U[&parts=...]` on
 * /multipart/{type}/{key}, as S3 does); those requests are still served, by `legacyPaths`.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { BadRequest } from '../../errors';
import { MAX_PARTS, parsePartNumbers } from '../../storage/multipart';
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { liftDeadline } from '../middleware/deadline';
import { callerOf } from '../request';
import { json, objectParams, uploadSize } from '../schemas';
import { ANSWERS } from '../../protocol/answers';
import { ROUTES, serverPath, type RouteName } from '../../protocol/routes';
import { DEFAULT_CONTENT_TYPE } from '../../protocol/contentTypes';

const sessionParams = objectParams.extend({ uploadId: z.string().min(1, 'must not be empty') });

const completion = z
  .object({
    parts: z
      .array(z.object({ partNumber: z.number().int().min(1).max(MAX_PARTS), etag: z.string().min(1).max(200) }))
      .min(1)
      .max(MAX_PARTS)
      .optional(),
  })
  .meta({ id: 'Completion' });

export function startUpload(service: StorageService): Route {
  return defineRoute(
    {
      method: 'post',
      path: serverPath('multipart_start'),
      name: 'multipart_start',
      summary: 'Start a multipart upload session',
      params: objectParams,
      query: z.object({
        size: uploadSize,
        content_type: z.string().optional(),
      }),
      json: {
        schema: z.strictObject({}).optional(),
        limit: '1kb',
        required: false,
        refusal: 'A start takes no body (or {}); the parts are named when the session is completed',
      },
      responses: { '201': { description: 'Started', content: json(ANSWERS.multipart_start) } },
      errors: [409, 413, 415],
    },
    async ({ params, query }, _req, res) => {
      const contentType = query.content_type ?? DEFAULT_CONTENT_TYPE;
      return { status: 201, body: await service.uploads.start(callerOf(res), params.type, params.key, query.size, contentType) };
    },
  );
}

export function openSessions(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('multipart_sessions'),
      name: 'multipart_sessions',
      summary: 'The open multipart upload sessions on the key',
      params: objectParams,
      responses: { '200': { description: 'Open sessions', content: json(ANSWERS.multipart_sessions) } },
    },
    async ({ params }, _req, res) => ({
      status: 200,
      body: {
        uploads: (await service.uploads.openUploads(callerOf(res), params.type, params.key)).map((upload) => ({
          uploadId: upload.uploadId,
          initiated: upload.initiated.toISOString(),
        })),
      },
    }),
  );
}

export function partUrls(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('multipart_part_urls'),
      name: 'multipart_part_urls',
      summary: "Presigned PUT URLs for some of a session's parts",
      params: sessionParams,
      query: z.object({
        parts: z
          .string()
          .regex(/^[0-9,\- ]+$/, 'must look like 1,2,5-8')
          .transform(parsePartNumbers)
          .meta({ description: 'e.g. 1,2,5-8; at most 1000' }),
      }),
      responses: { '200': { description: 'Part URLs', content: json(ANSWERS.multipart_part_urls) } },
      errors: [404],
    },
    async ({ params, query }, _req, res) => ({
      status: 200,
      body: await service.uploads.partUrls(callerOf(res), params.type, params.key, params.uploadId, query.parts),
    }),
  );
}

export function storedParts(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('multipart_parts'),
      name: 'multipart_parts',
      summary: 'The parts of a session stored so far, to resume it',
      params: sessionParams,
      responses: { '200': { description: 'Stored parts', content: json(ANSWERS.multipart_parts) } },
      errors: [404],
    },
    async ({ params }, _req, res) => ({
      status: 200,
      body: {
        uploadId: params.uploadId,
        parts: await service.uploads.uploadedParts(callerOf(res), params.type, params.key, params.uploadId),
      },
    }),
  );
}

export function completeUpload(service: StorageService): Route {
  return defineRoute(
    {
      method: 'post',
      path: serverPath('multipart_complete'),
      name: 'multipart_complete',
      summary: 'Complete a session: its parts become the object',
      params: sessionParams,
      json: {
        schema: completion.optional(),
        limit: '2mb',
        required: false,
        refusal: 'The body must be { "parts": [{ "partNumber", "etag" }, ...] } or empty',
      },
      responses: { '200': { description: 'Completed', content: json(ANSWERS.multipart_complete) } },
      errors: [404, 409, 413, 415],
    },
    async ({ params, body }, _req, res) => {
      // The store answers a completion of thousands of parts only when done.
      liftDeadline(res);
      return { status: 200, body: await service.uploads.complete(callerOf(res), params.type, params.key, params.uploadId, body?.parts) };
    },
  );
}

export function abortUpload(service: StorageService): Route {
  return defineRoute(
    {
      method: 'delete',
      path: serverPath('multipart_abort'),
      name: 'multipart_abort',
      summary: 'Abort a multipart upload session',
      params: sessionParams,
      responses: { '204': { description: 'Aborted' } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      await service.uploads.abort(callerOf(res), params.type, params.key, params.uploadId);
      res.status(204).end();
    },
  );
}

/**
 * The first version's requests, on /multipart/{type}/{key} with the operation in the query,
 * turned into the paths above before routing (so they are checked, logged and counted as the
 * operation they are). The rest of the path is kept as sent, still escaped.
 */
const LEGACY: readonly { method: string; withParts?: boolean; route: RouteName }[] = [
  { method: 'POST', route: 'multipart_complete' },
  { method: 'GET', withParts: true, route: 'multipart_part_urls' },
  { method: 'GET', withParts: false, route: 'multipart_parts' },
  { method: 'DELETE', route: 'multipart_abort' },
];

export function legacyPaths(): RequestHandler {
  return (req, _res, next) => {
    const legacyPath = /^\/multipart\/(?!sessions\/)([^/?]+)\/([^?]*)(\?.*)?$/.exec(req.url);
    if (!legacyPath) return next();
    const [, type = '', key = '', search = ''] = legacyPath;
    const { uploadId, parts } = req.query;
    if (uploadId === undefined) {
      if (req.method === 'GET' && parts !== undefined) throw new BadRequest('uploadId is required with parts');
      if (req.method === 'DELETE') throw new BadRequest("The query parameter 'uploadId' is required");
      return next();
    }
    if (typeof uploadId !== 'string') throw new BadRequest("The query parameter 'uploadId' must be given once");
    if (uploadId === '') throw new BadRequest("The query parameter 'uploadId' must not be empty");
    const withParts = parts !== undefined;
    const legacy = LEGACY.find((entry) => entry.method === req.method && (entry.withParts === undefined || entry.withParts === withParts));
    if (!legacy) return next();
    // Replaced by functions: a `$` in the path is the caller's text, not a replacement pattern.
    const values: Record<string, string> = { uploadId: encodeURIComponent(uploadId), type, key };
    req.url = ROUTES[legacy.route].path.replace(/\{(\w+)\+?\}/g, (_, name: string) => values[name] ?? '') + search;
    next();
  };
}
