/** `npm start`: parse the configuration, start the gateway, stop it cleanly on SIGTERM/SIGINT. */
import { mintToken } from './auth/tokens';
import { ConfigError, loadConfig } from './config';
import { startGateway, StartupError, type RunningGateway } from './gateway';
import { createLogger } from './log';

const DEMO_SUBJECT = 'local-user';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const gateway = await startGateway(config, logger);
  logger.info({ api: gateway.apiUrl, store: gateway.config.s3.endpoint ?? 'AWS S3' }, 'storage gateway listening');
  if (gateway.localMinio) process.stdout.write(await welcome(gateway));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    gateway.close().then(
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
async function welcome(gateway: RunningGateway): Promise<string> {
  const secret = gateway.config.auth.jwtSecret ?? '';
  const token = await mintToken(secret, DEMO_SUBJECT);
  const api = gateway.apiUrl;
  return `
Storage gateway ready (local MinIO at ${gateway.localMinio?.endpoint}, data in ${gateway.config.dataDir})

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
