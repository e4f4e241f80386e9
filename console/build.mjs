// Builds the storage browser into dist/console: one ES module bundle and one style sheet,
// each named by its content hash (cached for a year), and index.html pointing at them
// (revalidated on every load), beside the favicon, a file of its own so the page's policy
// needs nothing new for it (img-src 'self'). esbuild bundles Preact and the app in a fraction of a second.
// The new build is written beside the old one and swapped in, so a gateway serving
// dist/console (a test running in parallel) never finds it half-written.
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const target = path.resolve(here, '..', 'dist', 'console');
const out = `${target}.new-${process.pid}`;
const old = `${target}.old-${process.pid}`;

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: [path.join(here, 'src', 'main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome115', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: path.join(out, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(out, path.resolve(file)));
const script = outputs.find((file) => file.endsWith('.js'));
const styles = outputs.find((file) => file.endsWith('.css'));
if (!script || !styles) throw new Error(`console build: expected a script and a style sheet, got ${outputs.join(', ')}`);
const page = (await readFile(path.join(here, 'src', 'index.html'), 'utf8'))
  .replace('%SCRIPT%', `./${script.split(path.sep).join('/')}`)
  .replace('%STYLES%', `./${styles.split(path.sep).join('/')}`);
await writeFile(path.join(out, 'index.html'), page);
await copyFile(path.join(here, 'src', 'favicon.svg'), path.join(out, 'favicon.svg'));

await rename(target, old).catch((error) => {
  if (error.code !== 'ENOENT') throw error;
});
await rename(out, target);
await rm(old, { recursive: true, force: true });
