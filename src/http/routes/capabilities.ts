/** GET /capabilities (extension): per storage type, what the caller may do (the policy table, for a UI). */
import { z } from 'zod';
import { OPERATIONS } from '../../storage/policy';
import type { StorageService } from '../../storage/service';
import { STORAGE_TYPES } from '../../storage/types';
import { defineRoute, type Route } from '../contract';
import { callerOf } from '../request';
import { json, namespace } from '../schemas';
import { serverPath } from '../../protocol/routes';

const typeRights = z.object({
  operations: z.array(z.enum(OPERATIONS)),
  note: z.string().meta({ description: "What the type's rules say to a refused caller" }),
});

const capabilitiesSchema = z
  .object({
    subject: z.string().meta({ description: "The token's subject" }),
    namespace: namespace.meta({ description: 'The namespace acted on' }),
    signedUrlMaxTtlSeconds: z.number().int().min(1).meta({ description: 'The most expires_in may ask for' }),
    types: z.object(Object.fromEntries(STORAGE_TYPES.map((type) => [type, typeRights]))),
  })
  .meta({ id: 'Capabilities' });

export function capabilities(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('capabilities'),
      name: 'capabilities',
      summary: 'Extension: what the caller may do on each storage type (the policy table), and the longest URL lifetime',
      responses: { '200': { description: 'Per storage type, the operations allowed', content: json(capabilitiesSchema) } },
    },
    (_input, _req, res) => {
      res.status(200).json(service.capabilities(callerOf(res)));
    },
  );
}
