import type { Response } from 'express';
import type { ObjectInfo } from '../../store/types';

/** The stored object's own headers, as S3 gives them, for GET and HEAD alike. */
export function setObjectHeaders(res: Response, object: ObjectInfo): void {
  res.setHeader('Content-Type', object.contentType);
  res.setHeader('Content-Length', String(object.contentLength));
  res.setHeader('ETag', object.etag);
  res.setHeader('Last-Modified', object.lastModified.toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
}
