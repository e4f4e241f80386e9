/**
 * Bearer tokens. Two kinds of signer may be configured, together or alone:
 *   - HS256 with the shared AUTH_JWT_SECRET (local tokens, `npm run token`);
 *   - RS256/ES256 from an identity provider's JWKS (AUTH_JWKS_URL), keys cached and refreshed.
 * The token's `alg` picks the key; an algorithm with no configured key (`none` among them) is
 * refused before any signature work. Expiry and not-before allow a small clock skew; a
 * subject is required; AUTH_ISSUER and AUTH_AUDIENCE are checked when set.
 */
import {
  SignJWT,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { IdentityProviderUnavailable, Unauthorized } from '../errors';

/** Who the token says the caller is. */
export interface Identity {
  subject: string;
  /** The `roles` claim: service roles such as storage:tasks; empty for most users. */
  roles: string[];
  /** When the token expires (its `exp`), if it says. */
  expiresAt?: Date | undefined;
}

export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
}

export interface VerifierSettings {
  jwtSecret: string | undefined;
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  /** The longest a token may live, from its `iat` (or from now, without one) to its `exp`. */
  maxTokenLifetimeSeconds: number;
}

/** Clocks of token issuers and of this gateway may differ by this much. */
export const CLOCK_TOLERANCE_SECONDS = 30;
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'];

export function createVerifier(settings: VerifierSettings): TokenVerifier {
  const secret = settings.jwtSecret ? new TextEncoder().encode(settings.jwtSecret) : undefined;
  const jwks = settings.jwksUrl
    ? createRemoteJWKSet(new URL(settings.jwksUrl), {
        cacheMaxAge: 10 * 60_000, // re-read the key set every 10 minutes (key rotation)
        cooldownDuration: 30_000, // an unknown `kid` triggers a re-read at most this often
        timeoutDuration: 5_000,
      })
    : undefined;
  if (!secret && !jwks) throw new Error('no token signer configured (AUTH_JWT_SECRET or AUTH_JWKS_URL)');
  const common: JWTVerifyOptions = {
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    // A token without an expiry would be a password that never changes.
    requiredClaims: ['exp'],
    issuer: settings.issuer,
    audience: settings.audience,
  };

  const verified = new VerifiedTokens(VERIFIED_TOKENS_KEPT);

  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) return known;
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new Unauthorized('The token is malformed');
      }
      let payload: JWTPayload;
      try {
        if (alg === 'HS256' && secret) {
          ({ payload } = await jwtVerify(token, secret, { ...common, algorithms: ['HS256'] }));
        } else if (alg && ASYMMETRIC_ALGORITHMS.includes(alg) && jwks) {
          ({ payload } = await jwtVerify(token, jwks, { ...common, algorithms: ASYMMETRIC_ALGORITHMS }));
        } else {
          throw new Unauthorized(`The token is signed with an algorithm this gateway does not accept (${String(alg)})`);
        }
      } catch (error) {
        if (error instanceof Unauthorized) throw error;
        if (error instanceof joseErrors.JWKSTimeout || isFetchFailure(error)) {
          throw new IdentityProviderUnavailable();
        }
        throw new Unauthorized(describeTokenError(error));
      }
      checkLifetime(payload, settings.maxTokenLifetimeSeconds);
      // A sign-in link's ticket is traded once for a token (signInTickets.ts), never used as one.
      if (payload.use === SIGN_IN_USE) throw new Unauthorized('A sign-in link is not a token: open it in a browser');
      const identity = identityOf(payload);
      verified.add(token, identity, payload.exp as number);
      return identity;
    },
  };
}

/** The `use` claim of a one-time sign-in ticket (signInTickets.ts). */
export const SIGN_IN_USE = 'sign-in';

/** Tokens verified recently, kept at most this many. */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * A token once verified stays valid until its `exp` (a JWT cannot be revoked earlier), so a
 * caller sending the same token on every request is verified once, not on each: signature
 * checks were a tenth of the gateway's CPU on small requests. Bounded: the oldest entry goes
 * when it is full. Only successes are kept, never a refusal.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { identity: Identity; expiresAtMs: number }>();

  constructor(private readonly capacity: number) {}

  get(token: string): Identity | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (Date.now() >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.identity;
  }

  add(token: string, identity: Identity, exp: number): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    // No clock skew here: a cached token stops working at its own exp.
    this.entries.set(token, { identity, expiresAtMs: exp * 1000 });
  }
}

/** `exp` was checked by jose; here: no `iat` in the future, and no lifetime beyond the maximum. */
function checkLifetime(payload: JWTPayload, maxSeconds: number): void {
  const now = Math.floor(Date.now() / 1000);
  const { iat, exp } = payload;
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + CLOCK_TOLERANCE_SECONDS)) {
    throw new Unauthorized('The token claims to be issued in the future (iat)');
  }
  const from = typeof iat === 'number' ? iat : now;
  if (typeof exp === 'number' && exp - from > maxSeconds + CLOCK_TOLERANCE_SECONDS) {
    throw new Unauthorized(`The token lives longer than this gateway accepts (at most ${maxSeconds} s from iat to exp)`);
  }
}

function identityOf(payload: JWTPayload): Identity {
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new Unauthorized('The token has no subject (sub claim)');
  }
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  return { subject: payload.sub, roles, expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined };
}

function describeTokenError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp') {
    return error.reason === 'missing' ? 'The token has no expiry (exp claim); tokens must expire' : 'The token expiry (exp) is not valid';
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The token is not valid yet';
    if (error.claim === 'iss') return 'The token was issued by an issuer this gateway does not accept';
    if (error.claim === 'aud') return 'The token is meant for another audience';
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm this gateway does not accept';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is not valid';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'The token is signed with a key the identity provider does not publish';
  return 'The token is malformed or not valid';
}

/**
 * The JWKS could not be fetched at all (network), as opposed to a bad token. By name, not
 * instanceof: fetch's TypeError may come from another realm.
 */
function isFetchFailure(error: unknown): boolean {
  const { name, message } = (typeof error === 'object' && error !== null ? error : {}) as Partial<Error>;
  return name === 'TypeError' && /fetch failed/i.test(message ?? '');
}

export interface MintOptions {
  /** Lifetime in seconds. */
  expiresIn?: number;
  roles?: string[];
}

/** Mints an HS256 token for `subject`: used by `npm run token` and by tests. */
export async function mintToken(secret: string, subject: string, options: MintOptions = {}): Promise<string> {
  const jwt = new SignJWT(options.roles ? { roles: options.roles } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${options.expiresIn ?? 30 * 24 * 3600}s from now`);
  return jwt.sign(new TextEncoder().encode(secret));
}
