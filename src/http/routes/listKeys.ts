/** GET /{type}/list?prefix=P: one page of the caller's keys; X-NEXT continues the listing. */
import type { RequestHandler } from 'express';
import type { StorageService } from '../../storage/service';
import { callerOf, queryParam, storageTypeOf } from '../request';

export function listKeys(service: StorageService): RequestHandler {
  return async (req, res) => {
    const page = await service.list(callerOf(res), storageTypeOf(req), queryParam(req, 'prefix'), req.get('x-next') || undefined);
    if (page.next) res.setHeader('X-NEXT', page.next);
    res.status(200).json(page.keys);
  };
}
