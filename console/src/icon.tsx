const ICONS = {
  folder: 'M1.5 3.5h5l1.5 1.5h6.5v8.5h-13z',
  file: 'M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3',
  up: 'M6 3.5l-3.5 3.5 3.5 3.5 M2.5 7h7a4 4 0 0 1 4 4v2',
};

/** A small line drawing: no icon font, nothing a screen reader reads. */
export function Icon({ kind }: { kind: keyof typeof ICONS }) {
  return (
    <svg class={`icon ${kind}`} viewBox="0 0 16 16" width="18" height="18" aria-hidden="true" focusable="false">
      <path d={ICONS[kind]} />
    </svg>
  );
}
