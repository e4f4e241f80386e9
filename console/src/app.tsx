/**
 * Signed out: the token form. Signed in: who you are, and the browser. A sign-in link, as the
 * page loads or pasted into a tab already open, only ever asks first: "Sign in as ...?", or
 * "Switch to ...?" when the tab is signed in as someone else.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, ApiError, type Capabilities } from './api';
import { Browser } from './browser';
import { ConfirmSignIn } from './confirmSignIn';
import {
  accountOf,
  forgetToken,
  savedToken,
  saveToken,
  takeSignInFromAddress,
  tradeTicket,
  type AddressSignIn,
  type SignInLink,
} from './session';

/** `fromAddress`: the sign-in link the page was opened with, or why it could not be read. */
export function App({ fromAddress }: { fromAddress?: AddressSignIn | undefined }) {
  const [token, setToken] = useState(savedToken);
  const [capabilities, setCapabilities] = useState<Capabilities>();
  const [problem, setProblem] = useState(() => (fromAddress && 'problem' in fromAddress ? fromAddress.problem : undefined));
  const [link, setLink] = useState(() => toAsk(fromAddress, token));
  const [trading, setTrading] = useState(false);
  const api = useMemo(() => (token ? new Api(token) : undefined), [token]);
  // The hashchange listener outlives renders; it compares a new link with the token as it is now.
  const tokenNow = useRef(token);
  tokenNow.current = token;

  const signOut = (why?: string) => {
    forgetToken();
    setToken(undefined);
    setCapabilities(undefined);
    setProblem(why);
  };

  const signIn = (value: string) => {
    saveToken(value);
    setProblem(undefined);
    if (value !== token) setCapabilities(undefined);
    setToken(value);
  };

  const confirmLink = async (confirmed: SignInLink) => {
    // A newer link that arrived meanwhile is still to be asked about.
    const done = () => setLink((pending) => (pending === confirmed ? undefined : pending));
    if (confirmed.kind === 'token') {
      done();
      signIn(confirmed.secret);
      return;
    }
    setTrading(true);
    const traded = await tradeTicket(confirmed.secret);
    setTrading(false);
    done();
    if ('token' in traded) signIn(traded.token);
    else setProblem(traded.problem);
  };

  // A link opened in this tab while the page is open changes only the fragment: no reload.
  useEffect(() => {
    const follow = () => {
      void takeSignInFromAddress().then((found) => {
        if (found && 'problem' in found) setProblem(found.problem);
        const next = toAsk(found, tokenNow.current);
        if (next) setLink(next);
      });
    };
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);

  useEffect(() => {
    if (!api) return;
    let current = true;
    api.capabilities().then(
      (found) => current && setCapabilities(found),
      (error: unknown) => {
        if (!current) return;
        if (error instanceof ApiError && error.status === 401) signOut(error.message);
        else setProblem(error instanceof Error ? error.message : String(error));
      },
    );
    return () => {
      current = false;
    };
  }, [api]);

  const question = link && (
    <ConfirmSignIn
      key={link.secret}
      link={link}
      signedIn={token !== undefined}
      current={capabilities?.subject ?? (token ? accountOf(token)?.subject : undefined)}
      busy={trading}
      onConfirm={() => void confirmLink(link)}
      onCancel={() => setLink(undefined)}
    />
  );

  if (!token || !api) {
    return (
      <>
        <SignIn problem={problem} onToken={signIn} />
        {question}
      </>
    );
  }
  return (
    <div class="page">
      <header class="top">
        <h1>Storage</h1>
        {capabilities && (
          <p class="who">
            Signed in as <strong>{capabilities.subject}</strong>
          </p>
        )}
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      {problem && (
        <p role="alert" class="alert">
          {problem}
        </p>
      )}
      {!capabilities && !problem && <p aria-live="polite">Loading…</p>}
      {capabilities && <Browser api={api} capabilities={capabilities} onUnauthorized={signOut} />}
      {question}
    </div>
  );
}

function SignIn({ problem, onToken }: { problem: string | undefined; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <main class="page signin">
      <h1>Storage</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const token = value.trim().replace(/^Bearer\s+/i, '');
          if (token) onToken(token);
        }}
      >
        <label for="token">Your access token</label>
        <textarea
          id="token"
          rows={4}
          value={value}
          autocomplete="off"
          spellcheck={false}
          aria-describedby="token-help"
          onInput={(event) => setValue(event.currentTarget.value)}
        />
        <p id="token-help" class="help">
          Paste the token you use with the API (a JWT). It is kept in this browser tab only, and sent only to this gateway.
        </p>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      {problem && (
        <p role="alert" class="alert">
          {problem}
        </p>
      )}
    </main>
  );
}

/** The link to ask about; none for a link to the account the tab is signed in as already (and still valid). */
function toAsk(found: AddressSignIn | undefined, token: string | undefined): SignInLink | undefined {
  if (!found || !('link' in found)) return undefined;
  const current = token ? accountOf(token) : undefined;
  return current && !current.expired && current.subject === found.link.subject ? undefined : found.link;
}
