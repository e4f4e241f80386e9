/**
 * `storage token` (and `npm run token`) inside the gateway's own build: mints a token with the
 * gateway's secret, AUTH_JWT_SECRET or the one `npm start` keeps in STORAGE_DATA_DIR. The
 * client package leaves this file out, as it holds no secret; its CLI then says where to get a
 * token (cli/main.ts).
 */
import { mintToken } from '../auth/tokens';
import { UsageError } from '../cli/exitCodes';
import { loadConfig } from '../config';
import { readLocalSecrets } from '../local/secrets';

export async function mintLocalToken(subject: string, expiresIn: number | undefined): Promise<string> {
  const config = loadConfig();
  const secret = config.auth.jwtSecret ?? readLocalSecrets(config.dataDir)?.jwtSecret;
  if (!secret)
    throw new UsageError(`no secret to sign with: set AUTH_JWT_SECRET, or run npm start once to create one in ${config.dataDir}`);
  const longest = config.auth.maxTokenLifetimeSeconds;
  if (expiresIn !== undefined && expiresIn > longest) {
    throw new UsageError(
      `--expires-in may be at most ${longest} seconds: the gateway refuses longer-lived tokens (AUTH_MAX_TOKEN_LIFETIME_SECONDS)`,
    );
  }
  return mintToken(secret, subject, { expiresIn: expiresIn ?? Math.min(longest, 30 * 24 * 3600) });
}
