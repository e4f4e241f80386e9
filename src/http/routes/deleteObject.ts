/** DELETE /{type}/{key}: 204, also when the key was absent (idempotent, as S3 is). */
import type { RequestHandler } from 'express';
import type { StorageService } from '../../storage/service';
import { callerOf, keyOf, storageTypeOf } from '../request';

export function deleteObject(service: StorageService): RequestHandler {
  return async (req, res) => {
    await service.delete(callerOf(res), storageTypeOf(req), keyOf(req));
    res.status(204).end();
  };
}
