/**
 * The folder shown, as far as it is loaded: its first page when a place is shown or listed
 * again, further pages (X-NEXT) on request. A newer request makes an older answer moot, and a
 * page is only ever shown for the place it was listed for.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api, Listing } from './api';
import type { Place } from './address';
import type { Problems } from './useProblem';

const EMPTY: Listing = { keys: [], prefixes: [], next: undefined };

export function useFolder(api: Api, place: Place | undefined, problems: Problems) {
  /** The pages loaded, and the place they were listed for. */
  const [loaded, setLoaded] = useState<{ place: Place; folder: Listing }>();
  const [busy, setBusy] = useState(false);
  const [reloads, setReloads] = useState(0);
  const request = useRef(0);
  const folder = place && loaded?.place === place ? loaded.folder : undefined;

  /**
   * Asks for a page of the place, the first or the one after `after`; its answer, unless a newer
   * request came since, becomes what is loaded. A first page refused shows an empty folder.
   */
  const ask = (at: Place, after: string | undefined, merge: (page: Listing) => Listing) => {
    const mine = ++request.current;
    setBusy(true);
    api.list(at.type, at.prefix, after).then(
      (page) => {
        if (mine !== request.current) return;
        setLoaded({ place: at, folder: merge(page) });
        setBusy(false);
      },
      (error: unknown) => {
        if (mine !== request.current) return;
        if (after === undefined) setLoaded({ place: at, folder: EMPTY });
        setBusy(false);
        problems.fail(error);
      },
    );
  };

  // Every move is a new place, though it may name the folder shown (its tab, its breadcrumb,
  // Back to it): the move forgets the pages loaded, so it must list them again.
  useEffect(() => {
    if (!place) return;
    problems.clear();
    ask(place, undefined, (page) => page);
  }, [place, reloads]);

  const loadMore = () => {
    if (!place || !folder?.next) return;
    ask(place, folder.next, (page) => ({
      keys: [...folder.keys, ...page.keys],
      prefixes: [...folder.prefixes, ...page.prefixes],
      next: page.next,
    }));
  };

  /** Takes deleted keys out of the folder shown. */
  const forget = (keys: readonly string[]) =>
    setLoaded(
      (shown) => shown && { ...shown, folder: { ...shown.folder, keys: shown.folder.keys.filter(({ key }) => !keys.includes(key)) } },
    );

  // Until its first page is in, a place is loading, not empty.
  return {
    folder,
    loading: busy || (place !== undefined && folder === undefined),
    loadMore,
    reload: () => setReloads((n) => n + 1),
    forget,
  };
}
