/**
 * `npm start`: parse the configuration, start the gateway, stop it cleanly on SIGTERM/SIGINT.
 * With WEB_CONCURRENCY > 1 (the default on a machine with several cores) this process is the
 * primary of that many workers (src/cluster.ts); each worker runs this file too.
 */
import cluster from 'node:cluster';
import { mintSignInTicket, TICKET_LIFETIME_SECONDS } from './auth/signInTickets';
import { mintToken } from './auth/tokens';
import { startPrimary, startWorker } from './cluster';
import { ConfigError, loadConfig, type Config } from './config';
import { startGateway, StartupError } from './gateway';
import { API_BASE } from './http/app';
import { CONSOLE_PATH } from './http/console';
import { LOCAL_ENGINE_NAMES } from './local/engines';
import { secretsFile } from './local/secrets';
import type { LocalStore } from './local/process';
import { createLogger, prettyLog, type Logger } from './log';

const DEMO_SUBJECT = 'local-user';

interface Running {
  apiUrl: string;
  config: Config;
  localStore: LocalStore | undefined;
  close(): Promise<void>;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.stdout.isTTY === true);
  const logger = createLogger(config.logLevel, config.logFormat === 'pretty' ? await prettyLog() : undefined);
  if (cluster.isWorker) {
    const worker = await startWorker(logger);
    stopOnSignals(worker, logger);
    return;
  }
  const running: Running = config.webConcurrency > 1 ? await startPrimary(config, logger) : await startGateway(config, logger);
  logger.info(
    { api: running.apiUrl, store: running.config.s3.endpoints.join(',') || 'AWS S3', workers: config.webConcurrency },
    'storage gateway listening',
  );
  if (running.localStore) process.stdout.write(await welcome(running));
  stopOnSignals(running, logger);
}

function stopOnSignals(running: { close(): Promise<void> }, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** What a new user needs to try the embedded gateway right away. */
async function welcome(running: Running): Promise<string> {
  const secret = running.config.auth.jwtSecret ?? '';
  const token = await mintToken(secret, DEMO_SUBJECT);
  const api = running.apiUrl;
  // A one-time ticket rides in the fragment, which browsers never send: the page trades it
  // for a token (POST /sign-in), keeps that in the tab's sessionStorage, and takes the ticket
  // out of the address bar as it loads. Opened a second time, the link signs no one in.
  const ticket = await mintSignInTicket(secret, DEMO_SUBJECT);
  const browser = `${api.slice(0, -API_BASE.length)}${CONSOLE_PATH}/#ticket=${ticket}`;
  return `
Storage gateway ready (local ${running.localStore ? LOCAL_ENGINE_NAMES[running.localStore.engine] : ''} at ${running.localStore?.endpoint}, data in ${running.config.dataDir})
  The store's root credentials and the token secret: ${secretsFile(running.config.dataDir)} (docs/operations.md: reaching the store with S3 tools)

  Browser: open ${browser}
           (signs "${DEMO_SUBJECT}" in once, within ${TICKET_LIFETIME_SECONDS / 3600} hours; later, paste the token below)

  API:    ${api}
  Token:  for subject "${DEMO_SUBJECT}", valid 30 days (more: npm run token -- <subject>)

  export TOKEN=${token}
  curl -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' --data-binary 'Hello Storage' ${api}/data/test
  curl -H "Authorization: Bearer $TOKEN" ${api}/data/get/test

`;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
