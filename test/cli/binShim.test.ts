/**
 * bin/storage.mjs, the checkout's `storage` command: the built CLI once `npm run build` has run,
 * and before that a message saying so (rather than `npx storage` finding nothing to run).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SHIM = path.resolve(__dirname, '../../bin/storage.mjs');
const run = (file: string, args: string[]) =>
  spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });

it('runs the built CLI, and may be run as a program', () => {
  const version = run(SHIM, ['--version']);
  expect([version.status, version.stdout.trim()]).toEqual([
    0,
    (JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }).version,
  ]);
  expect(statSync(SHIM).mode & 0o111).toBe(0o111);
});

it('before the build, says to build, with exit 1', () => {
  const checkout = mkdtempSync(path.join(os.tmpdir(), 'unbuilt-'));
  try {
    mkdirSync(path.join(checkout, 'bin'));
    copyFileSync(SHIM, path.join(checkout, 'bin', 'storage.mjs'));
    const unbuilt = run(path.join(checkout, 'bin', 'storage.mjs'), ['--help']);
    expect([unbuilt.status, unbuilt.stdout]).toEqual([1, '']);
    expect(unbuilt.stderr).toBe(
      'storage: the CLI is not built yet in this checkout: run `npm run build` (after `npm install`), then `npx storage --help`\n',
    );
  } finally {
    rmSync(checkout, { recursive: true, force: true });
  }
});
