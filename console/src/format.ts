/** Sizes, dates and storage types as people read them. */
import type { AnswerOf } from '../../src/protocol/answers';
import type { StorageType } from '../../src/protocol/storageTypes';

export const TYPE_NAMES: Record<StorageType, string> = {
  data: 'Data',
  tmp: 'Temporary',
  products: 'Products',
  result: 'Results',
  logs: 'Logs',
};

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/** One storage type's usage (GET /usage): `quotaBytes` and `maxUploadBytes` null where there is no limit. */
export type TypeUsage = AnswerOf<'usage'>['types'][StorageType];

/**
 * A storage type's usage in a line: "1.2 MiB of 10 MiB used, 3 objects" against a quota, else
 * "1.2 MiB used, 3 objects"; then what uploads under way hold and the largest upload, if any.
 */
export function formatUsage(usage: TypeUsage): string {
  const used = usage.quotaBytes === null ? formatSize(usage.bytes) : `${formatSize(usage.bytes)} of ${formatSize(usage.quotaBytes)}`;
  const parts = [`${used} used`, `${usage.objects} ${usage.objects === 1 ? 'object' : 'objects'}`];
  if (usage.reservedBytes > 0) parts.push(`${formatSize(usage.reservedBytes)} held for uploads under way`);
  const line = parts.join(', ');
  return usage.maxUploadBytes === null ? line : `${line}; files up to ${formatSize(usage.maxUploadBytes)}`;
}

/** A time left, rounded as a person would say it. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function formatDate(date: Date | undefined): string {
  return date ? date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : 'unknown';
}

/** Lifetimes a share link may be given: 1 hour to 7 days, within what the gateway allows. */
export const SHARE_LIFETIMES: { seconds: number; label: string }[] = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 6 * 3600, label: '6 hours' },
  { seconds: 24 * 3600, label: '1 day' },
  { seconds: 3 * 24 * 3600, label: '3 days' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
];
