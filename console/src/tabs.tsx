/** One tab per storage type the caller may list; the arrow keys move between them (the ARIA tabs pattern). */
import { useRef } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import { TYPE_NAMES } from './format';

interface Props {
  types: StorageType[];
  current: StorageType;
  /** The panel the tabs control. */
  panel: string;
  onOpen: (type: StorageType) => void;
}

export function TypeTabs({ types, current, panel, onOpen }: Props) {
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  return (
    <div role="tablist" aria-label="Storage types" class="tabs">
      {types.map((each, index) => (
        <button
          type="button"
          role="tab"
          id={tabId(each)}
          aria-selected={each === current}
          aria-controls={panel}
          tabIndex={each === current ? 0 : -1}
          ref={(element) => {
            tabs.current[index] = element;
          }}
          onClick={() => onOpen(each)}
          onKeyDown={(event) => {
            const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
            if (!step) return;
            event.preventDefault();
            const target = (index + step + types.length) % types.length;
            tabs.current[target]?.focus();
            onOpen(types[target] as StorageType);
          }}
        >
          {TYPE_NAMES[each]}
        </button>
      ))}
    </div>
  );
}

/** The id of a type's tab, which labels the panel. */
export function tabId(type: StorageType): string {
  return `tab-${type}`;
}
