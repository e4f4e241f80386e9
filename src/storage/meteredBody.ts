/**
 * A body of unknown length (chunked) on a type with a quota or a largest object: counted as it
 * passes, its quota hold grown ahead of it a step at a time, and cut (the stream fails, so the
 * store keeps nothing) the moment it passes either limit.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { StorageError } from '../errors';

/** How far ahead of the body its hold grows. */
const HOLD_STEP = 8 * 1024 * 1024;

export interface Meter {
  /**
   * Grows the hold by `bytes`, or (`partial`) by what is left up to `bytes`; throws
   * QuotaExceeded, saying used, quota and asked, when that does not fit.
   */
  grow?: (bytes: number, partial: boolean) => Promise<{ id: string; bytes: number }>;
  /** Throws when the body has passed the largest object allowed. */
  checkSize: (seen: number) => void;
}

export class MeteredBody extends Transform {
  /** Why the body was cut, once it was. */
  refusal: StorageError | undefined;
  /** The holds taken for it so far. */
  readonly holds: string[] = [];
  private seen = 0;
  private granted = 0;

  constructor(private readonly meter: Meter) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    try {
      this.meter.checkSize(this.seen);
    } catch (error) {
      this.refusal = error as StorageError;
      done(error as Error);
      return;
    }
    if (this.meter.grow === undefined || this.seen <= this.granted) {
      done(null, chunk);
      return;
    }
    void this.growTo(this.seen).then(
      () => done(null, chunk),
      (error: unknown) => {
        this.refusal = error as StorageError;
        done(error as Error);
      },
    );
  }

  private async growTo(needed: number): Promise<void> {
    const grow = this.meter.grow;
    if (!grow) return;
    for (const partial of [true, false]) {
      const grant = await grow(needed - this.granted + (partial ? HOLD_STEP : 0), partial);
      this.holds.push(grant.id);
      this.granted += grant.bytes;
      if (this.granted >= needed) return;
    }
  }
}
