/**
 * How `npm run bench` times what it sends: loops of small requests for a rate and a median
 * latency, and curl transfers for seconds. Every loop is bounded by time or count. CPU and
 * memory come from procStats.ts.
 */
import { execFile } from 'node:child_process';

const MiB = 1024 * 1024;

/**
 * `concurrency` loops, each sending one request after another, for `seconds`; `send` gets the
 * loop's index and a running request count. A non-2xx answer fails the run, unless
 * `countFailures`: then the rate and p50 are of the 2xx answers alone, and `failed` counts the rest.
 */
export async function load(
  concurrency: number,
  seconds: number,
  send: (loop: number, i: number) => Promise<number>,
  countFailures = false,
) {
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const status = await send(loop, counter++);
        if (status < 200 || status > 299) errors++;
        else latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  if (errors > 0 && !countFailures) throw new Error(`${errors} of ${errors + latencies.length} requests failed`);
  latencies.sort((a, b) => a - b);
  const p50 = latencies[Math.floor(latencies.length / 2)] ?? 0;
  return { ops: latencies.length, rate: latencies.length / elapsed, p50, failed: errors };
}

/** Runs curl once; resolves with the seconds the transfer took. */
export function curl(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--fail-with-body', '-o', '/dev/null', ...args], { maxBuffer: MiB }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`curl failed: ${stderr || error.message}`));
      else resolve((performance.now() - started) / 1000);
    });
  });
}

/** Several curls at once; resolves with the seconds until the last one finished. */
export async function timedAll(argsList: string[][]): Promise<number> {
  const started = performance.now();
  await Promise.all(argsList.map((args) => curl(args)));
  return (performance.now() - started) / 1000;
}
