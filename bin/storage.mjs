#!/usr/bin/env node
/**
 * The `storage` command of a checkout (package.json's bin): the built CLI, or, before the build,
 * the step that is missing. Without it `npx storage` in a fresh clone ends in
 * "sh: storage: not found", since npm links no bin whose file does not exist yet.
 */
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(
    'storage: the CLI is not built yet in this checkout: run `npm run build` (after `npm install`), then `npx storage --help`\n',
  );
  process.exitCode = 1;
}
