/**
 * A record of each open multipart session a caller started, so the sessions open in one
 * namespace can be counted (and capped): S3 lists a bucket's sessions, but MinIO answers that
 * listing only for one exact key. A record is a small object under SESSION_RECORD_PREFIX,
 * outside every namespace (those are 40 hex characters), so no caller's key can reach it:
 * written when a session starts, removed when it is completed or aborted. A session the store
 * expired by itself leaves its record behind; records are checked against the store's own
 * listing before they refuse anyone.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { NotFound } from '../errors';
import type { Store } from '../store/types';
import type { Caller } from './access';

export const SESSION_RECORD_PREFIX = '.storage-gateway/sessions/';

interface SessionRecord {
  key: string;
  uploadId: string;
  /** When the session started (ms since the epoch): abandoned ones are aborted after a while. */
  started: number;
  /** The size it declared, when it did: its parts' URLs bind their lengths, its completion may not exceed it. */
  size?: number | undefined;
}

export class SessionRecords {
  constructor(private readonly store: Store) {}

  async add(caller: Caller, bucket: string, key: string, uploadId: string, size?: number): Promise<void> {
    const body = Buffer.from(JSON.stringify({ key, uploadId, started: Date.now(), size } satisfies SessionRecord));
    await this.store.put(bucket, recordKey(caller.namespace, key, uploadId), Readable.from([body]), {
      contentType: 'application/json',
      contentLength: body.length,
      metadata: {},
      principal: caller.subject,
    });
  }

  /** The session's record, if it has one. */
  find(caller: Caller, bucket: string, key: string, uploadId: string): Promise<SessionRecord | undefined> {
    return this.read(bucket, recordKey(caller.namespace, key, uploadId));
  }

  async remove(caller: Caller, bucket: string, key: string, uploadId: string): Promise<void> {
    await this.store.delete(bucket, recordKey(caller.namespace, key, uploadId), caller.subject);
  }

  /**
   * How many sessions are open in the namespace, counting at most `limit`. Only when the count
   * reaches the limit is each record checked against the store (one listing per record), and
   * the records of sessions that are gone are removed.
   */
  async countOpen(caller: Caller, bucket: string, limit: number): Promise<number> {
    const prefix = `${SESSION_RECORD_PREFIX}${caller.namespace}/`;
    const records = (await this.store.list(bucket, prefix, undefined, limit, undefined, caller.subject)).keys;
    if (records.length < limit) return records.length;
    let open = 0;
    for (const record of records) {
      const session = await this.read(bucket, record);
      const alive =
        session !== undefined &&
        (await this.store.listUploads(bucket, session.key, caller.subject)).some((upload) => upload.uploadId === session.uploadId);
      if (alive) open++;
      else await this.store.delete(bucket, record, caller.subject);
    }
    return open;
  }

  /**
   * Aborts the sessions in `bucket` started more than `olderThanMs` ago and still open, and
   * drops their records: callers who never finished. Answers how many were aborted.
   */
  async abortAbandoned(bucket: string, olderThanMs: number): Promise<number> {
    let aborted = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.store.list(bucket, SESSION_RECORD_PREFIX, after, 1000);
      for (const record of page.keys) {
        const session = await this.read(bucket, record);
        if (session && Date.now() - session.started < olderThanMs) continue;
        if (session) {
          await this.store.abortMultipart(bucket, session.key, session.uploadId).catch((error: unknown) => {
            if (!(error instanceof NotFound)) throw error;
          });
          aborted++;
        }
        await this.store.delete(bucket, record);
      }
      after = page.keys.at(-1);
      if (!page.truncated || after === undefined) return aborted;
    }
  }

  private async read(bucket: string, record: string): Promise<SessionRecord | undefined> {
    try {
      const object = await this.store.get(bucket, record);
      const chunks: Buffer[] = [];
      for await (const chunk of object.body) chunks.push(chunk as Buffer);
      const { key, uploadId, started, size } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<SessionRecord>;
      // A record written before records carried `started` counts from its own write.
      return typeof key === 'string' && typeof uploadId === 'string'
        ? {
            key,
            uploadId,
            started: typeof started === 'number' ? started : object.lastModified.getTime(),
            size: typeof size === 'number' && Number.isSafeInteger(size) ? size : undefined,
          }
        : undefined;
    } catch (error) {
      if (error instanceof NotFound || error instanceof SyntaxError) return undefined;
      throw error;
    }
  }
}

/** Named by a hash: a key may be 1 KiB, and the record's body says which session it is. */
function recordKey(namespace: string, key: string, uploadId: string): string {
  return `${SESSION_RECORD_PREFIX}${namespace}/${createHash('sha256').update(`${key}\n${uploadId}`).digest('hex')}`;
}
