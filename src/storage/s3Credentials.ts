/**
 * Temporary S3 credentials for a caller, so S3 tools (aws cli, boto3, rclone, GDAL) work on its
 * own namespace: in each storage type's bucket, its namespace's prefix, with the rights of the
 * policy table that raw S3 can enforce by itself (store/credentialPolicy.ts writes them as the
 * session policy). What raw S3 cannot enforce is left out:
 *   - products only create, which S3 cannot say: no write there;
 *   - a type with a quota, a largest object or a media-type rule: no write (those are checked
 *     only on the gateway's ways in);
 * so writing through S3 never bypasses a rule the gateway keeps. They live as long as the
 * caller asks, at most CREDENTIALS_MAX_TTL_SECONDS, never past its token, never under the
 * store's minimum; and are kept per caller and rights until half their life has passed.
 */
import { BadRequest } from '../errors';
import type { AnswerOf, S3Access } from '../protocol/answers';
import type { Store } from '../store/types';
import type { Access, Caller } from './access';
import { allowsAny, POLICY } from './policy';
import { STORAGE_TYPES } from './types';
import type { Usage } from './usage';

/** The shortest session MinIO's STS (and AWS's) grants. */
export const MIN_CREDENTIALS_SECONDS = 900;
/** Credentials end this long before the token they were issued for. */
const TOKEN_MARGIN_SECONDS = 5;
/** Callers whose credentials are kept at once; the oldest go first. */
const MAX_KEPT = 10_000;

type Grant = AnswerOf<'credentials'>['grants'][number];

interface Kept {
  answer: AnswerOf<'credentials'>;
  /** From here on a caller asking again is given new ones (half their life has passed). */
  renewAt: number;
}

export class S3CredentialsIssuer {
  private readonly kept = new Map<string, Kept>();

  constructor(
    private readonly store: Store,
    private readonly access: Access,
    private readonly usage: Usage,
    private readonly maxSeconds: number,
  ) {}

  /** What the caller may do through raw S3, per storage type: the session policy, word for word. */
  async grantsFor(caller: Caller): Promise<Grant[]> {
    const grants: Grant[] = [];
    for (const type of STORAGE_TYPES) {
      const may = (operation: Parameters<typeof allowsAny>[2]) => allowsAny(type, caller.actors, operation);
      const limits = await this.usage.limitsOf(caller.namespace, type);
      const limited = limits.quotaBytes !== undefined || limits.maxUploadBytes !== undefined || limits.contentTypes !== undefined;
      const access: S3Access[] = [];
      if (may('read')) access.push('read');
      if (may('list')) access.push('list');
      if (may('write') && !POLICY[type].createOnly && !limited) access.push('write');
      if (may('delete')) access.push('delete');
      if (access.length > 0) grants.push({ type, bucket: this.access.bucketFor(type), prefix: `${caller.namespace}/`, access });
    }
    return grants;
  }

  async issue(caller: Caller, expiresIn: number | undefined): Promise<AnswerOf<'credentials'>> {
    if (expiresIn !== undefined && (expiresIn < MIN_CREDENTIALS_SECONDS || expiresIn > this.maxSeconds)) {
      throw new BadRequest(`expires_in must be a whole number of seconds from ${MIN_CREDENTIALS_SECONDS} to ${this.maxSeconds}`);
    }
    const now = Date.now();
    // A few seconds short of the token: the store counts the session from when it answers.
    const tokenLeft = caller.tokenExpiresAt ? Math.floor((caller.tokenExpiresAt.getTime() - now) / 1000) - TOKEN_MARGIN_SECONDS : Infinity;
    const seconds = Math.min(expiresIn ?? this.maxSeconds, tokenLeft);
    if (seconds < MIN_CREDENTIALS_SECONDS) {
      throw new BadRequest(
        `Your token expires in ${Math.max(0, tokenLeft)} s, and S3 credentials live at least ${MIN_CREDENTIALS_SECONDS} s (the store's ` +
          'minimum) and never past the token: sign in again for a fresh token',
      );
    }
    const grants = await this.grantsFor(caller);
    const id = JSON.stringify([caller.subject, caller.namespace, grants, expiresIn ?? null]);
    const kept = this.kept.get(id);
    const tokenEnds = caller.tokenExpiresAt?.getTime() ?? Infinity;
    if (kept && now < kept.renewAt && Date.parse(kept.answer.expiration) <= tokenEnds) return kept.answer;
    const issued = await this.store.issueCredentials(grants, seconds, `storage-${caller.namespace}`, caller.subject);
    const answer: AnswerOf<'credentials'> = {
      accessKeyId: issued.accessKeyId,
      secretAccessKey: issued.secretAccessKey,
      sessionToken: issued.sessionToken,
      expiration: issued.expiration.toISOString(),
      endpoint: issued.endpoint,
      region: issued.region,
      forcePathStyle: true,
      grants,
    };
    this.kept.delete(id);
    this.kept.set(id, { answer, renewAt: now + (issued.expiration.getTime() - now) / 2 });
    if (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value as string);
    return answer;
  }
}
