/** GET /capabilities (extension): per storage type, what the caller may do (the policy table, for a UI). */
import { ANSWERS } from '../../protocol/answers';
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { callerOf } from '../request';
import { json } from '../schemas';
import { serverPath } from '../../protocol/routes';

export function capabilities(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('capabilities'),
      name: 'capabilities',
      summary: 'Extension: what the caller may do on each storage type (the policy table), and the longest URL lifetime',
      responses: { '200': { description: 'Per storage type, the operations allowed', content: json(ANSWERS.capabilities) } },
    },
    (_input, _req, res) => {
      return { status: 200, body: service.capabilities(callerOf(res)) };
    },
  );
}
