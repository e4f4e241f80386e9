/**
 * What a storage type takes (UPLOAD_CONTENT_TYPES, MAX_UPLOAD_BYTES, and whether a quota makes
 * uploads declare their size), checked the same way on every door: PUT, copy, upload URL and
 * multipart session.
 */
import { BadRequest, TooLarge, UnsupportedMediaType } from '../errors';
import { mediaTypeOf } from './contentTypes';
import type { TypeLimits } from './usage';
import type { StorageType } from './types';

/** Whether `contentType`'s media type is one of `patterns` (`type/subtype` or `type/*`). */
export function matchesMediaType(contentType: string, patterns: readonly string[]): boolean {
  const type = mediaTypeOf(contentType);
  if (type === undefined) return false;
  return patterns.some((allowed) => (allowed.endsWith('/*') ? type.startsWith(allowed.slice(0, -1)) : type === allowed));
}

/** A type that stores only some media types refuses the others with 415. */
export function checkAllowedType(limits: TypeLimits, type: StorageType, contentType: string): void {
  if (limits.contentTypes === undefined || matchesMediaType(contentType, limits.contentTypes)) return;
  throw new UnsupportedMediaType(
    `The ${type} storage type stores only ${limits.contentTypes.join(', ')}; '${mediaTypeOf(contentType) ?? contentType}' is not one of them`,
  );
}

/** An object larger than the type's MAX_UPLOAD_BYTES is refused with 413. */
export function checkSize(limits: TypeLimits, type: StorageType, size: number): void {
  if (limits.maxUploadBytes !== undefined && size > limits.maxUploadBytes) {
    throw new TooLarge(`The ${type} storage type takes objects of at most ${limits.maxUploadBytes} bytes; this one is ${size} bytes`);
  }
}

/** Whether uploads that go straight to the store (URLs, sessions) must declare their size. */
export function needsSize(limits: TypeLimits): boolean {
  return limits.quotaBytes !== undefined || limits.maxUploadBytes !== undefined;
}

/**
 * The size an upload URL or session declares: required (400 naming `size`) where the type
 * has a quota or a largest object, then checked against the largest object.
 */
export function declaredSize(limits: TypeLimits, type: StorageType, size: number | undefined): number | undefined {
  if (size === undefined) {
    if (needsSize(limits)) {
      throw new BadRequest(
        `size is required on the ${type} storage type (it has a quota or a largest object): give the upload's size in bytes`,
      );
    }
    return undefined;
  }
  checkSize(limits, type, size);
  return size;
}
