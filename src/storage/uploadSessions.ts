/**
 * Multipart upload sessions, with the same rules as a presigned upload: the policy, the key,
 * no file-folder collision, create-only types, and a cap on open sessions per key and per
 * namespace (counted from the gateway's own records, sessionRecords.ts). An upload id is
 * never forwarded to the store before it is proven to be an open upload of the caller's key.
 */
import { BadRequest, NotFound, TooManySessions } from '../errors';
import type { AnswerOf } from '../protocol/answers';
import type { Store, UploadedPart } from '../store/types';
import { ownerMetadata, type Access, type Caller, type ObjectRef } from './access';
import { checkContentType } from './contentTypes';
import { checkedPartSize, MAX_PARTS } from './multipart';
import { POLICY } from './policy';
import { SessionRecords } from './sessionRecords';
import { STORAGE_TYPES, type StorageType } from './types';

const NO_SUCH_SESSION = 'No such upload session on this key: it was completed, aborted or has expired';
/** Upload ids as S3 engines make them (base64 or hex, with a few separators), at most 1 KiB. */
const UPLOAD_ID_PATTERN = /^[A-Za-z0-9+/=._~-]{1,1024}$/;

export interface SessionSettings {
  signedUrlTtlSeconds: number;
  /** Open multipart sessions allowed on one key, and in one namespace of one storage type. */
  maxUploadSessions: { perKey: number; perCaller: number };
}

export class UploadSessions {
  private readonly records: SessionRecords;

  constructor(
    private readonly store: Store,
    private readonly access: Access,
    private readonly settings: SessionSettings,
  ) {
    this.records = new SessionRecords(store);
  }

  async start(
    caller: Caller,
    type: StorageType,
    key: string,
    totalSize: number | undefined,
    contentType: string,
  ): Promise<AnswerOf<'multipart_start'>> {
    const partSize = checkedPartSize(totalSize);
    const ref = this.access.resolve(caller, type, 'signUpload', key);
    const checkedType = checkContentType(contentType);
    await this.access.refuseCollision(caller, ref);
    if (POLICY[type].createOnly) await this.access.refuseExisting(caller, ref);
    await this.refuseMoreSessions(caller, ref);
    const uploadId = await this.store.createMultipart(ref.bucket, ref.target, {
      contentType: checkedType,
      metadata: ownerMetadata(caller),
      principal: caller.subject,
    });
    try {
      await this.records.add(caller, ref.bucket, ref.target, uploadId);
    } catch (error) {
      // An uncounted session would slip past the cap: it is not handed out.
      await this.store.abortMultipart(ref.bucket, ref.target, uploadId, caller.subject).catch(() => undefined);
      throw error;
    }
    return { uploadId, key, partSize, maxParts: MAX_PARTS, urlTtlSeconds: this.settings.signedUrlTtlSeconds };
  }

  async partUrls(caller: Caller, type: StorageType, key: string, uploadId: string, partNumbers: number[]) {
    const ref = await this.openSession(caller, type, key, uploadId);
    const ttl = this.settings.signedUrlTtlSeconds;
    const urls = await Promise.all(
      partNumbers.map(async (partNumber) => ({
        partNumber,
        url: await this.store.presignPart(ref.bucket, ref.target, uploadId, partNumber, ttl),
      })),
    );
    return { uploadId, urls, expiresIn: ttl };
  }

  /** Unfinished sessions on this key, for a client resuming after it lost its upload id. */
  async openUploads(caller: Caller, type: StorageType, key: string) {
    const ref = this.access.resolve(caller, type, 'signUpload', key);
    return this.store.listUploads(ref.bucket, ref.target, caller.subject);
  }

  async uploadedParts(caller: Caller, type: StorageType, key: string, uploadId: string): Promise<UploadedPart[]> {
    const ref = await this.openSession(caller, type, key, uploadId);
    return this.store.listParts(ref.bucket, ref.target, uploadId, caller.subject);
  }

  /** Completes with the parts named, or with every part uploaded when none are named. */
  async complete(
    caller: Caller,
    type: StorageType,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[] | undefined,
  ) {
    const ref = await this.openSession(caller, type, key, uploadId);
    const chosen = parts ?? (await this.store.latestPartsToComplete(ref.bucket, ref.target, uploadId, caller.subject));
    if (chosen.length === 0) throw new BadRequest('The upload has no parts yet');
    await this.access.refuseCollision(caller, ref);
    const stored = await this.store.completeMultipart(ref.bucket, ref.target, uploadId, chosen, {
      exclusive: POLICY[type].createOnly,
      principal: caller.subject,
    });
    await this.forgetSession(caller, ref, uploadId);
    return { key, ...stored };
  }

  async abort(caller: Caller, type: StorageType, key: string, uploadId: string): Promise<void> {
    const ref = await this.openSession(caller, type, key, uploadId);
    await this.store.abortMultipart(ref.bucket, ref.target, uploadId, caller.subject);
    await this.forgetSession(caller, ref, uploadId);
  }

  /**
   * Open sessions are capped per key and per namespace (of one storage type): each holds parts
   * on the store until it ends, and a caller could otherwise open them without end.
   */
  private async refuseMoreSessions(caller: Caller, ref: ObjectRef): Promise<void> {
    const { perKey, perCaller } = this.settings.maxUploadSessions;
    const onKey = (await this.store.listUploads(ref.bucket, ref.target, caller.subject)).length;
    if (onKey >= perKey) {
      throw new TooManySessions(
        'sessions_per_key',
        `'${ref.key}' already has ${onKey} open upload sessions (at most ${perKey}): resume one (GET lists them) or abort one`,
      );
    }
    if ((await this.records.countOpen(caller, ref.bucket, perCaller)) >= perCaller) {
      throw new TooManySessions(
        'sessions_per_caller',
        `This namespace already has ${perCaller} open upload sessions in this storage type: complete or abort some first`,
      );
    }
  }

  /** The session has ended: its record goes (one left behind is found and dropped by countOpen). */
  private async forgetSession(caller: Caller, ref: ObjectRef, uploadId: string): Promise<void> {
    await this.records.remove(caller, ref.bucket, ref.target, uploadId).catch(() => undefined);
  }

  /**
   * Proves that `uploadId` is an open upload of this caller's own key before it reaches the
   * store in any call: the id must be one the store lists for exactly that key. An id from
   * another key, another namespace, or crafted by hand is "no such session", never forwarded.
   */
  private async openSession(caller: Caller, type: StorageType, key: string, uploadId: string): Promise<ObjectRef> {
    const ref = this.access.resolve(caller, type, 'signUpload', key);
    if (!UPLOAD_ID_PATTERN.test(uploadId)) throw new NotFound(NO_SUCH_SESSION);
    const open = await this.store.listUploads(ref.bucket, ref.target, caller.subject);
    if (!open.some((upload) => upload.uploadId === uploadId)) throw new NotFound(NO_SUCH_SESSION);
    return ref;
  }

  /**
   * Aborts the multipart sessions callers started more than `olderThanMs` ago and left open,
   * in every bucket: on engines whose lifecycle rules cannot (MinIO refuses the abort rule).
   */
  async abortAbandoned(olderThanMs: number): Promise<number> {
    let aborted = 0;
    for (const type of STORAGE_TYPES) aborted += await this.records.abortAbandoned(this.access.bucketFor(type), olderThanMs);
    return aborted;
  }
}
