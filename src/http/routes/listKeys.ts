/**
 * GET /{type}/list?prefix=P[&delimiter=/][&details=1]: one page of the caller's keys; X-NEXT
 * continues the listing. Without a delimiter the answer is the contract's plain array of keys;
 * with one it is `{ keys, prefixes }`, the folders (common prefixes) beside the keys. With
 * details (asked on every page: it shapes the answer, not the listing) it is
 * `{ keys, prefixes, objects }`, each key's size and date from the store's own listing, so a
 * browser shows them without a HEAD per key.
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
        details: z
          .literal('1', { error: "must be '1'" })
          .optional()
          .meta({ description: "Extension: each key's size and last-modified date too; the answer is then a DetailedList" }),
      }),
      headers: z.object({
        'X-NEXT': z.string().optional().meta({ description: 'The X-NEXT of the previous page (it carries the prefix and delimiter)' }),
      }),
      responses: {
        '200': {
          description: 'One page of keys (with a delimiter, keys and folders; with details, sizes and dates too), namespace stripped',
          content: json(ANSWERS.list),
          headers: z.object({ 'X-NEXT': z.string().optional().meta({ description: 'Present when more keys remain' }) }),
        },
      },
    },
    async ({ params, query, headers }, _req, res) => {
      const page = await service.list(callerOf(res), params.type, query.prefix, headers['X-NEXT'] || undefined, query.delimiter);
      if (page.next) res.setHeader('X-NEXT', page.next);
      const prefixes = page.prefixes ?? [];
      if (query.details) {
        const objects = page.objects.map(({ key, size, lastModified }) => ({ key, size, lastModified: lastModified.toISOString() }));
        return { status: 200, body: { keys: page.keys, prefixes, objects } };
      }
      return { status: 200, body: page.prefixes === undefined ? page.keys : { keys: page.keys, prefixes } };
    },
  );
}
