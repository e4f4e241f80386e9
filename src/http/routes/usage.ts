/**
 * GET /usage: the caller's namespace's usage per storage type, with its quotas. And for a token
 * whose roles hold storage:admin (which grants no data access): any namespace's usage, its
 * quota overrides, and a recount from the store.
 */
import { z } from 'zod';
import { ANSWERS } from '../../protocol/answers';
import { serverPath } from '../../protocol/routes';
import { STORAGE_TYPES } from '../../protocol/storageTypes';
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { callerOf } from '../request';
import { json, namespace } from '../schemas';

const namespaceParams = z.object({ namespace });

/** `{"<type>": bytes | null}`: a quota per type, or null to fall back to QUOTA_BYTES. */
const quotaChanges = z
  .strictObject(
    Object.fromEntries(
      STORAGE_TYPES.map((type) => [
        type,
        z
          .number()
          .int()
          .min(0)
          .max(Number.MAX_SAFE_INTEGER)
          .nullable()
          .optional()
          .meta({ description: 'Bytes; null removes the override' }),
      ]),
    ),
  )
  .meta({ id: 'QuotaChanges' });

export function usage(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('usage'),
      name: 'usage',
      summary: "Extension: the namespace's bytes and objects per storage type, with its quotas and largest objects",
      responses: { '200': { description: 'Usage per storage type', content: json(ANSWERS.usage) } },
    },
    async (_input, _req, res) => ({ status: 200, body: await service.usageOf(callerOf(res)) }),
  );
}

export function adminUsage(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('admin_usage'),
      name: 'admin_usage',
      summary: "Administration (storage:admin): a namespace's usage",
      params: namespaceParams,
      responses: { '200': { description: 'Usage per storage type', content: json(ANSWERS.admin_usage) } },
      errors: [403],
    },
    async ({ params }, _req, res) => ({ status: 200, body: await service.administer(callerOf(res)).usage(params.namespace) }),
  );
}

export function adminQuotas(service: StorageService): Route {
  return defineRoute(
    {
      method: 'put',
      path: serverPath('admin_quotas'),
      name: 'admin_quotas',
      summary: "Administration (storage:admin): set or remove a namespace's quota per storage type",
      params: namespaceParams,
      json: { schema: quotaChanges, limit: '4kb', required: true, refusal: 'The body must be {"<type>": bytes or null, ...}' },
      responses: { '200': { description: 'The quotas in force', content: json(ANSWERS.admin_quotas) } },
      errors: [403],
    },
    async ({ params, body }, _req, res) => ({
      status: 200,
      body: await service.administer(callerOf(res)).setQuotas(params.namespace, body),
    }),
  );
}

export function adminRecount(service: StorageService): Route {
  return defineRoute(
    {
      method: 'post',
      path: serverPath('admin_recount'),
      name: 'admin_recount',
      summary: "Administration (storage:admin): count a namespace's objects in the store and make that its usage",
      params: namespaceParams,
      responses: { '200': { description: 'Usage as recounted', content: json(ANSWERS.admin_recount) } },
      errors: [403],
    },
    async ({ params }, _req, res) => ({ status: 200, body: await service.administer(callerOf(res)).recount(params.namespace) }),
  );
}
