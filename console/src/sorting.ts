/**
 * How the listing is ordered: by name, size or date, either way. Folders always come first
 * (the listing tells no size or date of a folder), by name, turned round only by the name order.
 */
import type { ListedKey } from './api';

export type SortField = 'name' | 'size' | 'date';

export interface Sort {
  by: SortField;
  descending: boolean;
}

export const SORT_FIELDS: { field: SortField; label: string; ascending: string; descending: string }[] = [
  { field: 'name', label: 'Name', ascending: 'A to Z', descending: 'Z to A' },
  { field: 'size', label: 'Size', ascending: 'smallest first', descending: 'largest first' },
  { field: 'date', label: 'Modified', ascending: 'oldest first', descending: 'newest first' },
];

/** A field picked afresh starts the way people mostly want it: names A to Z, the largest and the newest first. */
export function pick(sort: Sort, field: SortField): Sort {
  return field === sort.by ? { by: field, descending: !sort.descending } : { by: field, descending: field !== 'name' };
}

/** By code unit, as the store orders keys, so the order does not change with the reader's locale. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function sortFolders(folders: string[], sort: Sort): string[] {
  const turn = sort.by === 'name' && sort.descending ? -1 : 1;
  return folders.sort((a, b) => turn * byName(a, b));
}

export function sortKeys(keys: ListedKey[], sort: Sort): ListedKey[] {
  const turn = sort.descending ? -1 : 1;
  const measure = (listed: ListedKey) => (sort.by === 'size' ? listed.size : listed.lastModified.getTime());
  // Ties (same size, same second) keep name order, so the listing does not shuffle between loads.
  return keys.sort((a, b) => (sort.by === 'name' ? turn * byName(a.key, b.key) : turn * (measure(a) - measure(b)) || byName(a.key, b.key)));
}
