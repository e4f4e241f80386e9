/**
 * Which folder is shown, and moving to another: `open` as the user asks, the address
 * following so that Back returns; Back and Forward as the address then names it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import { addressOf, placeIn, type Place } from './address';

/**
 * `types` are those the caller may list: the address picks among them, else the first is shown.
 * `onMove` runs on every move, to forget what was picked in the folder left.
 */
export function usePlace(types: StorageType[], onMove: () => void) {
  const [place, setPlace] = useState<Place | undefined>(() => {
    const first = types[0];
    return placeIn(location.hash, types) ?? (first ? { type: first, prefix: '' } : undefined);
  });

  const show = (next: Place) => {
    // A new object even where it names the place shown: useFolder lists each move afresh.
    setPlace({ ...next });
    onMove();
  };
  const latestShow = useRef(show);
  latestShow.current = show;

  // Back and forward move between folders, as the address names them.
  useEffect(() => {
    const follow = () => {
      const next = placeIn(location.hash, types);
      if (next) latestShow.current(next);
    };
    addEventListener('popstate', follow);
    return () => removeEventListener('popstate', follow);
  }, []);

  const open = (next: Place) => {
    const address = addressOf(next);
    if (location.hash !== address) history.pushState(null, '', address);
    show(next);
  };

  return { place, open };
}
