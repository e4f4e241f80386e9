/**
 * One PUT of a body of known length (up to 5 GiB), streamed to the store with no buffering,
 * through the signed-HTTP client. A body that ends early or is let go of stores nothing.
 */
import { PassThrough, type Readable } from 'node:stream';
import { StoreUnavailable } from '../errors';
import { nameOf } from './failures';
import { metadataHeaders } from './s3Context';
import { headerOf, type SignedHttp } from './signedHttp';
import type { StreamOptions, Written } from './types';

export async function putWhole(
  http: SignedHttp,
  bucket: string,
  key: string,
  body: Readable,
  options: StreamOptions & { contentLength: number },
): Promise<Written> {
  const { contentLength } = options;
  const cut = new AbortController();
  const onClose = () => {
    if (!body.readableEnded) cut.abort();
  };
  body.once('close', onClose);
  body.once('error', onClose);
  // Through a stream of its own, which the HTTP client destroys when the store stops
  // reading (an early refusal such as 507) while the caller's stream is only unpiped:
  // the HTTP layer can then read the rest and answer a caller still writing. Unpiped
  // before its end for any other reason (an answer already given), the call is cut, or
  // the store would wait for the rest of a body that no longer comes.
  const sent = body.pipe(new PassThrough());
  sent.once('unpipe', onClose);
  // Closed before this call began (the caller left while it waited its turn): no event comes.
  if (body.destroyed) onClose();
  try {
    const answer = await http.send({
      method: 'PUT',
      bucket,
      key,
      headers: {
        'content-length': String(contentLength),
        'content-type': options.contentType,
        ...metadataHeaders(options.metadata),
        ...(options.exclusive && { 'if-none-match': '*' }),
        ...(options.ifMatch !== undefined && { 'if-match': options.ifMatch }),
      },
      body: sent,
      signal: options.signal ? AbortSignal.any([cut.signal, options.signal]) : cut.signal,
    });
    await answer.body.dump();
    return { etag: headerOf(answer.headers, 'etag') ?? '', size: contentLength };
  } catch (error) {
    // The whole body was sent, yet the store says it got less: its failure (a filling
    // disk answers so before it answers 507), not the caller's.
    if (nameOf(error) === 'IncompleteBody' && body.readableEnded) {
      throw new StoreUnavailable(undefined, 'the store did not take the whole body (IncompleteBody)');
    }
    throw error;
  } finally {
    body.off('close', onClose);
    body.off('error', onClose);
  }
}
