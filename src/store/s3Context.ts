/**
 * What the parts of the S3 store share (s3Store.ts builds it): the settings, the clients, and
 * `call`, which times one exchange and translates its failures into the domain's errors. Plus
 * the few helpers more than one part uses.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Settings } from '../config';
import type { Principal } from '../shares';
import { headerOf, type SignedAnswer, type SignedHttp } from './signedHttp';
import type { ObjectInfo } from './types';

export interface S3Context {
  readonly settings: S3Settings;
  /** Control calls: buckets, listings, multipart bookkeeping. */
  readonly client: S3Client;
  /** Parts of streamed uploads, on sockets of their own. */
  readonly transfers: S3Client;
  /** Server-side copies: silent until done, so no inactivity limit. */
  readonly copies: S3Client;
  /** The hot calls (GET, HEAD, single PUT, DELETE) as signed HTTP. */
  readonly http: SignedHttp;
  /** Runs one exchange, timed; failures come out as domain errors (exclusive: a failed precondition is a Conflict). */
  call<T>(operation: string, exchange: () => Promise<T>, exclusive?: boolean): Promise<T>;
  /** Runs small store work (one call, or a few in a row) in its principal's turn (shares.ts). */
  turn<T>(principal: Principal, work: () => Promise<T>): Promise<T>;
  /** Runs long store work (a completion, a copy) in its principal's turn among heavy calls. */
  heavy<T>(principal: Principal, work: () => Promise<T>): Promise<T>;
  /** An object is about to be written at this key. */
  writing(bucket: string, key: string): void;
}

/** The object's headers as the store has them (nothing settled: also for buckets not the gateway's). */
export async function headAsStored(http: SignedHttp, bucket: string, key: string, principal?: Principal): Promise<ObjectInfo> {
  const answer = await http.send({ method: 'HEAD', bucket, key, principal });
  await answer.body.dump();
  return objectInfo(answer.headers);
}

/** The object's own headers, as S3 answers a GET or HEAD. */
export function objectInfo(headers: SignedAnswer['headers']): ObjectInfo {
  const modified = headerOf(headers, 'last-modified');
  const metadata: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headerOf(headers, name);
    if (name.toLowerCase().startsWith('x-amz-meta-') && value !== undefined)
      metadata[name.slice('x-amz-meta-'.length).toLowerCase()] = value;
  }
  return {
    contentType: headerOf(headers, 'content-type') ?? 'application/octet-stream',
    contentLength: Number(headerOf(headers, 'content-length') ?? 0),
    etag: headerOf(headers, 'etag') ?? '',
    lastModified: modified ? new Date(modified) : new Date(0),
    metadata,
  };
}

/** Every object under `prefix` (the gateway's own entries), page by page. */
export async function* entriesUnder(client: S3Client, bucket: string, prefix: string): AsyncGenerator<{ key: string; lastModified: Date }> {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const entry of page.Contents ?? []) if (entry.Key) yield { key: entry.Key, lastModified: entry.LastModified ?? new Date(0) };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** User metadata as S3 headers; values are printable ASCII (ownerMetadata encodes the rest). */
export function metadataHeaders(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]));
}
