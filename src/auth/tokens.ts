/**
 * Bearer tokens: HS256 JWTs signed with AUTH_JWT_SECRET. Verification checks the signature
 * with the one algorithm allowed (so `alg: none` and algorithm swaps fail), expiry and
 * not-before with a small clock-skew allowance, and that a subject is present.
 */
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { Unauthorized } from '../storage/errors';

/** Who the token says the caller is. */
export interface Identity {
  subject: string;
  /** Roles granted to a service token (claim `roles`); empty for users. */
  roles: string[];
}

export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
}

/** Clocks of token issuers and of this gateway may differ by this much. */
const CLOCK_TOLERANCE_SECONDS = 30;

export function secretVerifier(secret: string): TokenVerifier {
  const key = new TextEncoder().encode(secret);
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        }));
      } catch (error) {
        throw new Unauthorized(describeTokenError(error));
      }
      return identityOf(payload);
    },
  };
}

function identityOf(payload: JWTPayload): Identity {
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new Unauthorized('The token has no subject (sub claim)');
  }
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  return { subject: payload.sub, roles };
}

function describeTokenError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') return 'The token is not valid yet';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm this gateway does not accept';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is not valid';
  return 'The token is malformed or not valid';
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
