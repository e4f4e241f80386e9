/** Every Storage API request carries `Authorization: Bearer <JWT>`; this turns it into a Caller. */
import type { RequestHandler } from 'express';
import type { TokenVerifier } from '../../auth/tokens';
import { Unauthorized } from '../../storage/errors';
import { namespaceFor } from '../../storage/namespace';
import type { Caller } from '../../storage/service';

export function authenticate(verifier: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (!header) throw new Unauthorized('Missing Authorization header; send Authorization: Bearer <token>');
    const match = /^Bearer +([^\s]+)\s*$/i.exec(header);
    if (!match?.[1]) throw new Unauthorized('The Authorization header must be Bearer <token>');
    const identity = await verifier.verify(match[1]);
    const caller: Caller = { subject: identity.subject, namespace: namespaceFor(identity.subject), actor: 'owner' };
    res.locals.caller = caller;
    next();
  };
}
