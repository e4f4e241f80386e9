/**
 * The storage browser: a tab per storage type the caller may list; in a tab, one folder at a
 * time (breadcrumbs, a filter, sort by name, size or date, "load more" pages), uploads into it, and the
 * selected key's details or the ticked keys to delete together. This file puts the parts
 * together and keeps what is picked; each part is a file of its own.
 */
import { useRef, useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import type { Api, Capabilities } from './api';
import { BulkDelete } from './bulkDelete';
import { Crumbs } from './crumbs';
import { Details } from './details';
import { FolderEntries } from './entries';
import { S3Access } from './s3Access';
import { tabId, TypeTabs } from './tabs';
import type { Sort } from './sorting';
import { Toolbar } from './toolbar';
import { aboutId, TypeAbout } from './typeAbout';
import { Uploads } from './uploads';
import { UsageLine, useUsage } from './usage';
import { useFolder } from './useFolder';
import { usePlace } from './usePlace';
import { useProblem } from './useProblem';

interface Props {
  api: Api;
  capabilities: Capabilities;
  onUnauthorized: (why: string) => void;
}

const PANEL = 'folder-panel';

export function Browser({ api, capabilities, onUnauthorized }: Props) {
  const types = (Object.keys(capabilities.types) as StorageType[]).filter((type) => capabilities.types[type]?.operations.includes('list'));
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<Sort>({ by: 'name', descending: false });
  const [selected, setSelected] = useState<string>();
  /** Keys ticked for deleting together. */
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const { place, open } = usePlace(types, () => {
    setSelected(undefined);
    setTicked(new Set());
    setFilter('');
  });
  const { problem, ...problems } = useProblem(onUnauthorized);
  const { folder, loading, loadMore, reload, forget } = useFolder(api, place, problems);
  /** Changed after every upload and delete, and by Refresh: the usage line asks again. */
  const [changes, setChanges] = useState(0);
  const changed = () => setChanges((n) => n + 1);
  const usage = useUsage(api, changes);
  // Uploads calls back the onUploaded of the render its queue started in, maybe folders ago:
  // whether a finished file belongs in the listing is asked of the place shown now.
  const shown = useRef(place);
  shown.current = place;

  if (!place)
    return (
      <p role="alert" class="alert">
        This token may not list any storage type.
      </p>
    );
  const { type } = place;
  const allowed = capabilities.types[type]?.operations ?? [];

  return (
    <main class="browser">
      <TypeTabs types={types} current={type} panel={PANEL} onOpen={(each) => open({ type: each, prefix: '' })} />

      <section id={PANEL} role="tabpanel" aria-labelledby={tabId(type)} aria-describedby={aboutId(type)} class="panel">
        <TypeAbout type={type} rights={capabilities.types[type]} />
        <UsageLine usage={usage} type={type} />
        <Crumbs place={place} onOpen={open} />
        <Toolbar
          filter={filter}
          onFilter={setFilter}
          sort={sort}
          onSort={setSort}
          onRefresh={() => {
            reload();
            changed();
          }}
        />
        <S3Access api={api} type={type} prefix={place.prefix} onError={problems.fail} />

        <Uploads
          api={api}
          target={allowed.includes('signUpload') ? place : undefined}
          onUploaded={(uploadedType, key) => {
            changed();
            if (uploadedType === shown.current?.type && key.startsWith(shown.current.prefix)) reload();
          }}
          onError={problems.fail}
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
                  changed();
                  setTicked(new Set());
                  forget(deleted);
                  if (selected && deleted.includes(selected)) setSelected(undefined);
                }}
                onClear={() => setTicked(new Set())}
                onError={problems.fail}
              />
            )}
            <FolderEntries
              place={place}
              folder={folder}
              loading={loading}
              filter={filter}
              sort={sort}
              tickable={allowed.includes('delete')}
              ticked={ticked}
              onTicked={setTicked}
              selected={selected}
              onSelect={setSelected}
              onOpen={open}
              onMore={loadMore}
            />
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
                changed();
                setSelected(undefined);
                forget([selected]);
              }}
              onError={problems.fail}
            />
          )}
        </div>
      </section>
    </main>
  );
}
