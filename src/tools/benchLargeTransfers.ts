/**
 * The large-transfer rows of `npm run bench`: one big GET and PUT, concurrent PUTs, and the
 * gateway's peak memory while streaming. curl on both sides; "direct" is a presigned URL made
 * before timing starts.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { namespaceFor, objectKey } from '../protocol/namespace';
import { urlFor } from './benchClient';
import { curl, timedAll } from './benchMeasure';
import type { Bench } from './benchStack';
import { floorRow, ratioRow, type Row } from './benchTable';
import { peakMib, resetPeak } from './procStats';

const MiB = 1024 * 1024;

/**
 * Run before any small-request load, while the gateway holds no heap from it: the peak RSS rows
 * then measure what streaming costs.
 */
export async function measureLargeTransfers({ options, dataDir, api, auth, client, tree, bare }: Bench): Promise<Row[]> {
  const rows: Row[] = [];
  // curl's arguments for a PUT of a file to the gateway, and a GET from it.
  const gatewayPut = (file: string, key: string) => [
    '-T',
    file,
    '-H',
    `authorization: ${auth.authorization}`,
    '-H',
    'content-type: application/octet-stream',
    `${api}/data/${key}`,
  ];
  const gatewayGet = (key: string) => ['-o', '/dev/null', '-H', `authorization: ${auth.authorization}`, `${api}/data/get/${key}`];

  // First one blob of the size up and back, through the gateway alone, for its peak memory.
  const memoryBlob = path.join(dataDir, 'memory.bin');
  await writePattern(memoryBlob, options.memoryMib * MiB);
  resetPeak(tree.gateway());
  await curl(gatewayPut(memoryBlob, 'bench/memory'));
  await curl(gatewayGet('bench/memory'));
  const memoryPeak = peakMib(tree.gateway());
  rmSync(memoryBlob);
  const memoryRow: Row = {
    metric: `peak RSS, ${options.memoryMib} MiB up and back`,
    gateway: memoryPeak,
    unit: 'MiB',
    goal: '≤ 150 MiB (2 GiB)',
    met: memoryPeak <= 150,
    lowerIsBetter: true,
  };

  const big = path.join(dataDir, 'big.bin');
  await writePattern(big, options.bigMib * MiB);
  resetPeak(tree.gateway());
  const gwBigPut = await curl(gatewayPut(big, 'bench/big'));
  const gwBigGet = await curl(gatewayGet('bench/big'));
  const directBigUrl = await urlFor(client, api, auth, 'new_resumable_url', 'bench/big-direct');
  const directBigPut = await curl(['-T', big, '-H', 'content-type: application/octet-stream', directBigUrl]);
  const directBigGet = await curl(['-o', '/dev/null', await urlFor(client, api, auth, 'get_signed_url', 'bench/big-direct')]);
  const bigMib = options.bigMib;
  rows.push(ratioRow(`${bigMib} MiB GET (curl)`, bigMib / gwBigGet, bigMib / directBigGet, 'MiB/s', 0.6));
  const bareBigGet = await curl(['-o', '/dev/null', `${bare.url}/storage-data/${objectKey(namespaceFor('local-user'), 'bench/big')}`]);
  rows.push(floorRow('  floor: a bare Node proxy, same GET', bigMib / bareBigGet, bigMib / directBigGet, 'MiB/s'));
  rows.push(ratioRow(`${bigMib} MiB PUT, one stream (curl)`, bigMib / gwBigPut, bigMib / directBigPut, 'MiB/s', 0.8));
  rows.push(memoryRow);

  rmSync(big);

  const part = path.join(dataDir, 'part.bin');
  await writePattern(part, options.parallelMib * MiB);
  resetPeak(tree.gateway());
  const s = options.streams;
  const gwParallel = await timedAll(Array.from({ length: s }, (_, i) => gatewayPut(part, `bench/parallel-${i}`)));
  const parallelPeak = peakMib(tree.gateway());
  const directParallelUrls = await Promise.all(
    Array.from({ length: s }, (_, i) => urlFor(client, api, auth, 'new_resumable_url', `bench/parallel-direct-${i}`)),
  );
  const directParallel = await timedAll(directParallelUrls.map((url) => ['-T', part, '-H', 'content-type: application/octet-stream', url]));
  const totalMib = s * options.parallelMib;
  rows.push(ratioRow(`${s} × ${options.parallelMib} MiB PUT, concurrent`, totalMib / gwParallel, totalMib / directParallel, 'MiB/s', 0.7));
  rows.push({
    metric: `peak RSS, ${s} concurrent ${options.parallelMib} MiB PUTs`,
    gateway: parallelPeak,
    unit: 'MiB',
    goal: '≤ 200 MiB',
    met: parallelPeak <= 200,
    lowerIsBetter: true,
  });
  return rows;
}

/** A file of repeating pseudo-random bytes, written 1 MiB at a time. */
async function writePattern(file: string, total: number): Promise<void> {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 32) createHash('sha256').update(String(i)).digest().copy(block, i);
  async function* blocks() {
    for (let sent = 0; sent < total; sent += MiB) yield total - sent >= MiB ? block : block.subarray(0, total - sent);
  }
  await pipeline(Readable.from(blocks()), createWriteStream(file));
}
