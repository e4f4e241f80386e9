/** The caller the authenticate middleware established; routes read their other input from their contract. */
import type { Response } from 'express';
import type { Caller } from '../storage/access';

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new Error('route mounted without the authenticate middleware');
  return caller;
}
