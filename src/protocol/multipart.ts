/**
 * Sizes of multipart uploads, as the client and the gateway both compute them: S3's limits are
 * parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 parts, objects up to 5 TiB.
 * Shared by the client and the server, so it imports nothing; each side turns a problem into
 * its own error.
 */
const MiB = 1024 * 1024;
export const DEFAULT_PART_SIZE = 16 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MiB;

/** Why an upload of `totalSize` bytes cannot be made, or undefined when it can. */
export function uploadSizeProblem(totalSize: number): string | undefined {
  if (!Number.isSafeInteger(totalSize) || totalSize < 0) return 'size must be a whole number of bytes';
  if (totalSize > MAX_OBJECT_SIZE) return 'An object may be at most 5 TiB';
  return undefined;
}

/**
 * The part size for an upload of `totalSize` bytes (if known, and without a size problem):
 * 16 MiB, or more so 10,000 parts suffice.
 */
export function partSizeFor(totalSize: number | undefined): number {
  if (totalSize === undefined) return DEFAULT_PART_SIZE;
  const needed = Math.ceil(totalSize / MAX_PARTS / MiB) * MiB;
  return Math.min(MAX_PART_SIZE, Math.max(DEFAULT_PART_SIZE, needed));
}
