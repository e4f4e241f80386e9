/** Above the listing: filter by name, sort by name, size or date, list the folder again. */
import { pick, SORT_FIELDS, type Sort } from './sorting';

interface Props {
  filter: string;
  onFilter: (filter: string) => void;
  sort: Sort;
  onSort: (sort: Sort) => void;
  onRefresh: () => void;
}

export function Toolbar({ filter, onFilter, sort, onSort, onRefresh }: Props) {
  return (
    <div class="toolbar">
      <label class="filter">
        <span>Filter</span>
        <input type="search" value={filter} onInput={(event) => onFilter(event.currentTarget.value)} placeholder="Name contains…" />
      </label>
      <div class="sort" role="group" aria-label="Sort">
        {SORT_FIELDS.map(({ field, label, ascending, descending }) => {
          const active = sort.by === field;
          return (
            <button
              key={field}
              type="button"
              aria-pressed={active}
              onClick={() => onSort(pick(sort, field))}
              aria-label={`Sort by ${label.toLowerCase()}${active ? `, ${sort.descending ? descending : ascending}` : ''}`}
            >
              {label} {active && (sort.descending ? '↓' : '↑')}
            </button>
          );
        })}
      </div>
      <button type="button" onClick={onRefresh}>
        Refresh
      </button>
    </div>
  );
}
