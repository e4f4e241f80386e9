/** HEAD /{type}/get/{key}: does it exist; the same headers as GET, no body. */
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { callerOf } from '../request';
import { objectParams } from '../schemas';
import { objectHeaders, setObjectHeaders } from './objectHeaders';
import { serverPath } from '../../protocol/routes';

export function headObject(service: StorageService): Route {
  return defineRoute(
    {
      method: 'head',
      path: serverPath('exists'),
      name: 'exists',
      summary: 'Does a blob exist',
      params: objectParams,
      // HEAD answers carry the headers of the GET answer and no body.
      responses: { '200': { description: 'It exists', headers: objectHeaders } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      const info = await service.head(callerOf(res), params.type, params.key);
      setObjectHeaders(res, info);
      res.status(200).end();
    },
  );
}
