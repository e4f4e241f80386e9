/**
 * GET /{type}/new_resumable_url/{key} and GET /{type}/get_signed_url/{key}: presigned URLs on
 * the store's public endpoint, as text/plain, so large files never pass through the gateway.
 * Options: ?expires_in=SECONDS (both) and ?content_type=TYPE (uploads: the uploader must send
 * it). Other query parameters are ignored: the original client sends its extra arguments there.
 */
import type { Request, RequestHandler } from 'express';
import { BadRequest } from '../../errors';
import type { StorageService, UrlOptions } from '../../storage/service';
import { callerOf, keyOf, queryParam, storageTypeOf } from '../request';

function urlOptions(req: Request): UrlOptions {
  const expiresIn = queryParam(req, 'expires_in');
  if (expiresIn !== undefined && !/^\d{1,9}$/.test(expiresIn)) throw new BadRequest('expires_in must be a whole number of seconds');
  return { expiresIn: expiresIn === undefined ? undefined : Number(expiresIn), contentType: queryParam(req, 'content_type') };
}

export function newResumableUrl(service: StorageService): RequestHandler {
  return async (req, res) => {
    const url = await service.uploadUrl(callerOf(res), storageTypeOf(req), keyOf(req), urlOptions(req));
    res.status(200).type('text/plain').send(url);
  };
}

export function getSignedUrl(service: StorageService): RequestHandler {
  return async (req, res) => {
    const { expiresIn } = urlOptions(req);
    const url = await service.downloadUrl(callerOf(res), storageTypeOf(req), keyOf(req), { expiresIn });
    res.status(200).type('text/plain').send(url);
  };
}
