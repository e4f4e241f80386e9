/** The storage browser: signs in with a token, then browses the caller's storage types. */
import { render } from 'preact';
import { App } from './app';
import { takeSignInFromAddress } from './session';
import './styles.css';

// First of all, before anything renders: a sign-in link leaves the address bar, and its
// one-time ticket is traded for a token.
void takeSignInFromAddress().then((problem) => {
  const root = document.getElementById('app');
  if (root) render(<App signInProblem={problem} />, root);
});
