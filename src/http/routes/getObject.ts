/** GET /{type}/get/{key}: the blob, streamed, with Range (206) and conditional requests (304). */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { StorageService } from '../../storage/service';
import { conditionHeaders, readConditions } from '../conditions';
import { defineRoute, type Route } from '../contract';
import { callerOf } from '../request';
import { bytes, objectParams } from '../schemas';
import { sendBody } from '../sendBody';
import { objectHeaders, setObjectHeaders } from './objectHeaders';
import { serverPath } from '../../protocol/routes';

/** `transfer`: the caller's budget of streams under way, which a download takes a place in. */
export function getObject(service: StorageService, transfer: RequestHandler): Route {
  return defineRoute(
    {
      method: 'get',
      path: serverPath('get'),
      name: 'get',
      summary: 'Read a blob, streamed',
      params: objectParams,
      headers: conditionHeaders,
      responses: {
        '200': { description: 'The blob, with its stored Content-Type', content: bytes, headers: objectHeaders },
        '206': { description: 'Part of the blob', content: bytes, headers: objectHeaders.extend({ 'Content-Range': z.string() }) },
        '304': { description: 'Not modified since the given ETag or date' },
      },
      errors: [404, 416],
    },
    async ({ params, headers }, _req, res) => {
      const object = await service.get(callerOf(res), params.type, params.key, readConditions(headers));
      res.status(object.contentRange ? 206 : 200);
      setObjectHeaders(res, object);
      if (object.contentRange) res.setHeader('Content-Range', object.contentRange);
      // A type a browser could run (HTML, SVG, script) is saved, never rendered in place.
      if (!service.showsInline(object.contentType)) res.setHeader('Content-Disposition', 'attachment');
      await sendBody(object.body, res);
    },
    [transfer],
  );
}
