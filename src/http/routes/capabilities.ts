/** GET /capabilities (extension): per storage type, what the caller may do (the policy table, for a UI). */
import type { RequestHandler } from 'express';
import type { StorageService } from '../../storage/service';
import { callerOf } from '../request';

export function capabilities(service: StorageService): RequestHandler {
  return (_req, res) => {
    res.status(200).json(service.capabilities(callerOf(res)));
  };
}
