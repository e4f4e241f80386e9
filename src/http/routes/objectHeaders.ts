import type { Response } from 'express';
import { z } from 'zod';
import type { ObjectInfo } from '../../store/types';

/** The stored object's own headers, as GET and HEAD answer them. */
export const objectHeaders = z.object({
  'Content-Length': z.string().regex(/^\d+$/),
  ETag: z.string(),
  'Last-Modified': z.string(),
  'Accept-Ranges': z.literal('bytes').optional(),
});

/** The stored object's own headers, as S3 gives them, for GET and HEAD alike. */
export function setObjectHeaders(res: Response, object: ObjectInfo): void {
  res.setHeader('Content-Type', object.contentType);
  res.setHeader('Content-Length', String(object.contentLength));
  res.setHeader('ETag', object.etag);
  res.setHeader('Last-Modified', object.lastModified.toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
}
