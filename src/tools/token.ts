/**
 * `npm run token -- <subject> [--expires-in SECONDS]`: mints a bearer token with the
 * configured secret (AUTH_JWT_SECRET, or the one embedded mode keeps in STORAGE_DATA_DIR).
 */
import { parseArgs } from 'node:util';
import { mintToken } from '../auth/tokens';
import { loadConfig } from '../config';
import { readLocalSecrets } from '../local/secrets';

async function run(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'expires-in': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const subject = positionals[0];
  if (values.help || !subject || positionals.length > 1) {
    process.stderr.write('usage: npm run token -- <subject> [--expires-in SECONDS]\n');
    process.exit(values.help ? 0 : 2);
  }
  const expiresIn = values['expires-in'] === undefined ? undefined : Number(values['expires-in']);
  if (expiresIn !== undefined && (!Number.isInteger(expiresIn) || expiresIn <= 0)) {
    throw new Error('--expires-in must be a positive whole number of seconds');
  }
  const config = loadConfig();
  const secret = config.auth.jwtSecret ?? readLocalSecrets(config.dataDir)?.jwtSecret;
  if (!secret) {
    throw new Error(`No secret to sign with: set AUTH_JWT_SECRET, or run npm start once to create one in ${config.dataDir}`);
  }
  process.stdout.write(`${await mintToken(secret, subject, { expiresIn })}\n`);
}

run().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
