/**
 * The gateway's logger: JSON lines (pino) at LOG_LEVEL, on stdout unless told otherwise; at a
 * terminal (LOG_FORMAT=pretty) one short line each for a person.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'storage-gateway' },
      // Never in a log line, even if an object carrying them is logged by mistake.
      redact: {
        paths: ['req.headers', 'headers.authorization', '*.secretAccessKey', '*.jwtSecret', '*.credentials', 'token'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** One line a message: the time, the level, the words, then the fields a person may want. */
export async function prettyLog(): Promise<DestinationStream> {
  // Loaded only when asked for: a gateway logging JSON never carries it.
  const { default: pinoPretty } = await import('pino-pretty');
  return pinoPretty({
    colorize: process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'HH:MM:ss',
    ignore: 'pid,hostname,service',
    // Only a thrown error's stack gets lines of its own; a refusal's code stays on its line.
    errorLikeObjectKeys: ['err'],
    sync: true,
  });
}
