/**
 * POST /copy/{user_ns}/src/{src_bucket}/{src}/dest/{type}/{dest}: a server-side copy from an
 * allowed bucket into the caller's namespace. Both keys may contain `/`; the first
 * `/dest/<storage type>/` after the source key separates them.
 */
import type { RequestHandler } from 'express';
import { BadRequest } from '../../errors';
import type { StorageService } from '../../storage/service';
import type { InFlight } from '../inFlight';
import { parseStorageType, STORAGE_TYPES } from '../../storage/types';
import { callerOf, keyOf } from '../request';

const SEPARATOR = new RegExp(`/dest/(${STORAGE_TYPES.join('|')})/`);

export function splitCopyPath(rest: string): { sourceKey: string; type: string; destKey: string } {
  const match = SEPARATOR.exec(rest);
  if (!match?.[1] || match.index === 0) {
    throw new BadRequest('The copy path must be /copy/{user_ns}/src/{src_bucket}/{src}/dest/{type}/{dest}');
  }
  return { sourceKey: rest.slice(0, match.index), type: match[1], destKey: rest.slice(match.index + match[0].length) };
}

/** `copies`: a copy is work shutdown lets settle, like an upload: a multipart copy cut midway would leave its upload behind. */
export function copyObject(service: StorageService, copies: InFlight): RequestHandler {
  return async (req, res) => {
    const { sourceKey, type, destKey } = splitCopyPath(keyOf(req));
    // A server-side copy of a large object moves no byte on this connection for minutes:
    // the idle limit on transfers does not apply to it.
    req.socket.setTimeout(0);
    const copied = await copies.track(
      service.copyFrom(
        callerOf(res),
        String(req.params.namespace),
        { bucket: String(req.params.bucket), key: sourceKey },
        parseStorageType(type),
        destKey,
      ),
    );
    res.status(200).json(copied);
  };
}
