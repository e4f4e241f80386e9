/**
 * GET /{type}/new_resumable_url/{key} and GET /{type}/get_signed_url/{key}: presigned URLs on
 * the store's public endpoint, as text/plain, so large files never pass through the gateway.
 */
import type { RequestHandler } from 'express';
import type { StorageService } from '../../storage/service';
import { callerOf, keyOf, storageTypeOf } from '../request';

export function newResumableUrl(service: StorageService): RequestHandler {
  return async (req, res) => {
    const url = await service.uploadUrl(callerOf(res), storageTypeOf(req), keyOf(req));
    res.status(200).type('text/plain').send(url);
  };
}

export function getSignedUrl(service: StorageService): RequestHandler {
  return async (req, res) => {
    const url = await service.downloadUrl(callerOf(res), storageTypeOf(req), keyOf(req));
    res.status(200).type('text/plain').send(url);
  };
}
