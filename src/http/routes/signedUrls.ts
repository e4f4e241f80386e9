/**
 * GET /{type}/new_resumable_url/{key} and GET /{type}/get_signed_url/{key}: presigned URLs on
 * the store's public endpoint, as text/plain, so large files never pass through the gateway.
 */
import { z } from 'zod';
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { callerOf } from '../request';
import { expiresIn, objectParams, plainUrl, uploadSize } from '../schemas';
import { serverPath } from '../../protocol/routes';

export function newResumableUrl(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('upload_url'),
      name: 'upload_url',
      summary: 'A presigned URL that a plain PUT of the bytes stores the blob with',
      params: objectParams,
      query: z.object({
        expires_in: expiresIn,
        content_type: z.string().optional().meta({ description: 'The uploader must send this Content-Type' }),
        size: uploadSize,
      }),
      responses: { '200': { description: 'The URL', content: plainUrl } },
      errors: [409, 413, 415],
    },
    async ({ params, query }, _req, res) => {
      const url = await service.uploadUrl(callerOf(res), params.type, params.key, {
        expiresIn: query.expires_in,
        contentType: query.content_type,
        size: query.size,
      });
      res.status(200).type('text/plain').send(url);
    },
  );
}

export function getSignedUrl(service: StorageService): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('download_url'),
      name: 'download_url',
      summary: 'A presigned URL to download the blob from',
      params: objectParams,
      query: z.object({ expires_in: expiresIn }),
      responses: { '200': { description: 'The URL', content: plainUrl } },
    },
    async ({ params, query }, _req, res) => {
      const url = await service.downloadUrl(callerOf(res), params.type, params.key, { expiresIn: query.expires_in });
      res.status(200).type('text/plain').send(url);
    },
  );
}
