/** The short memory of parent paths that are not objects, on a clock the test moves. */
import { RecentNonObjects } from '../../src/store/recentNonObjects';

function withClock(lifetimeMs = 1000, capacity = 100) {
  const clock = { now: 0 };
  return { clock, paths: new RecentNonObjects(lifetimeMs, capacity, () => clock.now) };
}

it('trusts an answer for its lifetime, counted from when the check began', () => {
  const { clock, paths } = withClock();
  clock.now = 100;
  paths.remember('b', 'ns/a', 50);
  expect(paths.has('b', 'ns/a')).toBe(true);
  clock.now = 1049;
  expect(paths.has('b', 'ns/a')).toBe(true);
  clock.now = 1050;
  expect(paths.has('b', 'ns/a')).toBe(false);
});

it('keeps buckets and paths apart', () => {
  const { paths } = withClock();
  paths.remember('b', 'ns/a', 0);
  expect(paths.has('other', 'ns/a')).toBe(false);
  expect(paths.has('b', 'ns/a/b')).toBe(false);
  expect(paths.has('b', 'ns')).toBe(false);
});

it('forgets a path the moment an object is written there', () => {
  const { clock, paths } = withClock();
  paths.remember('b', 'ns/a', 0);
  clock.now = 10;
  paths.forget('b', 'ns/a');
  expect(paths.has('b', 'ns/a')).toBe(false);
});

it('refuses an answer that a write of the same path may have overtaken', () => {
  const { clock, paths } = withClock();
  clock.now = 10;
  // The check began at 5; the write began at 10, before the check's answer came back.
  paths.forget('b', 'ns/a');
  clock.now = 20;
  paths.remember('b', 'ns/a', 5);
  expect(paths.has('b', 'ns/a')).toBe(false);
  // A check begun after the write is trusted again.
  paths.remember('b', 'ns/a', 15);
  expect(paths.has('b', 'ns/a')).toBe(true);
});

it('ignores an answer that took longer than the lifetime', () => {
  const { clock, paths } = withClock();
  clock.now = 5000;
  paths.remember('b', 'ns/a', 3000);
  expect(paths.has('b', 'ns/a')).toBe(false);
});

it('holds at most its capacity, dropping the oldest first', () => {
  const { paths } = withClock(1000, 3);
  for (const key of ['k1', 'k2', 'k3', 'k4']) paths.remember('b', key, 0);
  expect(['k1', 'k2', 'k3', 'k4'].map((key) => paths.has('b', key))).toEqual([false, true, true, true]);
});
