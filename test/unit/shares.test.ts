/** Fair shares (src/shares.ts): bounded slots, a share per principal, turns in rotation. */
import { Busy, TooManyRequests } from '../../src/errors';
import { FairPool, type Release } from '../../src/shares';

const pool = (options: Partial<ConstructorParameters<typeof FairPool>[0]> = {}) =>
  new FairPool({ limit: 'store_calls', slots: 4, perPrincipal: 2, queuedPerPrincipal: 3, maxWaitMs: 1000, what: 'calls', ...options });

/** Lets every settled promise run its handlers. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FairPool', () => {
  it('grants at once while there are slots and the principal is under its share', async () => {
    const p = pool();
    const a = await p.acquire('a');
    const b = await p.acquire('b');
    expect(p.held).toBe(2);
    a();
    b();
    expect(p.held).toBe(0);
  });

  it('keeps one principal to its share: its third call waits while another principal is served', async () => {
    const p = pool();
    const held = [await p.acquire('greedy'), await p.acquire('greedy')];
    let third: Release | undefined;
    void p.acquire('greedy').then((release) => (third = release));
    const other = await p.acquire('victim');
    await settle();
    expect(third).toBeUndefined();
    expect(p.queued).toBe(1);
    held[0]?.();
    await settle();
    expect(third).toBeDefined();
    other();
    held[1]?.();
    third?.();
    expect(p.held).toBe(0);
  });

  it('hands freed slots round the waiting principals in turn, not first come first served', async () => {
    const p = pool({ slots: 1, perPrincipal: 1, queuedPerPrincipal: 10 });
    const first = await p.acquire('x');
    const order: string[] = [];
    const wait = (who: string) =>
      p.acquire(who).then((release) => {
        order.push(who);
        setImmediate(release);
      });
    // Greedy queues three calls before the victim queues one.
    const all = [wait('greedy'), wait('greedy'), wait('greedy'), wait('victim')];
    first();
    await Promise.all(all);
    expect(order).toEqual(['greedy', 'victim', 'greedy', 'greedy']);
  });

  it('refuses a principal whose queue is full with 429, and leaves others alone', async () => {
    const p = pool({ slots: 1, perPrincipal: 1, queuedPerPrincipal: 1 });
    const held = await p.acquire('greedy');
    const queued = p.acquire('greedy');
    await expect(p.acquire('greedy')).rejects.toBeInstanceOf(TooManyRequests);
    const victim = p.acquire('victim');
    held();
    (await queued)();
    (await victim)();
    expect(p.held).toBe(0);
  });

  it('answers 503 (busy) to a waiter not served in time, and forgets it', async () => {
    const p = pool({ slots: 1, perPrincipal: 1, maxWaitMs: 50 });
    const held = await p.acquire('a');
    const error = await p.acquire('b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Busy);
    expect((error as Busy).headers['Retry-After']).toBeDefined();
    expect(p.queued).toBe(0);
    held();
    expect(p.held).toBe(0);
  });

  it('tryAcquire never waits: 429 over the share, 503 when the pool is full', () => {
    const p = pool({ slots: 3, perPrincipal: 2, code: 'too_many_transfers' });
    const a = [p.tryAcquire('a'), p.tryAcquire('a')];
    expect(() => p.tryAcquire('a')).toThrow(TooManyRequests);
    try {
      p.tryAcquire('a');
    } catch (error) {
      expect((error as TooManyRequests).code).toBe('too_many_transfers');
    }
    const b = p.tryAcquire('b');
    expect(() => p.tryAcquire('c')).toThrow(Busy);
    [...a, b].forEach((release) => release());
    expect(p.held).toBe(0);
  });

  it('counts a slot given back twice once', async () => {
    const p = pool();
    const release = await p.acquire('a');
    release();
    release();
    expect(p.held).toBe(0);
  });

  it('runs work without a principal outside the pool', async () => {
    const p = pool({ slots: 1, perPrincipal: 1 });
    const held = await p.acquire('a');
    await expect(p.run(undefined, async () => 'done')).resolves.toBe('done');
    held();
  });
});

describe('FairPool with a reserve', () => {
  it('keeps the last slots for principals holding little, whoever fills the rest', () => {
    const p = new FairPool({
      limit: 'transfers_total',
      slots: 8,
      perPrincipal: 4,
      queuedPerPrincipal: 0,
      maxWaitMs: 0,
      what: 'streams',
      reserve: { slots: 2, heldBelow: 1 },
    });
    const held = [...Array.from({ length: 4 }, () => p.tryAcquire('a')), p.tryAcquire('b'), p.tryAcquire('b')];
    // Six of eight taken: b, holding two, may not take the reserve; c, holding none, may.
    expect(() => p.tryAcquire('b')).toThrow(Busy);
    held.push(p.tryAcquire('c'), p.tryAcquire('d'));
    expect(() => p.tryAcquire('e')).toThrow(Busy);
    held.forEach((release) => release());
    expect(p.held).toBe(0);
  });
});
