/** The storage browser: signs in with a token, then browses the caller's storage types. */
import { render } from 'preact';
import { App } from './app';
import { takeTokenFromAddress } from './session';
import './styles.css';

// First of all, before anything renders: a sign-in link's token leaves the address bar.
takeTokenFromAddress();

const root = document.getElementById('app');
if (root) render(<App />, root);
