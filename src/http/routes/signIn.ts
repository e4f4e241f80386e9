/**
 * POST /storage/v1/sign-in: a one-time sign-in link's ticket, traded once for a token (the
 * storage browser does this when opened from the link `npm start` prints). No bearer token:
 * the ticket is the credential, and it is checked like one (signInTickets.ts).
 */
import { z } from 'zod';
import type { SignInTickets } from '../../auth/signInTickets';
import { NotFound } from '../../errors';
import { defineRoute, type Route } from '../contract';
import { json } from '../schemas';
import { ANSWERS } from '../../protocol/answers';
import { serverPath } from '../../protocol/routes';

export function signIn(tickets: SignInTickets | undefined): Route {
  return defineRoute(
    {
      method: 'post',
      path: serverPath('sign_in'),
      name: 'sign_in',
      summary:
        'Extension: trade a one-time sign-in link’s ticket for a token (what the storage browser does with the link npm start prints)',
      public: true,
      json: {
        schema: z.object({ ticket: z.string().min(1).max(4096) }),
        limit: '8kb',
        required: true,
        refusal: 'Send {"ticket": "..."}: the ticket from a sign-in link',
      },
      responses: {
        '200': {
          description: 'A token for the link’s subject',
          content: json(ANSWERS.sign_in),
        },
      },
      errors: [400, 401, 404, 408, 415, 500, 503],
    },
    async ({ body }, _req, res) => {
      if (!tickets) throw new NotFound('This gateway issues no sign-in links (it has no AUTH_JWT_SECRET)');
      res.setHeader('Cache-Control', 'no-store');
      return { status: 200, body: await tickets.redeem(body.ticket) };
    },
  );
}
