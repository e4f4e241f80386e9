/** DELETE /{type}/{key}: 204, also when the key was absent (idempotent, as S3 is). */
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { callerOf } from '../request';
import { objectParams } from '../schemas';
import { serverPath } from '../../protocol/routes';

export function deleteObject(service: StorageService): Route {
  return defineRoute(
    {
      method: 'delete',
      path: serverPath('delete'),
      name: 'delete',
      summary: 'Delete a blob (idempotent)',
      params: objectParams,
      responses: { '204': { description: 'Deleted, or was not there' } },
    },
    async ({ params }, _req, res) => {
      await service.delete(callerOf(res), params.type, params.key);
      res.status(204).end();
    },
  );
}
