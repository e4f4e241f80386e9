/**
 * Multipart upload sessions, with the same rules as a presigned upload: the policy, the key,
 * no file-folder collision, create-only types, and a cap on open sessions per key and per
 * namespace (counted from the gateway's own records, sessionRecords.ts). An upload id is
 * never forwarded to the store before it is proven to be an open upload of the caller's key.
 */
import { BadRequest, NotFound, TooLarge, TooManySessions } from '../errors';
import { checkAllowedType, declaredSize } from './limits';
import { sessionHoldId, type Usage } from './usage';
import type { AnswerOf } from '../protocol/answers';
import type { Store, UploadedPart } from '../store/types';
import { ownerMetadata, type Access, type Caller, type ObjectRef } from './access';
import { checkContentType } from './contentTypes';
import { checkedPartSize, MAX_PARTS } from './multipart';
import { partSizeFor } from '../protocol/multipart';
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
  /** Sessions left open this long are aborted: a session's hold lasts as long. */
  multipartAbandonHours?: number | undefined;
}

/** A session's hold outlasts its abandonment by this, so the sweep that aborts it comes first. */
const SESSION_HOLD_MARGIN_MS = 3600_000;

export class UploadSessions {
  private readonly records: SessionRecords;

  constructor(
    private readonly store: Store,
    private readonly access: Access,
    private readonly usage: Usage,
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
    const limits = await this.usage.limitsOf(caller.namespace, type);
    checkAllowedType(limits, type, checkedType);
    const size = declaredSize(limits, type, totalSize);
    const prev = await this.access.beforeWrite(caller, ref);
    if (POLICY[type].createOnly) this.access.refuseStored(prev);
    await this.refuseMoreSessions(caller, ref);
    const uploadId = await this.store.createMultipart(ref.bucket, ref.target, {
      contentType: checkedType,
      metadata: ownerMetadata(caller),
      principal: caller.subject,
    });
    let held = false;
    try {
      if (size !== undefined && limits.quotaBytes !== undefined) {
        const lifetime = (this.settings.multipartAbandonHours ?? 24) * 3600_000 + SESSION_HOLD_MARGIN_MS;
        const hold = { bytes: size, key: ref.target, prev, id: sessionHoldId(uploadId), until: Date.now() + lifetime };
        await this.usage.hold(caller.namespace, type, hold);
        held = true;
      }
      // Only a type with limits binds its parts' lengths to the size declared.
      await this.records.add(
        caller,
        ref.bucket,
        ref.target,
        uploadId,
        limits.quotaBytes !== undefined || limits.maxUploadBytes !== undefined ? size : undefined,
      );
    } catch (error) {
      // An uncounted session would slip past the cap: it is not handed out.
      await this.store.abortMultipart(ref.bucket, ref.target, uploadId, caller.subject).catch(() => undefined);
      if (held) this.usage.release(caller.namespace, [sessionHoldId(uploadId)]);
      throw error;
    }
    return { uploadId, key, partSize, maxParts: MAX_PARTS, urlTtlSeconds: this.settings.signedUrlTtlSeconds };
  }

  async partUrls(caller: Caller, type: StorageType, key: string, uploadId: string, partNumbers: number[]) {
    const ref = await this.openSession(caller, type, key, uploadId);
    const ttl = this.settings.signedUrlTtlSeconds;
    const declared = (await this.records.find(caller, ref.bucket, ref.target, uploadId))?.size;
    const lengthOf = declared === undefined ? () => undefined : partLengths(declared);
    // A session of declared size has no parts past its last: asked for ahead (clients ask in
    // batches), they are left out of the answer, never signed.
    const issued = declared === undefined ? partNumbers : partNumbers.filter((n) => lengthOf(n) !== undefined);
    const urls = await Promise.all(
      issued.map(async (partNumber) => ({
        partNumber,
        url: await this.store.presignPart(ref.bucket, ref.target, uploadId, partNumber, ttl, lengthOf(partNumber)),
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
    const declared = (await this.records.find(caller, ref.bucket, ref.target, uploadId))?.size;
    if (declared !== undefined) await this.refuseLargerThan(caller, ref, uploadId, chosen, declared);
    const prev = await this.access.beforeWrite(caller, ref);
    const stored = await this.store.completeMultipart(ref.bucket, ref.target, uploadId, chosen, {
      exclusive: POLICY[type].createOnly,
      principal: caller.subject,
    });
    const change = { bytes: stored.size - (prev?.contentLength ?? 0), objects: prev ? 0 : 1 };
    this.usage.settle(caller.namespace, type, change, [sessionHoldId(uploadId)]);
    await this.forgetSession(caller, ref, uploadId);
    return { key, ...stored };
  }

  /** A session that declared its size may not complete into more (its parts are bound to it anyway). */
  private async refuseLargerThan(
    caller: Caller,
    ref: ObjectRef,
    uploadId: string,
    chosen: readonly { partNumber: number }[],
    declared: number,
  ): Promise<void> {
    const uploaded = new Map(
      (await this.store.listParts(ref.bucket, ref.target, uploadId, caller.subject)).map((part) => [part.partNumber, part.size]),
    );
    const total = chosen.reduce((sum, part) => sum + (uploaded.get(part.partNumber) ?? 0), 0);
    if (total > declared) {
      throw new TooLarge(
        `The upload declared ${declared} bytes, but its parts hold ${total}: abort it, or complete it with the parts declared`,
      );
    }
  }

  async abort(caller: Caller, type: StorageType, key: string, uploadId: string): Promise<void> {
    const ref = await this.openSession(caller, type, key, uploadId);
    await this.store.abortMultipart(ref.bucket, ref.target, uploadId, caller.subject);
    this.usage.release(caller.namespace, [sessionHoldId(uploadId)]);
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

/**
 * Each part's length in a session of `declared` bytes cut into parts of the size its start
 * answered (partSizeFor): whole parts, the last one the remainder; undefined past the last.
 */
function partLengths(declared: number): (partNumber: number) => number | undefined {
  const partSize = partSizeFor(declared);
  const count = Math.max(1, Math.ceil(declared / partSize));
  return (partNumber) => (partNumber > count ? undefined : partNumber < count ? partSize : declared - (count - 1) * partSize);
}
