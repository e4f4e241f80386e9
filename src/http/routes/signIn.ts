/**
 * POST /storage/v1/sign-in: a one-time sign-in link's ticket, traded once for a token (the
 * storage browser does this when opened from the link `npm start` prints). No bearer token:
 * the ticket is the credential, and it is checked like one (signInTickets.ts).
 */
import express, { type RequestHandler } from 'express';
import type { SignInTickets } from '../../auth/signInTickets';
import { BadRequest, NotFound } from '../../errors';

export function signIn(tickets: SignInTickets | undefined): RequestHandler[] {
  return [
    express.json({ limit: '8kb' }),
    async (req, res) => {
      if (!tickets) throw new NotFound('This gateway issues no sign-in links (it has no AUTH_JWT_SECRET)');
      const ticket = (req.body as { ticket?: unknown } | undefined)?.ticket;
      if (typeof ticket !== 'string' || ticket.length === 0 || ticket.length > 4096) {
        throw new BadRequest('Send {"ticket": "..."}: the ticket from a sign-in link');
      }
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json(await tickets.redeem(ticket));
    },
  ];
}
