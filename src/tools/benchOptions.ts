/** The options of `npm run bench` (bench.ts), read from its command line. */
import { parseArgs } from 'node:util';

export const ISSUE_USAGE_OBJECTS = 100_000;

export interface Options {
  seconds: number;
  bigMib: number;
  /** One blob this large goes up and back through the gateway alone, for peak memory. */
  memoryMib: number;
  parallelMib: number;
  /** WEB_CONCURRENCY for the gateway; undefined: its own default. */
  workers: number | undefined;
  streams: number;
  concurrency: number;
  /**
   * Objects put straight into one namespace before GET /usage is timed there. The issue's
   * figure is 100,000, which take 3 to 4 minutes to create on two cores: a full run makes
   * ISSUE_USAGE_OBJECTS / 5 unless told (`--usage-objects 100000`).
   */
  usageObjects: number;
}

export function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      'big-mib': { type: 'string' },
      'memory-mib': { type: 'string' },
      workers: { type: 'string' },
      'parallel-mib': { type: 'string' },
      streams: { type: 'string', default: '8' },
      concurrency: { type: 'string', default: '32' },
      'usage-objects': { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick === true;
  const number = (name: string, text: string | undefined, fallback: number) => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  return {
    seconds: number('seconds', values.seconds, quick ? 3 : 8),
    bigMib: Math.round(number('big-mib', values['big-mib'], quick ? 256 : 1024)),
    memoryMib: Math.round(number('memory-mib', values['memory-mib'], quick ? 512 : 2048)),
    workers: values.workers === undefined ? undefined : Math.round(number('workers', values.workers, 1)),
    parallelMib: Math.round(number('parallel-mib', values['parallel-mib'], quick ? 64 : 256)),
    streams: Math.round(number('streams', values.streams, 8)),
    concurrency: Math.round(number('concurrency', values.concurrency, 32)),
    usageObjects: Math.round(number('usage-objects', values['usage-objects'], quick ? 5_000 : ISSUE_USAGE_OBJECTS / 5)),
  };
}
