/** A gateway logger at `level` whose JSON lines a test reads back: parsed, and as written. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log';

export interface CapturedLog {
  logger: Logger;
  lines: Record<string, unknown>[];
  raw: string[];
}

export function capturedLog(level: string): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger(level, sink), lines, raw };
}
