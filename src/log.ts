/** The gateway's logger: JSON lines (pino) at LOG_LEVEL, on stdout unless told otherwise. */
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
