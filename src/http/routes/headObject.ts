/** HEAD /{type}/get/{key}: does it exist; the same headers as GET, no body. */
import type { RequestHandler } from 'express';
import type { StorageService } from '../../storage/service';
import { callerOf, keyOf, storageTypeOf } from '../request';
import { setObjectHeaders } from './objectHeaders';

export function headObject(service: StorageService): RequestHandler {
  return async (req, res) => {
    const info = await service.head(callerOf(res), storageTypeOf(req), keyOf(req));
    setObjectHeaders(res, info);
    res.status(200).end();
  };
}
