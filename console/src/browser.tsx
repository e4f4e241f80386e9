/**
 * One tab per storage type the caller may list; in a tab, one folder at a time: breadcrumbs,
 * a filter, sort by name, "load more" pages (X-NEXT), and the selected key's details. Key
 * names are the caller's own text and are only ever rendered as text.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import { ApiError, type Api, type Capabilities } from './api';
import { BulkDelete } from './bulkDelete';
import { Details } from './details';
import { Uploads } from './uploads';

interface Props {
  api: Api;
  capabilities: Capabilities;
  onUnauthorized: (why: string) => void;
}

interface Folder {
  keys: string[];
  prefixes: string[];
  next: string | undefined;
}

/** Rows drawn at most, so a folder of 100,000 loaded keys stays quick to show and filter. */
const MAX_DRAWN = 2000;

const TYPE_NAMES: Record<StorageType, string> = { data: 'Data', tmp: 'Temporary', products: 'Products', result: 'Results', logs: 'Logs' };

export function Browser({ api, capabilities, onUnauthorized }: Props) {
  const types = (Object.keys(capabilities.types) as StorageType[]).filter((type) => capabilities.types[type]?.operations.includes('list'));
  const start = placeInAddress(types);
  const [type, setType] = useState<StorageType | undefined>(start?.type ?? types[0]);
  const [prefix, setPrefix] = useState(start?.prefix ?? '');
  const [folder, setFolder] = useState<Folder>();
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [filter, setFilter] = useState('');
  const [descending, setDescending] = useState(false);
  const [selected, setSelected] = useState<string>();
  const [reloads, setReloads] = useState(0);
  /** Keys ticked for deleting together. */
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const request = useRef(0);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);

  const fail = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) onUnauthorized(error.message);
    else setProblem(error instanceof Error ? error.message : String(error));
  };

  /** Loads the first page of the folder shown; a newer request makes an older answer moot. */
  useEffect(() => {
    if (!type) return;
    const mine = ++request.current;
    setLoading(true);
    setProblem(undefined);
    api.list(type, prefix).then(
      (page) => {
        if (mine !== request.current) return;
        setFolder(page);
        setLoading(false);
      },
      (error: unknown) => {
        if (mine !== request.current) return;
        setFolder({ keys: [], prefixes: [], next: undefined });
        setLoading(false);
        fail(error);
      },
    );
  }, [type, prefix, reloads]);

  const loadMore = () => {
    if (!type || !folder?.next) return;
    const mine = ++request.current;
    setLoading(true);
    api.list(type, prefix, folder.next).then(
      (page) => {
        if (mine !== request.current) return;
        setFolder({ keys: [...folder.keys, ...page.keys], prefixes: [...folder.prefixes, ...page.prefixes], next: page.next });
        setLoading(false);
      },
      (error: unknown) => {
        if (mine !== request.current) return;
        setLoading(false);
        fail(error);
      },
    );
  };

  // Back and forward move between folders, as the address names them.
  useEffect(() => {
    const follow = () => {
      const place = placeInAddress(types);
      if (place) show(place.type, place.prefix);
    };
    addEventListener('popstate', follow);
    return () => removeEventListener('popstate', follow);
  }, []);

  const open = (nextType: StorageType, nextPrefix: string) => {
    const address = addressOf(nextType, nextPrefix);
    if (location.hash !== address) history.pushState(null, '', address);
    show(nextType, nextPrefix);
  };

  const show = (nextType: StorageType, nextPrefix: string) => {
    setType(nextType);
    setPrefix(nextPrefix);
    setFolder(undefined);
    setSelected(undefined);
    setTicked(new Set());
    setFilter('');
  };

  const entries = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const named = (full: string) => full.slice(prefix.length);
    const matches = (full: string) => !needle || named(full).toLowerCase().includes(needle);
    const order = (a: string, b: string) => (descending ? -1 : 1) * (a < b ? -1 : a > b ? 1 : 0);
    return {
      folders: (folder?.prefixes ?? []).filter(matches).sort(order),
      keys: (folder?.keys ?? []).filter(matches).sort(order),
    };
  }, [folder, filter, descending, prefix]);

  if (!type)
    return (
      <p role="alert" class="alert">
        This token may not list any storage type.
      </p>
    );
  const allowed = capabilities.types[type]?.operations ?? [];
  const crumbs = prefix.split('/').filter(Boolean);
  const shown = entries.folders.length + entries.keys.length;
  // However many pages are loaded, the page draws at most MAX_DRAWN rows: the filter finds the rest.
  const drawnFolders = entries.folders.slice(0, MAX_DRAWN);
  const drawnKeys = entries.keys.slice(0, Math.max(0, MAX_DRAWN - drawnFolders.length));
  const loaded = (folder?.keys.length ?? 0) + (folder?.prefixes.length ?? 0);

  return (
    <main class="browser">
      <div role="tablist" aria-label="Storage types" class="tabs">
        {types.map((each, index) => (
          <button
            type="button"
            role="tab"
            id={`tab-${each}`}
            aria-selected={each === type}
            aria-controls="folder-panel"
            tabIndex={each === type ? 0 : -1}
            ref={(element) => {
              tabs.current[index] = element;
            }}
            onClick={() => open(each, '')}
            onKeyDown={(event) => {
              const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
              if (!step) return;
              event.preventDefault();
              const target = (index + step + types.length) % types.length;
              tabs.current[target]?.focus();
              open(types[target] as StorageType, '');
            }}
          >
            {TYPE_NAMES[each]}
          </button>
        ))}
      </div>

      <section id="folder-panel" role="tabpanel" aria-labelledby={`tab-${type}`} class="panel">
        <nav aria-label="Folder path" class="crumbs">
          <ol>
            <li>
              <button type="button" class="link" onClick={() => open(type, '')} aria-current={prefix === '' ? 'location' : undefined}>
                {TYPE_NAMES[type]}
              </button>
            </li>
            {crumbs.map((part, index) => {
              const target = `${crumbs.slice(0, index + 1).join('/')}/`;
              return (
                <li key={target}>
                  <button
                    type="button"
                    class="link"
                    onClick={() => open(type, target)}
                    aria-current={target === prefix ? 'location' : undefined}
                  >
                    {part}
                  </button>
                </li>
              );
            })}
          </ol>
        </nav>

        <div class="toolbar">
          <label class="filter">
            <span>Filter</span>
            <input type="search" value={filter} onInput={(event) => setFilter(event.currentTarget.value)} placeholder="Name contains…" />
          </label>
          <button type="button" onClick={() => setDescending(!descending)} aria-label={`Sort by name, ${descending ? 'Z to A' : 'A to Z'}`}>
            Name {descending ? '↓' : '↑'}
          </button>
          <button type="button" onClick={() => setReloads(reloads + 1)}>
            Refresh
          </button>
        </div>

        <Uploads
          api={api}
          target={allowed.includes('signUpload') ? { type, prefix } : undefined}
          onUploaded={(uploadedType, key) => {
            if (uploadedType === type && key.startsWith(prefix)) setReloads((n) => n + 1);
          }}
          onError={fail}
        />

        {problem && (
          <p role="alert" class="alert">
            {problem}
          </p>
        )}

        <div class="columns">
          <div class="listing">
            {ticked.size > 0 && (
              <BulkDelete
                api={api}
                type={type}
                keys={[...ticked]}
                onDone={(deleted) => {
                  setTicked(new Set());
                  setFolder((shownFolder) => shownFolder && { ...shownFolder, keys: shownFolder.keys.filter((k) => !deleted.includes(k)) });
                  if (selected && deleted.includes(selected)) setSelected(undefined);
                }}
                onClear={() => setTicked(new Set())}
                onError={fail}
              />
            )}
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
                    <button type="button" class="entry folder" onClick={() => open(type, parentOf(prefix))}>
                      <Icon kind="up" /> Up one level
                    </button>
                  </li>
                )}
                {drawnFolders.map((full) => (
                  <li key={`d:${full}`}>
                    <button type="button" class="entry folder" onClick={() => open(type, full)}>
                      <Icon kind="folder" />
                      <span class="name">{full.slice(prefix.length, -1)}</span>
                      <span class="sr-only"> (folder)</span>
                    </button>
                  </li>
                ))}
                {drawnKeys.map((full) => (
                  <li key={`k:${full}`} class={allowed.includes('delete') ? 'tickable' : undefined}>
                    {allowed.includes('delete') && (
                      <input
                        type="checkbox"
                        class="tick"
                        checked={ticked.has(full)}
                        aria-label={`Select ${full.slice(prefix.length)}`}
                        onChange={(event) => {
                          const next = new Set(ticked);
                          if (event.currentTarget.checked) next.add(full);
                          else next.delete(full);
                          setTicked(next);
                        }}
                      />
                    )}
                    <button type="button" class="entry file" aria-pressed={selected === full} onClick={() => setSelected(full)}>
                      <Icon kind="file" />
                      <span class="name">{full.slice(prefix.length)}</span>
                    </button>
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
              <button type="button" class="more" onClick={loadMore} disabled={loading}>
                Load more
              </button>
            )}
          </div>
          {selected && (
            <Details
              key={`${type}:${selected}`}
              api={api}
              type={type}
              objectKey={selected}
              allowed={allowed}
              note={capabilities.types[type]?.note ?? ''}
              maxTtlSeconds={capabilities.signedUrlMaxTtlSeconds}
              onClose={() => setSelected(undefined)}
              onDeleted={() => {
                setSelected(undefined);
                setFolder((shownFolder) => shownFolder && { ...shownFolder, keys: shownFolder.keys.filter((k) => k !== selected) });
              }}
              onError={fail}
            />
          )}
        </div>
      </section>
    </main>
  );
}

function parentOf(prefix: string): string {
  const parts = prefix.split('/').filter(Boolean);
  return parts.length <= 1 ? '' : `${parts.slice(0, -1).join('/')}/`;
}

const ICONS = {
  folder: 'M1.5 3.5h5l1.5 1.5h6.5v8.5h-13z',
  file: 'M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3',
  up: 'M6 3.5l-3.5 3.5 3.5 3.5 M2.5 7h7a4 4 0 0 1 4 4v2',
};

/** A small line drawing: no icon font, nothing a screen reader reads. */
function Icon({ kind }: { kind: keyof typeof ICONS }) {
  return (
    <svg class={`icon ${kind}`} viewBox="0 0 16 16" width="18" height="18" aria-hidden="true" focusable="false">
      <path d={ICONS[kind]} />
    </svg>
  );
}

/**
 * The folder shown, in the address fragment (`#/data/docs/2024/`), so a reload or a shared
 * address opens it and Back goes up again. The fragment never reaches the server.
 */
function addressOf(type: StorageType, prefix: string): string {
  return `#/${type}/${prefix.split('/').map(encodeURIComponent).join('/')}`;
}

function placeInAddress(types: StorageType[]): { type: StorageType; prefix: string } | undefined {
  const match = /^#\/([a-z]+)\/(.*)$/.exec(location.hash);
  const type = types.find((each) => each === match?.[1]);
  if (!match || !type) return undefined;
  try {
    const prefix = (match[2] ?? '').split('/').map(decodeURIComponent).join('/');
    return prefix === '' || prefix.endsWith('/') ? { type, prefix } : undefined;
  } catch {
    return undefined;
  }
}
