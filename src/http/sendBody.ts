/**
 * Pipes a stored object's body to the response with back-pressure, and destroys the store's
 * stream when the client goes away so its connection is not left draining into nowhere.
 * Plain `pipe` plus two listeners: stream/promises' pipeline allocates an AbortController
 * and an AbortError for every response, a measurable share of a small GET.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

export function sendBody(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const onResponseClose = () => {
      if (!res.writableFinished) {
        body.destroy();
        const gone = new Error('the client closed the connection before the body was sent') as Error & { code: string };
        gone.code = 'ERR_STREAM_PREMATURE_CLOSE';
        reject(gone);
      } else {
        resolve();
      }
    };
    body.once('error', (error) => {
      res.off('close', onResponseClose);
      // The status is sent already: cut the response so the client sees it incomplete.
      res.destroy(error);
      reject(error);
    });
    res.once('close', onResponseClose);
    body.pipe(res);
  });
}
