/** Above the listing: filter by name, sort by name, list the folder again. */
interface Props {
  filter: string;
  onFilter: (filter: string) => void;
  descending: boolean;
  onSort: (descending: boolean) => void;
  onRefresh: () => void;
}

export function Toolbar({ filter, onFilter, descending, onSort, onRefresh }: Props) {
  return (
    <div class="toolbar">
      <label class="filter">
        <span>Filter</span>
        <input type="search" value={filter} onInput={(event) => onFilter(event.currentTarget.value)} placeholder="Name contains…" />
      </label>
      <button type="button" onClick={() => onSort(!descending)} aria-label={`Sort by name, ${descending ? 'Z to A' : 'A to Z'}`}>
        Name {descending ? '↓' : '↑'}
      </button>
      <button type="button" onClick={onRefresh}>
        Refresh
      </button>
    </div>
  );
}
