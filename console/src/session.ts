/**
 * The signed-in token lives in this tab's sessionStorage only: never in a cookie, never in a
 * URL the server sees. A sign-in link carries a one-time ticket (or a token) in the URL
 * fragment, which browsers never send; it is taken out of the address bar and history as the
 * page loads.
 *
 * A link is never used without asking: anyone can send a link to their own account, and a page
 * that signed in from it silently would put the victim's uploads in the sender's storage (login
 * CSRF). So a link only names its account here, and the page asks before using it.
 */
import { API_BASE, pathTo, ROUTES } from '../../src/protocol/routes';

const STORAGE_KEY = 'storage-console-token';

/** A sign-in link read from the address and not used yet. */
export interface SignInLink {
  /** `token` is used as it is; `ticket` is traded once, at POST /storage/v1/sign-in. */
  kind: 'token' | 'ticket';
  secret: string;
  /**
   * The JWT's `sub`, read without checking the signature: only to name the account to the user.
   * The gateway decides who a token is; a forged `sub` gets no further than this question.
   */
  subject: string;
  /** Where the account's files are kept (hex SHA-1 of the subject); unknown outside a secure context. */
  namespace: string | undefined;
}

export type AddressSignIn = { link: SignInLink } | { problem: string };

/**
 * Reads a sign-in link (`#ticket=`, as `npm start` prints, or `#token=`) and takes it out of the
 * address bar and history at once, before anything awaits, so it is gone even if the page is
 * left at the question. Answers the link, to be confirmed, or why it cannot be used.
 */
export async function takeSignInFromAddress(): Promise<AddressSignIn | undefined> {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (!fragment.has('token') && !fragment.has('ticket')) return undefined;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  const token = fragment.get('token')?.trim();
  const kind = token ? 'token' : 'ticket';
  const secret = token || fragment.get('ticket')?.trim() || '';
  const subject = accountOf(secret)?.subject;
  if (!subject) {
    return { problem: 'This sign-in link could not be read (it may have been cut short), so it was not used' };
  }
  return { link: { kind, secret, subject, namespace: await namespaceOf(subject) } };
}

/** Trades a one-time ticket for a token; answers why not, in words for the page, if it failed. */
export async function tradeTicket(ticket: string): Promise<{ token: string } | { problem: string }> {
  try {
    const answer = await fetch(`${API_BASE}${pathTo('sign_in', {})}`, {
      method: ROUTES.sign_in.method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });
    const body = (await answer.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
    if (answer.ok && body.token) return { token: body.token };
    return { problem: body.error?.message ?? `Signing in failed (HTTP ${answer.status})` };
  } catch {
    return { problem: 'The gateway could not be reached to sign in' };
  }
}

/**
 * Whom a token or ticket names, and whether it has run out, from its payload alone: for what the
 * page says and asks, never for what it allows. Undefined when the payload is not a JWT's.
 */
export function accountOf(jwt: string): { subject: string; expired: boolean } | undefined {
  const payload = jwt.split('.');
  if (payload.length !== 3 || !payload[1]) return undefined;
  try {
    const base64 = payload[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (typeof claims !== 'object' || claims === null) return undefined;
    const { sub, exp } = claims as { sub?: unknown; exp?: unknown };
    if (typeof sub !== 'string' || sub === '') return undefined;
    return { subject: sub, expired: typeof exp === 'number' && exp * 1000 <= Date.now() };
  } catch {
    return undefined;
  }
}

/** The gateway's namespace of a subject, to show; crypto.subtle exists only in a secure context. */
async function namespaceOf(subject: string): Promise<string | undefined> {
  try {
    const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(subject));
    return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
  } catch {
    return undefined;
  }
}

export function savedToken(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) || undefined;
  } catch {
    return undefined;
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage refused (a private mode): the token lives in memory for this page only.
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing kept.
  }
}
