/** Where the folder shown is: its type, then each folder down to it, each a way back up. */
import { TYPE_NAMES } from './format';
import type { Place } from './address';

interface Props {
  place: Place;
  onOpen: (place: Place) => void;
}

export function Crumbs({ place: { type, prefix }, onOpen }: Props) {
  const parts = prefix.split('/').filter(Boolean);
  return (
    <nav aria-label="Folder path" class="crumbs">
      <ol>
        <li>
          <button
            type="button"
            class="link"
            onClick={() => onOpen({ type, prefix: '' })}
            aria-current={prefix === '' ? 'location' : undefined}
          >
            {TYPE_NAMES[type]}
          </button>
        </li>
        {parts.map((part, index) => {
          const target = `${parts.slice(0, index + 1).join('/')}/`;
          return (
            <li key={target}>
              <button
                type="button"
                class="link"
                onClick={() => onOpen({ type, prefix: target })}
                aria-current={target === prefix ? 'location' : undefined}
              >
                {part}
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
