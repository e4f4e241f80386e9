/**
 * One-time sign-in links for the storage browser. `npm start` prints a link carrying a ticket
 * (in the URL fragment, which browsers never send); the page trades it once, at
 * POST /storage/v1/sign-in, for a token it keeps in the tab. A ticket is an HS256 JWT with
 * `use: "sign-in"` and a random `jti`, signed with the gateway's secret: it is never accepted
 * as a token on the API (tokens.ts), and once traded, its `jti` is recorded in the store with
 * a create-only write (OneTimeNames.claim), so a link found later in a terminal's
 * scrollback or a browser's history signs no one in: not after a restart, nor on another
 * worker or replica. The process also remembers the tickets it traded, to refuse a replay
 * without asking the store.
 */
import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { Unauthorized } from '../errors';
import type { OneTimeNames } from '../storage/oneTimeNames';
import { mintToken, SIGN_IN_USE } from './tokens';

/** How long a printed link works, if not used. */
export const TICKET_LIFETIME_SECONDS = 24 * 3600;
/** How long the token a ticket is traded for lives: a working day in the browser. */
const SESSION_SECONDS = 12 * 3600;
/** Traded tickets remembered at most (each until it expires). */
const USED_KEPT = 10_000;

export async function mintSignInTicket(secret: string, subject: string, lifetimeSeconds = TICKET_LIFETIME_SECONDS): Promise<string> {
  return new SignJWT({ use: SIGN_IN_USE })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt()
    .setExpirationTime(`${lifetimeSeconds}s from now`)
    .sign(new TextEncoder().encode(secret));
}

export class SignInTickets {
  /** jti -> when the ticket expires (ms): a traded ticket is refused until then. */
  private readonly used = new Map<string, number>();
  private readonly key: Uint8Array;

  constructor(
    private readonly secret: string,
    /** The longest token this gateway accepts (AUTH_MAX_TOKEN_LIFETIME_SECONDS). */
    private readonly maxTokenSeconds: number,
    /** Where traded tickets are recorded for every process and restart to see. */
    private readonly names: Pick<OneTimeNames, 'claim'>,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** Trades a ticket for a token of its subject, once. */
  async redeem(ticket: string): Promise<{ token: string; subject: string; expiresIn: number }> {
    let payload;
    try {
      ({ payload } = await jwtVerify(ticket, this.key, { algorithms: ['HS256'], requiredClaims: ['exp', 'jti', 'sub'] }));
    } catch (error) {
      throw new Unauthorized(
        error instanceof joseErrors.JWTExpired
          ? 'This sign-in link has expired: run npm start again, or paste a token'
          : 'This sign-in link is not valid',
      );
    }
    const { use, jti, sub, exp } = payload;
    if (use !== SIGN_IN_USE || typeof jti !== 'string' || typeof sub !== 'string' || sub === '' || typeof exp !== 'number') {
      throw new Unauthorized('This is not a sign-in link');
    }
    this.forgetExpired();
    const used = () => new Unauthorized('This sign-in link was used already: run npm start again, or paste a token');
    if (this.used.has(jti)) throw used();
    if (this.used.size >= USED_KEPT) throw new Unauthorized('Too many sign-ins at once; try again shortly');
    if (!(await this.names.claim(`sign-in/${jti}`, new Date(exp * 1000)))) throw used();
    this.used.set(jti, exp * 1000);
    const expiresIn = Math.min(SESSION_SECONDS, this.maxTokenSeconds);
    return { token: await mintToken(this.secret, sub, { expiresIn }), subject: sub, expiresIn };
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [jti, expiresAt] of this.used) if (expiresAt <= now) this.used.delete(jti);
  }
}
