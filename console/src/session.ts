/**
 * The signed-in token lives in this tab's sessionStorage only: never in a cookie, never in a
 * URL the server sees. A sign-in link carries it in the URL fragment (`#token=...`), which
 * browsers never send; it is taken out of the address bar and history as the page loads.
 */
const STORAGE_KEY = 'storage-console-token';

/** Reads `#token=` once, removes that fragment from the address bar and history, and keeps the token. */
export function takeTokenFromAddress(): void {
  if (!location.hash.startsWith('#token=')) return;
  const token = new URLSearchParams(location.hash.slice(1)).get('token')?.trim();
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  if (token) saveToken(token);
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
