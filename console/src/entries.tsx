/**
 * The folder's contents as loaded: filtered and sorted (sorting.ts), a way up, its folders, then
 * its keys with their sizes and dates, each key tickable where it may be deleted. Key names are
 * the caller's own text and are only ever rendered as text.
 */
import { useMemo } from 'preact/hooks';
import { parentOf, type Place } from './address';
import type { Listing } from './api';
import { formatDate, formatSize } from './format';
import { Icon } from './icon';
import { sortFolders, sortKeys, type Sort } from './sorting';

interface Props {
  place: Place;
  folder: Listing | undefined;
  loading: boolean;
  filter: string;
  sort: Sort;
  /** Whether keys may be ticked (for deleting together). */
  tickable: boolean;
  ticked: ReadonlySet<string>;
  onTicked: (ticked: ReadonlySet<string>) => void;
  selected: string | undefined;
  onSelect: (key: string) => void;
  onOpen: (place: Place) => void;
  onMore: () => void;
}

/** Rows drawn at most, so a folder of 100,000 loaded keys stays quick to show and filter. */
const MAX_DRAWN = 2000;

export function FolderEntries(props: Props) {
  const { place, folder, loading, filter, sort, tickable, ticked, onTicked, selected, onSelect, onOpen, onMore } = props;
  const { type, prefix } = place;
  const entries = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const named = (full: string) => full.slice(prefix.length);
    const matches = (full: string) => !needle || named(full).toLowerCase().includes(needle);
    return {
      folders: sortFolders((folder?.prefixes ?? []).filter(matches), sort),
      keys: sortKeys(
        (folder?.keys ?? []).filter(({ key }) => matches(key)),
        sort,
      ),
    };
  }, [folder, filter, sort, prefix]);

  const shown = entries.folders.length + entries.keys.length;
  // However many pages are loaded, the page draws at most MAX_DRAWN rows: the filter finds the rest.
  const drawnFolders = entries.folders.slice(0, MAX_DRAWN);
  const drawnKeys = entries.keys.slice(0, Math.max(0, MAX_DRAWN - drawnFolders.length));
  const loaded = (folder?.keys.length ?? 0) + (folder?.prefixes.length ?? 0);
  const tick = (key: string, on: boolean) => {
    const next = new Set(ticked);
    if (on) next.add(key);
    else next.delete(key);
    onTicked(next);
  };

  return (
    <>
      <p class="status" aria-live="polite">
        {loading
          ? 'Loading…'
          : filter
            ? `${shown} of ${loaded} loaded entries match`
            : `${loaded} ${loaded === 1 ? 'entry' : 'entries'}${folder?.next ? ' so far' : ''}`}
      </p>
      {(prefix !== '' || shown > 0) && (
        <ul class="entries" aria-label="Folder contents">
          {prefix && (
            <li>
              <button type="button" class="entry folder" onClick={() => onOpen({ type, prefix: parentOf(prefix) })}>
                <Icon kind="up" /> Up one level
              </button>
            </li>
          )}
          {drawnFolders.map((full) => (
            <li key={`d:${full}`}>
              <button type="button" class="entry folder" onClick={() => onOpen({ type, prefix: full })}>
                <Icon kind="folder" />
                <span class="name">{full.slice(prefix.length, -1)}</span>
                <span class="sr-only"> (folder)</span>
              </button>
            </li>
          ))}
          {drawnKeys.map(({ key: full, size, lastModified }) => (
            <li key={`k:${full}`} class={tickable ? 'tickable' : undefined}>
              {tickable && (
                <input
                  type="checkbox"
                  class="tick"
                  checked={ticked.has(full)}
                  aria-label={`Select ${full.slice(prefix.length)}`}
                  onChange={(event) => tick(full, event.currentTarget.checked)}
                />
              )}
              <button type="button" class="entry file" aria-pressed={selected === full} onClick={() => onSelect(full)}>
                <Icon kind="file" />
                <span class="name">{full.slice(prefix.length)}</span>
              </button>
              <span class="size">{formatSize(size)}</span>
              <time class="date" dateTime={lastModified.toISOString()}>
                {formatDate(lastModified)}
              </time>
            </li>
          ))}
        </ul>
      )}
      {!loading && folder && loaded === 0 && <p class="empty">This folder is empty.</p>}
      {shown > MAX_DRAWN && (
        <p class="note">
          Showing the first {MAX_DRAWN.toLocaleString()} of {shown.toLocaleString()}: type in the filter to find others.
        </p>
      )}
      {folder?.next && (
        <button type="button" class="more" onClick={onMore} disabled={loading}>
          Load more
        </button>
      )}
    </>
  );
}
