/** The CLI's exit codes, one per kind of outcome a script may want to tell apart. */
import { CommanderError } from 'commander';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  StorageClientError,
  UnauthorizedError,
  UnavailableError,
} from '../client';

export const EXIT = {
  ok: 0,
  /** Anything else: a network failure, a store that stayed down, a local file error. */
  failure: 1,
  /** The command line or its input is wrong (also the gateway's 400). */
  usage: 2,
  notFound: 3,
  forbidden: 4,
  /** No token, or the gateway refused it. */
  unauthorized: 5,
  /** The store or identity provider is unavailable: worth trying again later. */
  unavailable: 6,
  /** Something is already at the key and may not be replaced (products), or the key is a folder. */
  conflict: 7,
  /** Interrupted (Ctrl-C), as shells report a SIGINT. */
  interrupted: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof NotFoundError) return EXIT.notFound;
  if (error instanceof ConflictError) return EXIT.conflict;
  if (error instanceof ForbiddenError) return EXIT.forbidden;
  if (error instanceof UnauthorizedError) return EXIT.unauthorized;
  if (error instanceof BadRequestError || error instanceof UsageError) return EXIT.usage;
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

/** The error as one line for a person, or as JSON for a script. */
export function describeError(error: unknown, json: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!json) return `storage: ${message}\n`;
  const code = error instanceof StorageClientError ? error.code : error instanceof UsageError ? 'usage' : 'failure';
  const status = error instanceof StorageClientError ? error.status : undefined;
  const requestId = error instanceof StorageClientError ? error.requestId : undefined;
  return `${JSON.stringify({ error: { code, message, status, requestId } })}\n`;
}
