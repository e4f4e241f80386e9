/**
 * POST /copy/{user_ns}/src/{src_bucket}/{src}/dest/{type}/{dest}: a server-side copy from an
 * allowed bucket into the caller's namespace. Both keys may contain `/`; the first
 * `/dest/<storage type>/` after the source key separates them (contract.ts splits the path).
 */
import { z } from 'zod';
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { liftDeadline } from '../middleware/deadline';
import type { InFlight } from '../inFlight';
import { callerOf } from '../request';
import { json, key, namespace, storageType } from '../schemas';
import { ANSWERS } from '../../protocol/answers';
import { serverPath } from '../../protocol/routes';

/** `copies`: a copy is work shutdown lets settle, like an upload: a multipart copy cut midway would leave its upload behind. */
export function copyObject(service: StorageService, copies: InFlight): Route {
  return defineRoute(
    {
      method: 'post',
      path: serverPath('copy'),
      name: 'copy',
      summary: "Copy an object, server-side, from an allowed bucket into the caller's namespace",
      params: z.object({
        user_ns: namespace.meta({ description: "The caller's namespace" }),
        src_bucket: z.string().meta({ description: 'One of COPY_SOURCE_BUCKETS' }),
        src: z.string().meta({ description: 'Source key; may contain /' }),
        dest_type: storageType,
        dest: key.meta({ description: 'Destination key; may contain /' }),
      }),
      responses: { '200': { description: 'Copied', content: json(ANSWERS.copy) } },
      errors: [404, 409, 413, 415],
    },
    async ({ params }, req, res) => {
      // A server-side copy of a large object moves no byte on this connection for minutes:
      // neither the idle limit on transfers nor the request deadline applies to it.
      req.socket.setTimeout(0);
      liftDeadline(res);
      const source = { bucket: params.src_bucket, key: params.src };
      const copied = await copies.track(service.copyFrom(callerOf(res), params.user_ns, source, params.dest_type, params.dest));
      return { status: 200, body: copied };
    },
  );
}
