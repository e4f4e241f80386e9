/** The CLI's exit codes, one per kind of outcome a script may want to tell apart. */
import { CommanderError } from 'commander';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  QuotaExceededError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
} from '../client';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  forbidden: 4,
  unauthorized: 5,
  unavailable: 6,
  conflict: 7,
  quotaExceeded: 8,
  tooLarge: 9,
  interrupted: 130,
} as const;

/** What each code means, as `storage --help` lists them. */
const MEANINGS: Readonly<Record<keyof typeof EXIT, string>> = {
  ok: 'done',
  failure:
    'a local file that cannot be read or written, a gateway host name that does not resolve, a store that cannot issue S3 credentials (501), anything else',
  usage: 'the command line or its input is wrong (also the gateway’s 400, and 415: a media type the storage type does not store)',
  notFound: 'no object at the key',
  forbidden: 'the token may not do this, or the storage type does not allow it',
  unauthorized: 'no token, or the gateway refused it',
  unavailable: 'the gateway or store could not be reached, or stayed down, for all of --retry-for',
  conflict: 'something is already at the key and may not be replaced (products), or the key is a folder',
  quotaExceeded: 'storing it would exceed the namespace’s quota on the storage type (see storage usage)',
  tooLarge: 'the object is larger than the storage type takes (see storage usage)',
  interrupted: 'interrupted (Ctrl-C), as shells report a SIGINT',
};

export function exitCodesHelp(): string {
  const lines = (Object.keys(EXIT) as (keyof typeof EXIT)[]).map((name) => `  ${String(EXIT[name]).padEnd(5)}${MEANINGS[name]}`);
  return `\nExit codes:\n${lines.join('\n')}\n`;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof NotFoundError) return EXIT.notFound;
  if (error instanceof ConflictError) return EXIT.conflict;
  if (error instanceof ForbiddenError) return EXIT.forbidden;
  if (error instanceof UnauthorizedError) return EXIT.unauthorized;
  if (error instanceof QuotaExceededError) return EXIT.quotaExceeded;
  if (error instanceof TooLargeError) return EXIT.tooLarge;
  if (error instanceof BadRequestError || error instanceof UnsupportedMediaTypeError || error instanceof UsageError) return EXIT.usage;
  if (error instanceof UnavailableError) return EXIT.unavailable;
  if (error instanceof InterruptedError) return EXIT.interrupted;
  return EXIT.failure;
}

/** A command used wrongly, found after commander's own checks. */
export class UsageError extends Error {}

/** The person pressed Ctrl-C; what the command had begun was undone where it could be. */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted; the upload was stopped and its parts removed from the store');
  }
}
