/**
 * Names claimed once for every process and replica (a sign-in ticket's id): a create-only
 * write in the tmp bucket, outside every namespace, so the store itself decides who was first.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Conflict } from '../errors';
import type { Store } from '../store/types';
import { TMP_EXPIRY_DAYS } from './types';

/** Where claims are recorded: outside every namespace (those are 40 hex characters). */
const CLAIM_PREFIX = '.storage-gateway/claims/';

export class OneTimeNames {
  constructor(
    private readonly store: Store,
    /** The tmp bucket, whose expiry removes a claim after TMP_EXPIRY_DAYS. */
    private readonly bucket: string,
  ) {}

  /**
   * Claims a name (a sign-in ticket's id) for every process and replica: answers true
   * the first time only. Recorded with a create-only write in the tmp bucket, outside every
   * namespace, where the bucket's expiry removes it after TMP_EXPIRY_DAYS; `until` (when the
   * name's own use ends) must fall within that.
   */
  async claim(name: string, until: Date): Promise<boolean> {
    if (until.getTime() > Date.now() + TMP_EXPIRY_DAYS * 24 * 3600_000) throw new Error('a claim must end within the tmp expiry');
    const record = `${CLAIM_PREFIX}${createHash('sha256').update(name).digest('hex')}`;
    const body = Buffer.from(JSON.stringify({ until: until.toISOString() }));
    try {
      await this.store.put(this.bucket, record, Readable.from([body]), {
        contentType: 'application/json',
        contentLength: body.length,
        metadata: {},
        exclusive: true,
      });
      return true;
    } catch (error) {
      if (error instanceof Conflict) return false;
      throw error;
    }
  }
}
