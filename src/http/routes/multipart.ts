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
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { BadRequest } from '../../errors';
import { MAX_PARTS, parsePartNumbers } from '../../storage/multipart';
import type { StorageService } from '../../storage/service';
import { callerOf, keyOf, queryParam, storageTypeOf } from '../request';

const completion = z.object({
  parts: z
    .array(z.object({ partNumber: z.number().int().min(1).max(MAX_PARTS), etag: z.string().min(1).max(200) }))
    .min(1)
    .max(MAX_PARTS)
    .optional(),
});

function uploadIdOf(req: Request): string {
  const uploadId = queryParam(req, 'uploadId');
  if (!uploadId) throw new BadRequest('uploadId is required');
  return uploadId;
}

/** POST without uploadId starts a session; with uploadId it completes one (as S3 does). */
export function startOrCompleteUpload(service: StorageService): RequestHandler {
  return async (req, res) => {
    const [caller, type, key] = [callerOf(res), storageTypeOf(req), keyOf(req)];
    const uploadId = queryParam(req, 'uploadId');
    if (uploadId === undefined) {
      const size = queryParam(req, 'size');
      const contentType = queryParam(req, 'content_type') ?? 'application/octet-stream';
      const started = await service.startUpload(caller, type, key, size === undefined ? undefined : Number(size), contentType);
      res.status(201).json(started);
      return;
    }
    const body = completion.safeParse(req.body ?? {});
    if (!body.success) throw new BadRequest('The body must be { "parts": [{ "partNumber", "etag" }, ...] } or empty');
    res.status(200).json(await service.completeUpload(caller, type, key, uploadId, body.data.parts));
  };
}

/**
 * GET with uploadId and parts=… presigns those parts; with uploadId alone, lists the parts
 * uploaded so far; without uploadId, lists the open sessions on the key.
 */
export function partUrlsOrList(service: StorageService): RequestHandler {
  return async (req, res) => {
    const [caller, type, key] = [callerOf(res), storageTypeOf(req), keyOf(req)];
    if (queryParam(req, 'uploadId') === undefined && queryParam(req, 'parts') === undefined) {
      res.status(200).json({ uploads: await service.openUploads(caller, type, key) });
      return;
    }
    const uploadId = uploadIdOf(req);
    const parts = queryParam(req, 'parts');
    if (parts !== undefined) {
      res.status(200).json(await service.partUrls(caller, type, key, uploadId, parsePartNumbers(parts)));
      return;
    }
    res.status(200).json({ uploadId, parts: await service.uploadedParts(caller, type, key, uploadId) });
  };
}

export function abortUpload(service: StorageService): RequestHandler {
  return async (req, res) => {
    await service.abortUpload(callerOf(res), storageTypeOf(req), keyOf(req), uploadIdOf(req));
    res.status(204).end();
  };
}
