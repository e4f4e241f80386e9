/** Reading the parts of a request every route needs: the caller, the storage type, the key. */
import type { Request, Response } from 'express';
import type { Caller } from '../storage/service';
import { parseStorageType, type StorageType } from '../storage/types';
import { BadRequest } from '../errors';

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new Error('route mounted without the authenticate middleware');
  return caller;
}

export function storageTypeOf(req: Request): StorageType {
  return parseStorageType(String(req.params.type));
}

/**
 * Everything after the route's fixed part is the key, percent-decoded once. Express hands a
 * wildcard over as its decoded segments; `%2F` inside a segment decodes to `/` as the contract
 * says, so joining the segments gives the same key either way.
 */
export function keyOf(req: Request): string {
  const parts: unknown = req.params.key;
  if (Array.isArray(parts)) return parts.join('/');
  return typeof parts === 'string' ? parts : '';
}

/** A single-valued query parameter, or undefined; repeating it is a client error. */
export function queryParam(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequest(`The query parameter '${name}' must be given once`);
  return value;
}
