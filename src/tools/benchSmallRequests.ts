/**
 * The small-request rows of `npm run bench`: 1 KiB GETs and PUTs, presigned upload URLs and
 * the CPU per GET, each beside the store used directly, with the floor and ceiling rows that
 * tell the gateway's own cost from the store's and from any process in the middle; and the
 * PUTs and URLs again with a quota, beside those without (benchQuotas.ts).
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { namespaceFor, objectKey } from '../protocol/namespace';
import { expectStatus, urlFor } from './benchClient';
import { load } from './benchMeasure';
import { quotaPutRow, quotaUrlRow } from './benchQuotas';
import type { BareProxy, Bench } from './benchStack';
import { floorRow, ratioRow, type Row } from './benchTable';
import { cpuSeconds } from './procStats';

export async function measureSmallRequests(bench: Bench): Promise<Row[]> {
  const { options, api, auth, callers, client, tree, bare, bareExpress } = bench;
  const rows: Row[] = [];
  const n = options.concurrency;
  const small = Buffer.alloc(1024, 7);

  // ---- set-up, not timed: each caller's small object, and direct URLs for them
  const as = (i: number) => callers[i % n] ?? auth;
  for (let i = 0; i < n; i++) await expectStatus(client.send('PUT', `${api}/data/bench/small`, as(i), small), 200, 'seed PUT');
  const getUrls = await Promise.all(callers.map((caller) => urlFor(client, api, caller, 'get_signed_url', 'bench/small')));
  const putUrls = await Promise.all(callers.map((caller) => urlFor(client, api, caller, 'new_resumable_url', 'bench/direct')));
  const octet = { 'content-type': 'application/octet-stream' };

  // ---- warm-up, not timed: the gateway's code paths compiled by the JIT, connections open
  const warmUp = Math.min(2, options.seconds / 2);
  await load(n, warmUp, (loop) => client.send('GET', `${api}/data/get/bench/small`, as(loop)));
  await load(n, warmUp, (loop) => client.send('GET', `${api}/data/new_resumable_url/bench/warm-${loop}`, as(loop)));

  // ---- 1 KiB GET, concurrent
  const gwCpu0 = cpuSeconds(tree.gateway());
  const gwGet = await load(n, options.seconds, (loop) => client.send('GET', `${api}/data/get/bench/small`, as(loop)));
  const gwCpuPerGet = (cpuSeconds(tree.gateway()) - gwCpu0) / gwGet.ops;
  const minioCpu0 = cpuSeconds([tree.minio]);
  const directGet = await load(n, options.seconds, (loop) => client.send('GET', getUrls[loop] ?? '', {}));
  const minioCpuPerGet = (cpuSeconds([tree.minio]) - minioCpu0) / directGet.ops;
  rows.push(ratioRow(`1 KiB GET, ${n} concurrent`, gwGet.rate, directGet.rate, 'ops/s', 0.5));
  // The same GETs through a bare proxy, straight to each caller's object: its rate and CPU per GET.
  const throughProxy = async (proxy: BareProxy) => {
    const cpu0 = cpuSeconds([proxy.pid]);
    const got = await load(n, options.seconds, (loop) =>
      client.send('GET', `${proxy.url}/storage-data/${objectKey(namespaceFor(`bench-${loop}`), 'bench/small')}`, {}),
    );
    return { rate: got.rate, cpuPerGet: (cpuSeconds([proxy.pid]) - cpu0) / got.ops };
  };
  const bareGet = await throughProxy(bare);
  rows.push(floorRow('  floor: a bare Node proxy, same GETs', bareGet.rate, directGet.rate, 'ops/s'));
  const expressGet = await throughProxy(bareExpress);
  rows.push(floorRow('  floor: the same proxy on Express, one route', expressGet.rate, directGet.rate, 'ops/s'));

  // ---- 1 KiB PUT, concurrent
  const gwPut = await load(n, options.seconds, (loop) => client.send('PUT', `${api}/data/bench/put`, { ...as(loop), ...octet }, small));
  const quotaPut = await quotaPutRow(bench, gwPut.rate); // right after, on the same machine's weather
  const directPut = await load(n, options.seconds, (loop) => client.send('PUT', putUrls[loop] ?? '', octet, small));
  rows.push(ratioRow(`1 KiB PUT, ${n} concurrent`, gwPut.rate, directPut.rate, 'ops/s', 0.75));

  // ---- the store's own ceiling for what a gateway write asks of it: the collision check's
  // one-key listing (its parent HEADs are remembered for a second), then the PUT.
  const listUrls = await oneKeyListingUrls(bench);
  const checkedPut = await load(n, options.seconds, async (loop) => {
    const listed = await client.send('GET', listUrls[loop] ?? '', {});
    return listed === 200 ? client.send('PUT', putUrls[loop] ?? '', octet, small) : listed;
  });
  rows.push({
    metric: '  store ceiling for it: one-key listing + PUT, direct',
    gateway: gwPut.rate,
    direct: checkedPut.rate,
    unit: 'ops/s',
    goal: '–',
    met: undefined,
  });
  rows.push(quotaPut);

  // ---- 1 KiB GET, one at a time
  const gwSerial = await load(1, options.seconds / 2, () => client.send('GET', `${api}/data/get/bench/small`, as(0)));
  const directSerial = await load(1, options.seconds / 2, () => client.send('GET', getUrls[0] ?? '', {}));
  rows.push({
    metric: '1 KiB GET, one at a time, p50',
    gateway: gwSerial.p50,
    direct: directSerial.p50,
    unit: 'ms',
    goal: '≤ ×2',
    met: gwSerial.p50 <= 2 * directSerial.p50,
    lowerIsBetter: true,
  });

  // ---- presigned upload URLs
  const urls = await load(n, options.seconds, (loop, i) =>
    client.send('GET', `${api}/data/new_resumable_url/bench/url-${i % 1000}`, as(loop)),
  );
  rows.push({
    metric: `presigned upload URLs, ${n} concurrent`,
    gateway: urls.rate,
    unit: 'per s',
    goal: '≥ 5,000',
    met: urls.rate >= 5000,
  });
  rows.push(await quotaUrlRow(bench, urls.rate));
  // Each URL's collision check is one such listing: the store's rate for them bounds the URLs'.
  const listings = await load(n, options.seconds, (loop) => client.send('GET', listUrls[loop] ?? '', {}));
  rows.push({
    metric: '  store ceiling for it: one-key listings, direct',
    gateway: urls.rate,
    direct: listings.rate,
    unit: 'per s',
    goal: '–',
    met: undefined,
  });
  rows.push({
    metric: 'CPU per 1 KiB GET (MinIO direct beside)',
    gateway: gwCpuPerGet * 1000,
    direct: minioCpuPerGet * 1000,
    unit: 'ms',
    goal: '≤ 0.35 ms',
    met: gwCpuPerGet * 1000 <= 0.35,
    lowerIsBetter: true,
  });
  rows.push({
    metric: '  floor: a bare Node proxy’s CPU per GET',
    gateway: bareGet.cpuPerGet * 1000,
    direct: minioCpuPerGet * 1000,
    unit: 'ms',
    goal: '–',
    met: undefined,
    lowerIsBetter: true,
  });
  rows.push({
    metric: '  floor: the same proxy on Express, CPU per GET',
    gateway: expressGet.cpuPerGet * 1000,
    direct: minioCpuPerGet * 1000,
    unit: 'ms',
    goal: '–',
    met: undefined,
    lowerIsBetter: true,
  });
  return rows;
}

/**
 * For each caller, the one-key listing a gateway write of bench/put asks of the store, as a URL
 * presigned with MinIO's root keys.
 */
async function oneKeyListingUrls({ options, store, storeKeys }: Bench): Promise<string[]> {
  const root = new S3Client({
    endpoint: store,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: storeKeys ?? { accessKeyId: '', secretAccessKey: '' },
  });
  const listUrls = await Promise.all(
    Array.from({ length: options.concurrency }, (_, i) =>
      getSignedUrl(
        root,
        new ListObjectsV2Command({
          Bucket: 'storage-data',
          Prefix: `${objectKey(namespaceFor(`bench-${i}`), 'bench/put')}/`,
          MaxKeys: 1,
        }),
        { expiresIn: 3600 },
      ),
    ),
  );
  root.destroy();
  return listUrls;
}
