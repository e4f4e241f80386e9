/**
 * A storage type's usage under its tab's description: what the caller stores there against the
 * type's quota, if it has one (GET /usage, one answer for every type), asked again whenever
 * `refreshes` changes (after an upload, a delete, or the Refresh button), and once more a
 * moment later, when the gateway has counted the change.
 */
import { useEffect, useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import type { AnswerOf } from '../../src/protocol/answers';
import type { Api } from './api';
import { formatUsage, TYPE_NAMES } from './format';
import './usage.css';

export type Usage = AnswerOf<'usage'>;

/** The gateway counts a change within about a second: after one, usage is asked again this much later. */
const SETTLED_MS = 2000;

/**
 * The caller's usage, the newest answer. A failure shows none rather than an alert: the line is
 * a help, and a gateway without the route (or a passing fault) must not stand in the way.
 */
export function useUsage(api: Api, refreshes: number): Usage | undefined {
  const [usage, setUsage] = useState<Usage>();
  useEffect(() => {
    let current = true;
    const ask = () =>
      api.json('usage', {}).then(
        (found) => current && setUsage(found),
        () => current && setUsage(undefined),
      );
    void ask();
    const again = refreshes > 0 ? setTimeout(() => void ask(), SETTLED_MS) : undefined;
    return () => {
      current = false;
      clearTimeout(again);
    };
  }, [api, refreshes]);
  return usage;
}

export function UsageLine({ usage, type }: { usage: Usage | undefined; type: StorageType }) {
  const mine = usage?.types[type];
  if (!mine) return null;
  const quota = mine.quotaBytes;
  return (
    <p class="usage" aria-live="polite">
      <span class="usage-text">{formatUsage(mine)}</span>
      {quota !== null && quota > 0 && (
        <meter
          min={0}
          max={quota}
          high={quota * 0.9}
          optimum={0}
          value={Math.min(quota, mine.bytes)}
          aria-label={`${TYPE_NAMES[type]}: share of the quota used`}
        />
      )}
    </p>
  );
}
