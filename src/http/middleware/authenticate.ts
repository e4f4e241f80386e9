/**
 * Every Storage API request carries `Authorization: Bearer <JWT>`; this verifies it and
 * decides who the caller acts as (its own namespace, or another for a service token).
 */
import type { RequestHandler } from 'express';
import { callerFor, NAMESPACE_HEADER } from '../../auth/principals';
import type { TokenVerifier } from '../../auth/tokens';
import { Unauthorized } from '../../errors';

export function authenticate(verifier: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (!header) throw new Unauthorized('Missing Authorization header; send Authorization: Bearer <token>');
    const match = /^Bearer +([^\s]+)\s*$/i.exec(header);
    if (!match?.[1]) throw new Unauthorized('The Authorization header must be Bearer <token>');
    const identity = await verifier.verify(match[1]);
    res.locals.caller = callerFor(identity, req.get(NAMESPACE_HEADER) || undefined);
    next();
  };
}
