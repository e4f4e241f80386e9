/** GET /{type}/get/{key}: the blob, streamed, with Range (206) and conditional requests (304). */
import type { RequestHandler } from 'express';
import { pipeline } from 'node:stream/promises';
import type { StorageService } from '../../storage/service';
import { callerOf, keyOf, storageTypeOf } from '../request';
import { setObjectHeaders } from './objectHeaders';

export function getObject(service: StorageService): RequestHandler {
  return async (req, res) => {
    const since = req.get('if-modified-since');
    const object = await service.get(callerOf(res), storageTypeOf(req), keyOf(req), {
      range: req.get('range'),
      ifNoneMatch: req.get('if-none-match'),
      ifModifiedSince: since && !Number.isNaN(Date.parse(since)) ? new Date(since) : undefined,
    });
    res.status(object.contentRange ? 206 : 200);
    setObjectHeaders(res, object);
    if (object.contentRange) res.setHeader('Content-Range', object.contentRange);
    // pipeline applies back-pressure both ways and destroys the store's stream when the
    // client goes away, so the S3 connection is not left draining into nowhere.
    await pipeline(object.body, res);
  };
}
