/**
 * Fault runs under load, each bounded in time, on MinIO processes of this file's own:
 *   1. one MinIO killed (SIGKILL) and restarted on the same drive mid-load;
 *   2. a 4-node, 8-drive MinIO cluster behind two gateway replicas, each given every node:
 *      a node killed and brought back, then the gateways' preferred (first) node killed and
 *      brought back, then a node frozen (SIGSTOP) and thawed; every write is read back at once
 *      through the other replica;
 *   3. the same cluster with a node wiped (a replaced disk) and restarted, then two nodes down.
 * (A full store is test/e2e/storeFull.test.ts.)
 * Each asserts no acknowledged write lost or corrupt, no 500, an answer to every request, and
 * recovery after the repair; and prints what callers saw: requests, % 2xx, errors by status,
 * recovery time, lost and corrupt writes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { MINIO_BINARY } from '../../src/local/minio';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { during, figures, runLoad, verifyWrites, type Answer, type LoadResult, type LoadTarget } from '../support/load';
import { startMinioCluster, type MinioCluster } from '../support/minioCluster';
import { testStore } from '../support/testStore';

// These start MinIO processes of their own; on another engine's run they would only repeat
// the MinIO run's work.
const maybe = existsSync(MINIO_BINARY) && testStore().engine === 'minio' ? describe : describe.skip;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `inARow` writes through the first target were each read back at once through the second. */
async function readsAfterWritesHold(targets: LoadTarget[], inARow: number, timeoutMs: number): Promise<boolean> {
  const [writer, reader] = targets as [LoadTarget, LoadTarget];
  let streak = 0;
  let n = 0;
  const deadline = Date.now() + timeoutMs;
  while (streak < inARow && Date.now() < deadline) {
    const key = `warm-up/${n++}`;
    const body = `written ${n}`;
    const put = await fetch(`${writer.apiUrl}/data/${key}`, { method: 'PUT', headers: writer.headers, body }).catch(() => undefined);
    const got = put?.ok ? await fetch(`${reader.apiUrl}/data/get/${key}`, { headers: reader.headers }).catch(() => undefined) : undefined;
    const same = got?.ok === true && (await got.text()) === body;
    streak = same ? streak + 1 : 0;
    if (!same) await sleep(250);
  }
  return streak >= inARow;
}

/**
 * One row of the README's fault table: what callers saw in a window of a run. Unanswered: no
 * HTTP answer within the load's 20 s client limit.
 */
function tableRow(scenario: string, answers: Answer[], lost: number) {
  const count = (status: number) => answers.filter((a) => a.status === status).length;
  const ok = answers.filter((a) => a.status >= 200 && a.status < 300).length;
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  const p99 = ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))] ?? 0;
  const other = answers.filter((a) => ![503, 507, 0].includes(a.status) && (a.status < 200 || a.status >= 300)).length;
  console.log(
    `fault table | ${scenario} | ${answers.length} | ${ok} | ${count(503)} | ${count(507)} | ${other} | ${count(0)} | ${lost} | ${p99} ms |`,
  );
  return { unanswered: count(0), other };
}

/** Asks each replica's /readyz every half second until stopped: how many answers were not 200. */
function watchReadiness(gateways: TestGateway[]): () => Promise<{ asked: number; notReady: number }> {
  let stopped = false;
  const seen = { asked: 0, notReady: 0 };
  const watching = (async () => {
    while (!stopped) {
      const statuses = await Promise.all(
        gateways.map((gw) =>
          fetch(`${gw.url}/readyz`, { signal: AbortSignal.timeout(3_000) }).then(
            (r) => r.status,
            () => 0,
          ),
        ),
      );
      seen.asked += statuses.length;
      seen.notReady += statuses.filter((status) => status !== 200).length;
      await sleep(500);
    }
  })();
  return async () => {
    stopped = true;
    await watching;
    return seen;
  };
}

const times = (list: number[]) => (list.length > 0 ? ` (at ${list.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')})` : '');

function report(scenario: string, result: LoadResult, repairAt: number, verified: { lost: number; corrupt: number; checked: number }) {
  const seen = figures(result.answers, repairAt);
  console.log(
    `${scenario}: ${seen.requests} requests, ${seen.percentOk}% 2xx, errors ${JSON.stringify(seen.errors)}, ` +
      `recovered ${seen.recoveryMs === undefined ? 'never' : `${(seen.recoveryMs / 1000).toFixed(1)} s`} after the repair, ` +
      `slowest answer ${seen.slowestMs} ms, ${verified.checked} acknowledged writes: ${verified.lost} lost, ${verified.corrupt} corrupt, ` +
      `reads right after the write: ${result.staleReads.length} found nothing${times(result.staleReads)}, ` +
      `${result.corruptReads.length} found other bytes${times(result.corruptReads)}`,
  );
  return seen;
}

async function gatewayOn(cluster: MinioCluster, prefix: string, endpoints: string[]): Promise<TestGateway> {
  return startTestGateway({
    S3_ENDPOINT: endpoints.join(','),
    S3_ENGINE: 'minio',
    S3_ACCESS_KEY_ID: cluster.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: cluster.credentials.secretAccessKey,
    S3_RESPONSE_TIMEOUT_SECONDS: '2',
    STORAGE_BUCKET_PREFIX: prefix,
  });
}

maybe('fault runs under load', () => {
  const clusters: MinioCluster[] = [];
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    for (const cluster of clusters) await cluster.stop();
  });

  /**
   * A 4-node, 8-drive cluster behind two gateway replicas that list every node (the first
   * being each one's preferred), and a caller's target on each, once it reads its writes.
   */
  async function replicatedCluster(user: string) {
    const cluster = await startMinioCluster({ nodes: 4, drivesPerNode: 2 });
    clusters.push(cluster);
    expect(await cluster.waitSettled()).toBe(true);
    const urls = cluster.nodes.map((n) => n.url);
    const prefix = `f-${randomBytes(4).toString('hex')}`;
    const first = await gatewayOn(cluster, prefix, urls);
    gateways.push(first);
    const second = await gatewayOn(cluster, prefix, urls);
    gateways.push(second);
    const targets: LoadTarget[] = [
      { apiUrl: first.apiUrl, headers: await first.auth(user) },
      { apiUrl: second.apiUrl, headers: await second.auth(user) },
    ];
    // "Settled" is each node's own view; on a busy machine a freshly formed cluster has answered a
    // read on one node with 404 for a write just made through another. The measured run starts
    // once twenty writes in a row through one replica were read back through the other.
    expect(await readsAfterWritesHold(targets, 20, 60_000)).toBe(true);
    return { cluster, first, second, targets };
  }

  it('loses no acknowledged write when the only MinIO is killed and restarted mid-load', async () => {
    const cluster = await startMinioCluster({ nodes: 1, drivesPerNode: 1 });
    clusters.push(cluster);
    expect(await cluster.waitWritable()).toBe(true);
    const node = cluster.nodes[0]!;
    const gw = await gatewayOn(cluster, `f-${randomBytes(4).toString('hex')}`, [node.url]);
    gateways.push(gw);
    const target: LoadTarget = { apiUrl: gw.apiUrl, headers: await gw.auth('under-fault') };

    const load = runLoad({ targets: [target], workers: 4, durationMs: 14_000, keyPrefix: 'restart' });
    await sleep(3_000);
    await node.kill();
    await sleep(3_000);
    const repairAt = Date.now();
    await node.restart();
    const result = await load;
    const verified = await verifyWrites(result, target);
    const seen = report('MinIO killed and restarted', result, repairAt - result.startedAt, verified);
    tableRow('single MinIO killed and restarted', result.answers, verified.lost);

    expect(verified).toMatchObject({ lost: 0, corrupt: 0, unreadable: 0 });
    expect(result.staleReads).toEqual([]);
    expect(result.corruptReads).toEqual([]);
    expect(Object.keys(seen.errors).every((status) => status === '503')).toBe(true);
    expect(seen.recoveryMs).toBeLessThan(6_000);
    expect(result.acknowledged.size).toBeGreaterThan(20);
    // Before the kill every call succeeded; during the outage every answer was a fast 503.
    expect(figures(during(result.answers, 0, 2_500), 0).percentOk).toBe(100);
    expect(seen.slowestMs).toBeLessThan(10_000);
  }, 90_000);

  it('rides out node kills and a frozen node in a 4-node cluster, read-after-write across two replicas', async () => {
    const { cluster, first, second, targets } = await replicatedCluster('replicated');

    const marks: Record<string, number> = {};
    const mark = (name: string) => (marks[name] = Date.now());
    const load = runLoad({ targets, workers: 4, durationMs: 36_000, keyPrefix: 'cluster' });
    mark('start');
    await sleep(3_000);
    mark('otherKilled');
    await cluster.nodes[2]!.kill();
    await sleep(5_000);
    mark('otherBack');
    await cluster.nodes[2]!.restart();
    // As an operator would: take the next node down only once every node sees the one brought
    // back, or the cluster loses its write quorum for a while (writes answer 503 SlowDownWrite).
    expect(await cluster.waitSettled()).toBe(true);
    await sleep(2_000);
    mark('preferredKilled');
    await cluster.nodes[0]!.kill();
    await sleep(5_000);
    mark('preferredBack');
    await cluster.nodes[0]!.restart();
    expect(await cluster.waitSettled()).toBe(true);
    await sleep(2_000);
    mark('frozen');
    cluster.nodes[1]!.freeze();
    const readiness = watchReadiness([first, second]);
    await sleep(5_000);
    const duringFreeze = await readiness();
    mark('thawed');
    cluster.nodes[1]!.thaw();
    const result = await load;
    const verified = await verifyWrites(result, targets[0]!);

    const at = (name: string) => (marks[name] ?? 0) - result.startedAt;
    const phases: [string, number, number][] = [
      ['cluster: one node killed', at('otherKilled'), at('otherBack')],
      ['cluster: preferred node killed', at('preferredKilled'), at('preferredBack')],
      ['cluster: one node frozen', at('frozen'), at('thawed')],
    ];
    for (const [name, from, to] of phases) {
      const seen = figures(during(result.answers, from, to), from);
      console.log(
        `${name}: ${seen.requests} requests, ${seen.percentOk}% 2xx, errors ${JSON.stringify(seen.errors)}, slowest ${seen.slowestMs} ms`,
      );
      tableRow(name.replace('cluster: ', ''), during(result.answers, from, to), 0);
    }
    console.log(`cluster: /readyz during the freeze: ${duringFreeze.notReady} of ${duringFreeze.asked} answers not 200`);
    const seen = report('cluster, whole run', result, at('thawed'), verified);
    console.log(
      `cluster timeline: ${Object.keys(marks)
        .map((name) => `${name} ${(at(name) / 1000).toFixed(1)} s`)
        .join(', ')}`,
    );

    expect(verified).toMatchObject({ lost: 0, corrupt: 0, unreadable: 0 });
    expect(result.corruptReads).toEqual([]);
    // One frozen node is that node's problem: both replicas stayed ready throughout.
    expect(duringFreeze.notReady).toBe(0);
    expect(result.answers.filter((answer) => answer.status === 0)).toEqual([]);
    // Read-after-write across replicas holds while the cluster is whole or missing a node. In
    // the seconds after a node comes back (restarted, or thawed), MinIO itself has answered a
    // read through another node with 404 for an object written just before, also after every
    // node reported the cluster healthy: seen in 3 of 18 runs, each within 1.5 s of a return.
    // Those windows, from a node's return to the next fault, are reported above and not
    // asserted; a 404 at any other time fails the test, and other bytes fail it at any time.
    const rejoining: [number, number][] = [
      [at('otherBack'), at('preferredKilled')],
      [at('preferredBack'), at('frozen')],
      [at('thawed'), Infinity],
    ];
    const rejoiningAt = (ms: number) => rejoining.some(([from, to]) => ms >= from && ms < to);
    expect(result.staleReads.filter((ms) => !rejoiningAt(ms))).toEqual([]);
    // Every request was answered (no 0), and no failure was a 500: only 503s, and in the windows
    // above also those 404s.
    const outsideRejoins = result.answers.filter((answer) => !rejoiningAt(answer.at));
    expect(Object.keys(figures(outsideRejoins, 0).errors).every((status) => status === '503')).toBe(true);
    expect(Object.keys(seen.errors).every((status) => status === '503' || status === '404')).toBe(true);
    // A node killed: the gateways send their calls to the others at once. The node restarted
    // last may keep a stale view of its peers and answer every write with 503 SlowDownWrite
    // while the others take them; before the gateways took such a node out of rotation, 38 to
    // 100 % of the first-listed node's window was 2xx (10 runs), since then 98 to 100 % (12 runs),
    // the rest streamed PUTs cut by the kill or one refused write per replica before it moved.
    expect(figures(during(result.answers, at('otherKilled'), at('otherBack')), 0).percentOk).toBeGreaterThan(80);
    expect(figures(during(result.answers, at('preferredKilled'), at('preferredBack')), 0).percentOk).toBeGreaterThan(80);
    // After the thaw, MinIO has left reads of one object written during the freeze hanging on
    // every node for over a minute while every other key answered. When that object was the
    // namespace's usage record, every write of the namespace waited on it and this never
    // recovered; writes to a type without a quota no longer wait on the record.
    expect(seen.recoveryMs).toBeLessThan(15_000);
  }, 150_000);

  it('keeps a node rejoining with wiped drives out of rotation, reads never lie, and two nodes down is 503s, never silence', async () => {
    const { cluster, first, targets } = await replicatedCluster('healing');

    // A replaced disk: the node comes back empty and heals from its peers, under load.
    const healing = runLoad({ targets, workers: 4, durationMs: 14_000, keyPrefix: 'healing' });
    await sleep(3_000);
    await cluster.nodes[3]!.wipe();
    await cluster.nodes[3]!.restart();
    const endpointOf = async (gw: TestGateway) =>
      ((await (await fetch(`${gw.url}/readyz`)).json()) as { endpoints?: { endpoint: number; up: boolean }[] }).endpoints?.[3];
    // Out of rotation until it has passed its checks (alive and seeing write quorum) twice.
    const rejoinedState = await endpointOf(first);
    const healed = await healing;
    const healedVerified = await verifyWrites(healed, targets[0]!);
    const wipedRow = tableRow('node rejoined with wiped drives', healed.answers, healedVerified.lost);
    report('wiped node rejoining', healed, 3_000, healedVerified);

    // As an operator would, the next fault waits until the cluster could lose a node (healing
    // done): two nodes down while a third still heals leaves some objects without read quorum.
    expect(await cluster.waitSettled(120_000)).toBe(true);
    // Two of four nodes down for 6 s: reads keep their quorum, writes lose theirs.
    const twoDown = runLoad({ targets, workers: 4, durationMs: 16_000, keyPrefix: 'two-down' });
    await sleep(3_000);
    const killedAt = Date.now();
    await Promise.all([cluster.nodes[1]!.kill(), cluster.nodes[2]!.kill()]);
    await sleep(6_000);
    await Promise.all([cluster.nodes[1]!.restart(), cluster.nodes[2]!.restart()]);
    const result = await twoDown;
    // Read back once the cluster has settled, as an operator would count a loss: in the seconds
    // after the two nodes return MinIO may still answer 404 for objects it holds (seen once: 2
    // of 100 acknowledged writes, read 7 s after the restart).
    expect(await cluster.waitSettled(120_000)).toBe(true);
    const verified = await verifyWrites(result, targets[0]!);
    const twoDownRow = tableRow('two nodes down', during(result.answers, 3_000, 14_000), verified.lost);
    report('two nodes down', result, 9_000, verified);

    expect(rejoinedState?.up).toBe(false);
    expect(healed.corruptReads).toEqual([]);
    expect(result.corruptReads).toEqual([]);
    // A read right after a write found the object, also through the healing node's peers.
    expect(healed.staleReads).toEqual([]);
    // While two of four nodes are gone and in the seconds after they return, MinIO has answered
    // reads begun then with 404 for objects written just before (0 to 4 a run, in the instant of
    // the kill or 1 to 3 s after the restart), through nodes that never left and after the
    // gateway's second opinion: every node it can ask shares the same view. No object was lost
    // (verified below once the nodes are back). Such 404s, from the kill on, are counted in the
    // table's "other" column and reported, not failed; before the kill there must be none.
    const killMs = killedAt - result.startedAt;
    const fromTheKill = (ms: number) => ms >= killMs - 100;
    expect(result.staleReads.filter((ms) => !fromTheKill(ms))).toEqual([]);
    expect(healedVerified).toMatchObject({ lost: 0, corrupt: 0, unreadable: 0 });
    expect(verified).toMatchObject({ lost: 0, corrupt: 0, unreadable: 0 });
    // Every request had an answer, and the only failures were 503s with Retry-After.
    expect([wipedRow.unanswered, twoDownRow.unanswered]).toEqual([0, 0]);
    const unexplained = [...healed.answers, ...result.answers.filter((a) => !(a.op === 'get' && a.status === 404 && fromTheKill(a.at)))];
    expect(Object.keys(figures(unexplained, 0).errors).filter((status) => status !== '503')).toEqual([]);
  }, 240_000);
});
