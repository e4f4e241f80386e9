/**
 * The client package as a user gets it: `npm pack` in packages/client, installed into an empty
 * folder. What comes along is only the client, its CLI and their two dependencies: none of the
 * server's (AWS SDK, Express, pino, prom-client). The CLI runs, the library loads, and the one
 * command that needs the gateway's secret says where to get a token instead.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const packageDir = path.join(root, 'packages', 'client');
const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
let home: string;

beforeAll(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'client-package-'));
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', home], { cwd: packageDir });
  const tarball = path.join(home, packed.stdout.trim().split('\n').at(-1) ?? '');
  const project = path.join(home, 'project');
  rmSync(project, { recursive: true, force: true });
  await run('mkdir', ['-p', project]);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'a-user', version: '1.0.0', private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: project });
}, 180_000);
afterAll(() => rmSync(home, { recursive: true, force: true }));

const project = () => path.join(home, 'project');

/** Every package installed, scoped ones by their full name. */
function installed(): string[] {
  const modules = path.join(project(), 'node_modules');
  return readdirSync(modules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) => (name.startsWith('@') ? readdirSync(path.join(modules, name)).map((inner) => `${name}/${inner}`) : [name]));
}

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, entry) => sum + (entry.isDirectory() ? sizeOf(path.join(dir, entry.name)) : statSync(path.join(dir, entry.name)).size),
    0,
  );
}

it('brings only the client, commander and cli-progress (and theirs): nothing of the server', () => {
  const names = installed();
  expect(names).toEqual(expect.arrayContaining(['storage-gateway-client', 'commander', 'cli-progress']));
  for (const server of ['@aws-sdk/client-s3', 'express', 'pino', 'prom-client', 'undici', 'zod', 'jose'])
    expect(names).not.toContain(server);
  // cli-progress needs string-width and strip-ansi, which need a few more.
  expect(names.length).toBeLessThanOrEqual(10);
  expect(sizeOf(path.join(project(), 'node_modules'))).toBeLessThan(2 * 1024 * 1024);
});

it('runs its CLI with the package’s version, and loads as a library', async () => {
  const bin = path.join(project(), 'node_modules', '.bin', 'storage');
  expect((await run(bin, ['--version'])).stdout.trim()).toBe(version);
  const loaded = await run(
    process.execPath,
    ['-e', "const c = require('storage-gateway-client'); console.log(typeof c.StorageClient, c.STORAGE_TYPES.join(','))"],
    {
      cwd: project(),
    },
  );
  expect(loaded.stdout.trim()).toBe('function data,tmp,products,result,logs');
});

it('types its answers without zod: a user’s TypeScript compiles against the installed package alone', async () => {
  const installedAt = path.join(project(), 'node_modules', 'storage-gateway-client', 'dist', 'protocol');
  expect(readFileSync(path.join(installedAt, 'answers.d.ts'), 'utf8')).not.toMatch(/zod/);
  expect(readdirSync(installedAt)).not.toContain('answers.js');
  writeFileSync(
    path.join(project(), 'user.ts'),
    [
      "import { StorageClient, type SetResult } from 'storage-gateway-client';",
      "const client = new StorageClient({ url: 'http://127.0.0.1:1', token: 't' });",
      "export const stored: Promise<SetResult> = client.set('k', 'v');",
      'export const etag = (result: SetResult): string => result.etag.toUpperCase();',
      '// @ts-expect-error: the answer has no such field',
      'export const wrong = (result: SetResult): string => result.nope;',
    ].join('\n'),
  );
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
  const types = ['--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types')];
  await run(process.execPath, [tsc, ...flags, ...types, 'user.ts'], { cwd: project() });
}, 60_000);

it('says where to get a token rather than failing on a missing gateway module (exit 2)', async () => {
  const bin = path.join(project(), 'node_modules', '.bin', 'storage');
  const failed = await run(bin, ['token', 'someone']).then(
    () => undefined,
    (error: { code: number; stderr: string }) => error,
  );
  expect(failed?.code).toBe(2);
  expect(failed?.stderr).toMatch(/ask the gateway's operator for a token/);
});
