/**
 * The storage browser (console/, built into dist/console by `npm run build`): static files
 * served at /console/, with `/` redirecting there. Nothing here touches the API under
 * /storage/v1; the app calls it like any other client, with its token in the Authorization
 * header.
 *
 * The page gets its own Content-Security-Policy in place of the API's `default-src 'none'`:
 * scripts and styles only from this origin (no inline script or style), API calls to this
 * origin and uploads to the store's public endpoints, no framing, no forms, no plugins, and
 * Trusted Types with no policy, so no string can be assigned as markup (innerHTML) at all.
 * index.html is revalidated on every load; the bundles carry a content hash in their names and
 * are cached for a year.
 */
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import type { S3Settings } from '../config';
import { NotFound } from '../errors';
import { named } from './middleware/observe';

export const CONSOLE_PATH = '/console';

/** Where `npm run build` puts the console: dist/console, from src/http or dist/http alike. */
export const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '..', '..', 'dist', 'console');

export interface ConsoleOptions {
  /** The built console: index.html and assets/. */
  dir: string;
  /** Origins the browser may send uploads to and show previews from: the store's public endpoints. */
  storeOrigins: readonly string[];
}

/**
 * The origins presigned URLs point at: each public endpoint, and with virtual-hosted bucket
 * addressing its subdomains too (AWS S3 without an endpoint: its regional hosts).
 */
export function storeOriginsOf(s3: Pick<S3Settings, 'publicEndpoints' | 'forcePathStyle'>): string[] {
  if (s3.publicEndpoints.length === 0) return ['https://*.amazonaws.com'];
  return s3.publicEndpoints.flatMap((url) => {
    const { origin, protocol, host } = new URL(url);
    return s3.forcePathStyle ? [origin] : [origin, `${protocol}//*.${host}`];
  });
}

/** The CSP of the console's pages and files. */
export function consolePolicy(storeOrigins: readonly string[]): string {
  const store = [...new Set(storeOrigins)].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob:${store ? ` ${store}` : ''}`,
    `connect-src 'self'${store ? ` ${store}` : ''}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    // No string ever becomes markup or script: the browser refuses innerHTML and the like.
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/** The routes of the console: `/` and `/console` redirect to `/console/`, which serves the files. */
export function consoleRoutes(options: ConsoleOptions): Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  const policy = consolePolicy(options.storeOrigins);
  const toConsole: RequestHandler = (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.redirect(302, `${CONSOLE_PATH}/`);
  };
  router.get('/', named('console'), toConsole);
  router.get(CONSOLE_PATH, named('console'), toConsole);
  router.use(
    CONSOLE_PATH,
    named('console'),
    (_req, res, next) => {
      res.setHeader('Content-Security-Policy', policy);
      next();
    },
    express.static(options.dir, {
      index: 'index.html',
      redirect: false,
      dotfiles: 'ignore',
      fallthrough: true,
      setHeaders: (res, file) => {
        const hashed = path.basename(path.dirname(file)) === 'assets';
        res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
  router.get(`${CONSOLE_PATH}/`, () => {
    throw new NotFound('The console is not built here: run npm run build');
  });
  return router;
}
