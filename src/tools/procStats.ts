/**
 * CPU and memory of a locally started gateway, read from /proc, for the measuring tools
 * (`npm run bench`, `npm run abuse`). The gateway's figures are its whole process tree except
 * the MinIO it runs as its child.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const CLOCK_TICKS = 100;

/** The gateway's processes (itself and any workers) and its MinIO, found under /proc. */
export function processTree(root: number): { minio: number; gateway: () => number[] } {
  const children = (pid: number): number[] => {
    try {
      return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
        readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
      );
    } catch {
      return [];
    }
  };
  const name = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  const minio = children(root).find((pid) => name(pid) === 'minio') ?? 0;
  return { minio, gateway: () => [root, ...children(root).filter((pid) => pid !== minio && name(pid) !== 'minio')] };
}

/** User and system CPU seconds used so far by these processes. */
export function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return sum + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }, 0);
}

/** Starts a fresh peak-memory (VmHWM) measurement for these processes. */
export function resetPeak(pids: number[]): void {
  for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** The sum of the processes' peak resident memory since resetPeak, in MiB. */
export function peakMib(pids: number[]): number {
  return statusMib(pids, 'VmHWM');
}

/** The sum of the processes' resident memory now, in MiB. */
export function rssMib(pids: number[]): number {
  return statusMib(pids, 'VmRSS');
}

function statusMib(pids: number[], field: 'VmHWM' | 'VmRSS'): number {
  return pids.reduce((sum, pid) => {
    const kib = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return sum + kib / 1024;
  }, 0);
}
