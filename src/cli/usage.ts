/**
 * `storage usage` for people: a table of the namespace's storage types, each with the bytes and
 * objects it stores, the bytes uploads under way hold, its quota and its largest upload.
 */
import { STORAGE_TYPES, type Usage } from '../client';
import { bytes } from './progress';

const HEADINGS = ['type', 'used', 'objects', 'reserved', 'quota', 'max upload'] as const;

/** A limit in human units, or `none` where there is none. */
export function limit(value: number | null): string {
  return value === null ? 'none' : bytes(value);
}

/**
 * The answer as a table, one storage type a line, columns two spaces apart: the type's name
 * left-aligned, the figures right-aligned.
 */
export function usageTable(usage: Usage): string {
  const rows = STORAGE_TYPES.filter((type) => usage.types[type] !== undefined).map((type) => {
    const each = usage.types[type];
    return [type, bytes(each.bytes), String(each.objects), bytes(each.reservedBytes), limit(each.quotaBytes), limit(each.maxUploadBytes)];
  });
  const table = [[...HEADINGS], ...rows];
  const widths = HEADINGS.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  const lines = table.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  return `namespace ${usage.namespace}\n${lines.join('\n')}\n`;
}
