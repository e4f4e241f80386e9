/**
 * The signed-in token lives in this tab's sessionStorage only: never in a cookie, never in a
 * URL the server sees. A sign-in link carries a one-time ticket (or a token) in the URL
 * fragment, which browsers never send; it is taken out of the address bar and history as the
 * page loads.
 */
const STORAGE_KEY = 'storage-console-token';

/**
 * Reads a sign-in link once, before anything renders, and takes it out of the address bar and
 * history: `#ticket=` (the one-time link `npm start` prints) is traded for a token at
 * POST /storage/v1/sign-in; `#token=` carries a token as it is. Answers why signing in failed,
 * if it did, in words for the sign-in form.
 */
export async function takeSignInFromAddress(): Promise<string | undefined> {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token')?.trim();
  const ticket = fragment.get('ticket')?.trim();
  if (!token && !ticket) return undefined;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  if (token) {
    saveToken(token);
    return undefined;
  }
  try {
    const answer = await fetch('/storage/v1/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });
    const body = (await answer.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
    if (answer.ok && body.token) {
      saveToken(body.token);
      return undefined;
    }
    return body.error?.message ?? `Signing in failed (HTTP ${answer.status})`;
  } catch {
    return 'The gateway could not be reached to sign in';
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
