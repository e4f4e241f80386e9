/** The storage browser: signs in with a token, then browses the caller's storage types. */
import { render } from 'preact';
import { App } from './app';
import { takeSignInFromAddress } from './session';
import './styles.css';

// First of all, before anything renders: a sign-in link leaves the address bar. It is used
// only once the page has asked (App).
void takeSignInFromAddress().then((fromAddress) => {
  const root = document.getElementById('app');
  if (root) render(<App fromAddress={fromAddress} />, root);
});
