/**
 * GET /{type}/list?prefix=P[&delimiter=/]: one page of the caller's keys; X-NEXT continues the
 * listing. Without a delimiter the answer is the contract's plain array of keys; with one it
 * is `{ keys, prefixes }`, the folders (common prefixes) beside the keys.
 */
import type { RequestHandler } from 'express';
import type { StorageService } from '../../storage/service';
import { callerOf, queryParam, storageTypeOf } from '../request';

export function listKeys(service: StorageService): RequestHandler {
  return async (req, res) => {
    const page = await service.list(
      callerOf(res),
      storageTypeOf(req),
      queryParam(req, 'prefix'),
      req.get('x-next') || undefined,
      queryParam(req, 'delimiter'),
    );
    if (page.next) res.setHeader('X-NEXT', page.next);
    res.status(200).json(page.prefixes === undefined ? page.keys : { keys: page.keys, prefixes: page.prefixes });
  };
}
