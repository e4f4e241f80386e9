/**
 * A progress bar with rate and ETA on stderr, shown only for large transfers on a terminal;
 * piped or scripted runs (--json) get none, so their output stays clean.
 */
import { SingleBar } from 'cli-progress';
import type { Progress } from '../client';

const MiB = 1024 * 1024;
/** Smaller transfers finish before a bar would be worth drawing. */
const SHOW_FROM_BYTES = 8 * MiB;

export interface ProgressDisplay {
  update(progress: Progress): void;
  stop(): void;
}

const NONE: ProgressDisplay = { update: () => undefined, stop: () => undefined };

export function progressDisplay(label: string, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  if (!enabled || !stream.isTTY) return NONE;
  let bar: SingleBar | undefined;
  let stopped = false;
  const startedAt = Date.now();
  return {
    update({ transferred, total }) {
      if (!bar) {
        if (stopped || total === undefined || total < SHOW_FROM_BYTES) return;
        bar = new SingleBar({
          stream,
          format: `${label} [{bar}] {percentage}% | {done}/{all} | {rate} | ETA {eta_formatted}`,
          barsize: 30,
          hideCursor: true,
          etaBuffer: 50,
          fps: 5,
        });
        bar.start(total, 0, { done: '0 B', all: bytes(total), rate: '-' });
      }
      const seconds = (Date.now() - startedAt) / 1000;
      bar.update(transferred, { done: bytes(transferred), rate: seconds > 0 ? `${bytes(transferred / seconds)}/s` : '-' });
    },
    stop() {
      stopped = true;
      bar?.stop();
      bar = undefined;
    },
  };
}

export function bytes(count: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
