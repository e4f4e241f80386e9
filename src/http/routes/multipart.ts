/**
 * Multipart upload sessions (extension), for blobs of any size and resumable uploads. The
 * parts go straight to the store through presigned URLs; the gateway only keeps the books.
 *
 *   POST   /multipart/{type}/{key}[?size=N]           start: { uploadId, partSize, maxParts }
 *   GET    /multipart/{type}/{key}?uploadId=U&parts=1-4  presigned PUT URLs for those parts
 *   GET    /multipart/{type}/{key}?uploadId=U          parts uploaded so far (to resume)
 *   GET    /multipart/{type}/{key}                     open sessions on the key { uploads }
 *   POST   /multipart/{type}/{key}?uploadId=U          complete (body { parts } optional)
 *   DELETE /multipart/{type}/{key}?uploadId=U          abort
 */
import { z } from 'zod';
import { BadRequest } from '../../errors';
import { MAX_PARTS, parsePartNumbers } from '../../storage/multipart';
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { liftDeadline } from '../middleware/deadline';
import { callerOf } from '../request';
import { json, objectParams, stored } from '../schemas';
import { serverPath } from '../../protocol/routes';
import { DEFAULT_CONTENT_TYPE } from '../../protocol/contentTypes';

const uploadId = z.string().min(1, 'must not be empty');

const completion = z
  .object({
    parts: z
      .array(z.object({ partNumber: z.number().int().min(1).max(MAX_PARTS), etag: z.string().min(1).max(200) }))
      .min(1)
      .max(MAX_PARTS)
      .optional(),
  })
  .meta({ id: 'Completion' });

const uploadStarted = z
  .object({
    uploadId: z.string(),
    key: z.string(),
    partSize: z.number().int(),
    maxParts: z.literal(MAX_PARTS),
    urlTtlSeconds: z.number().int(),
  })
  .meta({ id: 'UploadStarted' });

const partUrls = z
  .object({
    uploadId: z.string(),
    expiresIn: z.number().int(),
    urls: z.array(z.object({ partNumber: z.number().int(), url: z.string() })),
  })
  .meta({ id: 'PartUrls' });

const partList = z
  .object({
    uploadId: z.string(),
    parts: z.array(z.object({ partNumber: z.number().int(), size: z.number().int(), etag: z.string() })),
  })
  .meta({ id: 'PartList' });

const uploadList = z.object({ uploads: z.array(z.object({ uploadId: z.string(), initiated: z.string() })) }).meta({ id: 'UploadList' });

/** POST without uploadId starts a session; with uploadId it completes one (as S3 does). */
export function startOrCompleteUpload(service: StorageService): Route {
  return defineRoute(
    {
      method: 'post',
      path: serverPath('multipart_start_or_complete'),
      name: 'multipart_start_or_complete',
      summary: 'Without uploadId: start a multipart upload session. With uploadId: complete it',
      params: objectParams,
      query: z.object({
        uploadId: uploadId.optional(),
        size: z
          .string()
          .regex(/^\d{1,16}$/, 'must be a whole number of bytes')
          .transform(Number)
          .optional()
          .meta({ description: 'Total size, to choose the part size' }),
        content_type: z.string().optional(),
      }),
      json: {
        schema: completion.optional(),
        limit: '2mb',
        required: false,
        refusal: 'The body must be { "parts": [{ "partNumber", "etag" }, ...] } or empty',
      },
      responses: {
        '201': { description: 'Started', content: json(uploadStarted) },
        '200': { description: 'Completed', content: json(stored) },
      },
      errors: [404, 409, 413, 415],
    },
    async ({ params, query, body }, _req, res) => {
      const caller = callerOf(res);
      if (query.uploadId === undefined) {
        const contentType = query.content_type ?? DEFAULT_CONTENT_TYPE;
        res.status(201).json(await service.uploads.start(caller, params.type, params.key, query.size, contentType));
        return;
      }
      // The store answers a completion of thousands of parts only when done.
      liftDeadline(res);
      res.status(200).json(await service.uploads.complete(caller, params.type, params.key, query.uploadId, body?.parts));
    },
  );
}

/**
 * GET with uploadId and parts=… presigns those parts; with uploadId alone, lists the parts
 * uploaded so far; without uploadId, lists the open sessions on the key.
 */
export function partUrlsOrList(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('multipart_parts'),
      name: 'multipart_parts',
      summary: 'With uploadId and parts: presigned part URLs. With uploadId: the parts stored. Without: open sessions on the key',
      params: objectParams,
      query: z.object({
        uploadId: uploadId.optional(),
        parts: z
          .string()
          .regex(/^[0-9,\- ]+$/, 'must look like 1,2,5-8')
          .transform(parsePartNumbers)
          .optional()
          .meta({ description: 'e.g. 1,2,5-8; at most 1000' }),
      }),
      responses: {
        '200': { description: 'Part URLs, stored parts, or open sessions', content: json(z.union([partUrls, partList, uploadList])) },
      },
      errors: [404],
    },
    async ({ params, query }, _req, res) => {
      const [caller, { type, key }] = [callerOf(res), params];
      if (query.uploadId === undefined) {
        if (query.parts !== undefined) throw new BadRequest('uploadId is required with parts');
        res.status(200).json({ uploads: await service.uploads.openUploads(caller, type, key) });
        return;
      }
      if (query.parts !== undefined) {
        res.status(200).json(await service.uploads.partUrls(caller, type, key, query.uploadId, query.parts));
        return;
      }
      res.status(200).json({ uploadId: query.uploadId, parts: await service.uploads.uploadedParts(caller, type, key, query.uploadId) });
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
      params: objectParams,
      query: z.object({ uploadId }),
      responses: { '204': { description: 'Aborted' } },
      errors: [404],
    },
    async ({ params, query }, _req, res) => {
      await service.uploads.abort(callerOf(res), params.type, params.key, query.uploadId);
      res.status(204).end();
    },
  );
}
