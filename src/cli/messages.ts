/**
 * What the CLI tells a person when something fails: the error in words that name what it was
 * about (the key, the URL, the path), and where it helps, the command to try next.
 */
import {
  BadRequestError,
  HostNotFoundError,
  NotFoundError,
  NotSupportedError,
  QuotaExceededError,
  StorageClientError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  type StorageType,
} from '../client';
import { UsageError } from './exitCodes';
import { LocalFileError } from './localFiles';

/** The next step for an error, printed on its own line after the message (`hint` with --json). */
const hints = new WeakMap<Error, string>();

/**
 * Rewords an error the client raised, keeping its class (its exit code) and request id. The
 * client's messages are the gateway's, which cannot know the command line that led to them.
 */
function reword<E extends Error>(error: E, message: string, hint?: string): E {
  error.message = message;
  if (hint) hints.set(error, hint);
  return error;
}

/** A word safe in a shell command line as it is, or else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `storage <command>` with `-t type` when the type is not the default. */
export function command(name: string, type: StorageType, ...words: string[]): string {
  return ['storage', name, ...(type === 'data' ? [] : ['-t', type]), ...words.map(shellWord)].join(' ');
}

/** For get: a missing key is named, with the listing of its folder as the way to find the right one. */
export function explainMissingKey(key: string, type: StorageType): (error: unknown) => never {
  return (error) => {
    if (!(error instanceof NotFoundError)) throw error;
    const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
    const listing = folder ? command('ls', type, folder) : command('ls', type);
    throw reword(error, `no object at key '${key}' (storage type ${type})`, `see which keys there are: ${listing}`);
  };
}

const GET_A_TOKEN =
  'On a local gateway, mint one in its checkout with: npm run token -- <subject>; otherwise ask the gateway’s operator for one. ' +
  'Pass it with --token <jwt> or STORAGE_TOKEN.';

/** For credentials: a store that cannot scope them, a lifetime the gateway refuses, a token about to expire. */
export function explainCredentials(error: unknown): never {
  if (error instanceof NotSupportedError) {
    throw reword(
      error,
      `the gateway's store cannot issue scoped S3 credentials: ${error.message}`,
      'use the gateway itself instead (storage get, put, ls), or presigned URLs (storage url)',
    );
  }
  if (error instanceof BadRequestError && /expires_in/.test(error.message)) {
    throw reword(error, error.message.replace('expires_in', '--expires-in'), 'leave --expires-in out for the gateway’s default');
  }
  if (error instanceof BadRequestError && /token expires/i.test(error.message)) {
    throw reword(error, error.message, GET_A_TOKEN);
  }
  throw error;
}

/** Errors that are about the setup rather than the command: the token, the gateway's URL. */
export function explainSetup(error: unknown, setup: { url: string; token?: string }): unknown {
  if (error instanceof UnauthorizedError) {
    return setup.token
      ? reword(error, `the gateway refused the token: ${error.message}`, `It may have expired. ${GET_A_TOKEN}`)
      : reword(error, 'no token: the gateway answers only requests that carry one', GET_A_TOKEN);
  }
  if (error instanceof HostNotFoundError) return reword(error, error.message, `check the gateway URL (--url or STORAGE_URL): ${setup.url}`);
  // Only when it is the gateway that does not answer: a presigned URL's store is another host.
  if (error instanceof UnavailableError && error.status === 0 && error.message.includes(new URL(setup.url).origin)) {
    return reword(error, error.message, `is the gateway running at ${setup.url}? (in its checkout, npm start starts a local one)`);
  }
  return error;
}

/**
 * Refusals by a storage type's limits: the quota, the largest upload, the media types it
 * stores, and the size an upload must declare where there are limits. Each says which it was,
 * in front of the gateway's own words, and what to do about it.
 */
export function explainLimits(error: unknown): unknown {
  if (error instanceof QuotaExceededError) {
    return reword(
      error,
      `quota exceeded: ${error.message}`,
      'see what each storage type holds and its quota: storage usage; delete what is no longer needed (storage rm), or ask the gateway’s operator for a larger quota',
    );
  }
  if (error instanceof TooLargeError) {
    return reword(error, `too large: ${error.message}`, 'see the largest upload each storage type takes: storage usage');
  }
  if (error instanceof UnsupportedMediaTypeError) {
    return reword(error, `media type refused: ${error.message}`, 'store it with another --content-type, or in another storage type (-t)');
  }
  if (error instanceof BadRequestError && /\bsize\b.*\brequired\b|\brequired\b.*\bsize\b/i.test(error.message)) {
    return reword(error, error.message, 'give the exact length in bytes with --size (put from stdin, url upload)');
  }
  return error;
}

/** The error as one line (and its hint) for a person, or as JSON for a script. */
export function describeError(error: unknown, json: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof Error ? hints.get(error) : undefined;
  if (!json) return `storage: ${message}\n${hint ? `storage: ${hint}\n` : ''}`;
  const code =
    error instanceof StorageClientError
      ? error.code
      : error instanceof UsageError
        ? 'usage'
        : error instanceof LocalFileError
          ? 'local_file'
          : 'failure';
  const status = error instanceof StorageClientError ? error.status : undefined;
  const requestId = error instanceof StorageClientError ? error.requestId : undefined;
  return `${JSON.stringify({ error: { code, message, status, requestId, hint } })}\n`;
}
