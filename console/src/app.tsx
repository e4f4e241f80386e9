/** Signed out: the token form. Signed in: who you are, and the browser. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, ApiError, type Capabilities } from './api';
import { Browser } from './browser';
import { forgetToken, savedToken, saveToken } from './session';

/** `signInProblem`: why a sign-in link did not sign in (used already, expired), to show at once. */
export function App({ signInProblem }: { signInProblem?: string | undefined }) {
  const [token, setToken] = useState(savedToken);
  const [capabilities, setCapabilities] = useState<Capabilities>();
  const [problem, setProblem] = useState<string | undefined>(signInProblem);
  const api = useMemo(() => (token ? new Api(token) : undefined), [token]);

  const signOut = (why?: string) => {
    forgetToken();
    setToken(undefined);
    setCapabilities(undefined);
    setProblem(why);
  };

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

  if (!token || !api) {
    return (
      <SignIn
        problem={problem}
        onToken={(value) => {
          saveToken(value);
          setProblem(undefined);
          setToken(value);
        }}
      />
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
      {problem && !capabilities && (
        <p role="alert" class="alert">
          {problem}
        </p>
      )}
      {!capabilities && !problem && <p aria-live="polite">Loading…</p>}
      {capabilities && <Browser api={api} capabilities={capabilities} onUnauthorized={signOut} />}
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
