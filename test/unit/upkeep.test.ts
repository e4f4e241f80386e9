/** Which background jobs run on which engine, and that a failing one is logged and retried. */
import { createLogger } from '../../src/log';
import type { StorageService } from '../../src/storage/service';
import type { StoreUpkeep } from '../../src/store/types';
import { startUpkeep, type UpkeepSettings } from '../../src/upkeep';

function fakeStore() {
  const calls: string[] = [];
  let failing = false;
  const track = (name: string) => async () => {
    calls.push(name);
    if (failing) throw new Error(`${name} failed`);
    return 0;
  };
  const store: StoreUpkeep = {
    sweepOrphanedStreams: track('sweepOrphanedStreams'),
    sweepUrlUploads: track('sweepUrlUploads'),
    abortStaleUploads: track('abortStaleUploads'),
    ensureFilerTtl: async (bucket) => {
      calls.push(`ensureFilerTtl ${bucket}`);
      return 'present';
    },
  };
  const service = {
    uploads: { abortAbandoned: track('abortAbandonedSessions') },
    usage: { recountExpiring: track('recountExpiring') },
  } as unknown as StorageService;
  return { store, service, calls, fail: () => (failing = true) };
}

const settings = (engine: UpkeepSettings['engine']): UpkeepSettings => ({
  engine,
  buckets: ['p-data', 'p-tmp'],
  tmpBucket: 'p-tmp',
  orphanAgeMs: 3600_000,
  abandonAfterMs: 24 * 3600_000,
  ready: () => true,
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

it.each([
  ['aws', ['sweepOrphanedStreams', 'sweepOrphanedStreams']],
  ['minio', ['sweepOrphanedStreams', 'sweepOrphanedStreams', 'abortAbandonedSessions']],
  [
    'seaweedfs',
    [
      'sweepOrphanedStreams',
      'sweepOrphanedStreams',
      'abortAbandonedSessions',
      'abortStaleUploads',
      'abortStaleUploads',
      'ensureFilerTtl p-tmp',
    ],
  ],
] as const)('on %s runs at start: %j', async (engine, expected) => {
  const { store, service, calls } = fakeStore();
  const stop = startUpkeep(store, service, settings(engine), createLogger('silent'));
  await settle();
  await settle();
  stop();
  expect(calls.sort()).toEqual([...expected].sort());
});

it('waits for the buckets, and logs a failing job without throwing', async () => {
  const { store, service, calls, fail } = fakeStore();
  let ready = false;
  const lines: string[] = [];
  const logger = createLogger('warn');
  jest.spyOn(logger, 'warn').mockImplementation(((_: unknown, message: string) => lines.push(message)) as never);
  jest.useFakeTimers();
  try {
    const stop = startUpkeep(store, service, { ...settings('minio'), ready: () => ready }, logger);
    expect(calls).toEqual([]);
    ready = true;
    fail();
    await jest.advanceTimersByTimeAsync(30 * 60_000);
    stop();
  } finally {
    jest.useRealTimers();
  }
  expect(calls).toContain('abortAbandonedSessions');
  expect(lines).toContain('could not abort abandoned upload sessions; will retry');
  expect(lines).toContain('could not sweep orphaned uploads; will retry');
});
