/**
 * GET /{type}/list?prefix=P[&delimiter=/]: one page of the caller's keys; X-NEXT continues the
 * listing. Without a delimiter the answer is the contract's plain array of keys; with one it
 * is `{ keys, prefixes }`, the folders (common prefixes) beside the keys.
 */
import { z } from 'zod';
import { ANSWERS } from '../../protocol/answers';
import { LIST_DELIMITER } from '../../storage/paging';
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { callerOf } from '../request';
import { json, storageType } from '../schemas';
import { serverPath } from '../../protocol/routes';

export function listKeys(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('list'),
      name: 'list',
      summary: "List the caller's keys, in key order, a page at a time",
      params: z.object({ type: storageType }),
      query: z.object({
        prefix: z.string().optional(),
        delimiter: z
          .literal(LIST_DELIMITER, { error: `must be '${LIST_DELIMITER}'` })
          .optional()
          .meta({ description: 'Extension: fold keys below the next / after the prefix into folders; the answer is then a FolderList' }),
      }),
      headers: z.object({
        'X-NEXT': z.string().optional().meta({ description: 'The X-NEXT of the previous page (it carries the prefix and delimiter)' }),
      }),
      responses: {
        '200': {
          description: 'One page of keys (or with a delimiter, keys and folders), namespace stripped',
          content: json(ANSWERS.list),
          headers: z.object({ 'X-NEXT': z.string().optional().meta({ description: 'Present when more keys remain' }) }),
        },
      },
    },
    async ({ params, query, headers }, _req, res) => {
      const page = await service.list(callerOf(res), params.type, query.prefix, headers['X-NEXT'] || undefined, query.delimiter);
      if (page.next) res.setHeader('X-NEXT', page.next);
      return { status: 200, body: page.prefixes === undefined ? page.keys : { keys: page.keys, prefixes: page.prefixes } };
    },
  );
}
