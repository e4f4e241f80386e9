/**
 * What each failure of a call to the store becomes, with made-up store errors in the shapes the
 * SDK and the signed-HTTP path throw: no store needed.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import {
  BadRequest,
  Conflict,
  InvalidKey,
  NotFound,
  NotModified,
  RangeNotSatisfiable,
  StoreAccessDenied,
  StoreUnavailable,
  InsufficientStorage,
} from '../../src/errors';
import { failureOf, isNetworkFailure, isPreconditionFailure, StoreHttpError, translate } from '../../src/store/failures';

const sdkError = (name: string, status: number | undefined) =>
  new S3ServiceException({
    name,
    $fault: status !== undefined && status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
const networkError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('translate', () => {
  it.each([
    ['an SDK NoSuchUpload (404)', sdkError('NoSuchUpload', 404), NotFound, /No such upload session/],
    ['a signed-HTTP NoSuchUpload (404)', new StoreHttpError('NoSuchUpload', 404), NotFound, /No such upload session/],
    ['NoSuchKey', sdkError('NoSuchKey', 404), NotFound, /No object at that key/],
    ['a bodiless 404 (HEAD)', new StoreHttpError('NotFound', 404), NotFound, /No object at that key/],
    ['a 416', new StoreHttpError('InvalidRange', 416), RangeNotSatisfiable, /not satisfiable/],
    ['InvalidPart', sdkError('InvalidPart', 400), BadRequest, /ETag does not match/],
    ['EntityTooSmall', sdkError('EntityTooSmall', 400), BadRequest, /at least 5 MiB/],
    ['a 409 from a concurrent conditional write', sdkError('ConditionalRequestConflict', 409), Conflict, /under way/],
    ['a key the store refuses', sdkError('KeyTooLongError', 400), InvalidKey, /refused the key/],
    ['a 403', new StoreHttpError('Http403', 403), StoreAccessDenied, /credentials or permissions/],
    ['SignatureDoesNotMatch', sdkError('SignatureDoesNotMatch', 403), StoreAccessDenied, /SignatureDoesNotMatch/],
    ['a refused connection', networkError('ECONNREFUSED'), StoreUnavailable, /unavailable/],
    ['a 503 SlowDown', sdkError('SlowDown', 503), StoreUnavailable, /unavailable/],
    ['a missing bucket', sdkError('NoSuchBucket', 404), StoreUnavailable, /unavailable/],
    ['any other 4xx', sdkError('MalformedXML', 400), BadRequest, /refused the request \(MalformedXML\)/],
  ])('turns %s into the right domain error', (_what, error, kind, message) => {
    const translated = translate(error) as Error;
    expect(translated).toBeInstanceOf(kind);
    expect(translated.message).toMatch(message);
  });

  it('answers a 304 as NotModified and passes an abort through untouched', () => {
    expect(translate(new StoreHttpError('Http304', 304))).toBeInstanceOf(NotModified);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(translate(abort)).toBe(abort);
  });

  it('keeps the cause of an outage for the log line', () => {
    expect((translate(networkError('ECONNREFUSED')) as StoreUnavailable).reason).toBe('connection refused (ECONNREFUSED)');
    expect((translate(sdkError('SlowDownWrite', 503)) as StoreUnavailable).reason).toBe('HTTP 503 SlowDownWrite: no write quorum');
  });

  it('makes a full store a 507 that is not retried, keeping what the store said', () => {
    const full = translate(sdkError('XMinioStorageFull', 507));
    expect(full).toBeInstanceOf(InsufficientStorage);
    expect([(full as InsufficientStorage).status, (full as InsufficientStorage).headers['Retry-After']]).toEqual([507, undefined]);
    expect((full as InsufficientStorage).reason).toBe('HTTP 507 XMinioStorageFull: the store is full');
  });
});

describe('isNetworkFailure', () => {
  it.each([
    ['ECONNRESET', networkError('ECONNRESET'), true],
    ['an undici headers timeout', networkError('UND_ERR_HEADERS_TIMEOUT'), true],
    ['an SDK socket timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['an SDK error with no HTTP status (the store never answered)', Object.assign(new Error('x'), { $metadata: {} }), true],
    ['a caller abort', networkError('UND_ERR_ABORTED'), false],
    ['an answer, even a 503', sdkError('SlowDown', 503), false],
  ])('%s: %s', (_what, error, expected) => {
    expect(isNetworkFailure(error)).toBe(expected);
  });

  it('names the failure in words, with its code, then by status', () => {
    expect(failureOf(networkError('EPIPE'))).toBe('connection broken (EPIPE)');
    expect(failureOf(networkError('UND_ERR_SOMETHING_NEW'))).toBe('UND_ERR_SOMETHING_NEW');
    expect(failureOf(new StoreHttpError('XMinioServerNotInitialized', 503))).toBe(
      'HTTP 503 XMinioServerNotInitialized: the node is still starting',
    );
  });

  it('never names a timeout by the bare number its DOMException carries', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(timeout.code).toBe(23);
    expect(failureOf(timeout)).toBe('no answer in time');
  });
});

it('tells a failed precondition (If-None-Match on a create-only write) by name or status', () => {
  expect(isPreconditionFailure(sdkError('PreconditionFailed', 412))).toBe(true);
  expect(isPreconditionFailure(new StoreHttpError('Http412', 412))).toBe(true);
  expect(isPreconditionFailure(sdkError('NoSuchKey', 404))).toBe(false);
});
