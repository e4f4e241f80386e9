/** The gateway's logger: JSON lines on stdout (pino), at LOG_LEVEL. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'storage-gateway' },
    // Belt and braces: these never belong in a log line even if an object carrying them is logged.
    redact: {
      paths: ['req.headers.authorization', '*.secretAccessKey', '*.jwtSecret', '*.credentials', 'token', 'url'],
      censor: '[redacted]',
    },
  });
}
