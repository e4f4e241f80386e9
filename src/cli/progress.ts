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
          format: `${label} [{bar}] {percentage}% | {done}/{all} | {rate} | ETA {remaining}`,
          barsize: 30,
          hideCursor: true,
          fps: 5,
        });
        bar.start(total, 0, { done: '0 B', all: bytes(total), rate: '-', remaining: '-' });
      }
      // The average since the start: parts finish in bursts, so a recent-window rate jumps about.
      const perSecond = transferred / ((Date.now() - startedAt) / 1000);
      bar.update(transferred, {
        done: bytes(transferred),
        rate: perSecond > 0 ? `${bytes(perSecond)}/s` : '-',
        remaining: perSecond > 0 ? duration((bar.getTotal() - transferred) / perSecond) : '-',
      });
    },
    stop() {
      stopped = true;
      bar?.stop();
      bar = undefined;
    },
  };
}

export function duration(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
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
