/**
 * `npm start` on a fresh data folder, as a new user runs it: the built gateway starts a local
 * store (LOCAL_ENGINE: the engine this suite runs on, MinIO or SeaweedFS), prints the API URL,
 * a token and a curl example that work, keeps its secrets private, and stops the store when
 * it is stopped. `npm test` builds dist/ first (pretest).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_ENGINE_NAMES } from '../../src/local/engines';
import { testStore } from '../support/testStore';

const engine = testStore().engine;
const root = path.resolve(__dirname, '..', '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-start-'));
const env = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  STORAGE_DATA_DIR: dataDir,
  LOCAL_ENGINE: engine,
  PORT: '0',
  LOCAL_MINIO_PORT: '0',
  // As at a terminal, at the default level: what a new user reads.
  LOG_FORMAT: 'pretty',
};
let gateway: ChildProcess;
let printed = '';

beforeAll(async () => {
  gateway = spawn(process.execPath, [path.join(root, 'dist', 'main.js')], { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  gateway.stdout?.on('data', (c: Buffer) => (printed += c.toString()));
  gateway.stderr?.on('data', (c: Buffer) => (printed += c.toString()));
  const deadline = Date.now() + 50_000;
  while (!printed.includes('export TOKEN=')) {
    if (gateway.exitCode !== null) throw new Error(`the gateway exited:\n${printed}`);
    if (Date.now() > deadline) throw new Error(`no welcome within 50 s:\n${printed}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(() => {
  if (gateway.exitCode === null) gateway.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function printedValue(pattern: RegExp): string {
  const match = pattern.exec(printed);
  if (!match?.[1]) throw new Error(`${pattern} not found in:\n${printed}`);
  return match[1];
}

it('starts quietly: no warning, a line or two of log for people, where the data and the root credentials live', () => {
  const welcome = printed.slice(0, printed.indexOf('export TOKEN='));
  expect(welcome).not.toMatch(/warn|deprecat|error/i);
  expect(welcome.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
  expect(welcome).toContain(`data in ${dataDir}`);
  expect(welcome).toContain(`root credentials and the token secret: ${path.join(dataDir, 'secrets.json')}`);
});

it('prints the API URL, a token and a curl example that store and read the seed example', async () => {
  const api = printedValue(/API:\s+(\S+)/);
  const token = printedValue(/export TOKEN=(\S+)/);
  expect(printed).toContain(
    `curl -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' --data-binary 'Hello Storage' ${api}/data/test`,
  );
  const auth = { authorization: `Bearer ${token}` };
  expect((await fetch(`${api}/data/test`, { method: 'PUT', headers: auth, body: 'Hello Storage' })).status).toBe(200);
  expect(await (await fetch(`${api}/data/get/test`, { headers: auth })).text()).toBe('Hello Storage');
});

it('prints a one-time browser link that signs the local user in, its ticket in the fragment only', async () => {
  const link = new URL(printedValue(/Browser: open (\S+)/));
  const api = printedValue(/API:\s+(\S+)/);
  expect(`${link.origin}${link.pathname}`).toBe(`${new URL(api).origin}/console/`);
  expect(link.search).toBe('');
  expect(link.hash).toMatch(/^#ticket=[\w-]+\.[\w-]+\.[\w-]+$/);
  const page = await fetch(`${link.origin}${link.pathname}`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  // What the page does with it: trade the ticket once for a token of the local user.
  const trade = () =>
    fetch(`${api}/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket: link.hash.slice('#ticket='.length) }),
    });
  const first = await trade();
  expect(first.status).toBe(200);
  const { token, subject } = (await first.json()) as { token: string; subject: string };
  expect(subject).toBe('local-user');
  expect((await fetch(`${api}/data/get/test`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  expect((await trade()).status).toBe(401);
});

it('keeps its generated secrets in the data folder, readable by the owner only', () => {
  expect(statSync(path.join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
  expect(statSync(dataDir).mode & 0o077).toBe(0);
  if (engine === 'seaweedfs') {
    // Its identity and STS signing key, written for it at every start.
    for (const file of ['s3.json', 'iam.json']) expect(statSync(path.join(dataDir, 'seaweedfs', 'config', file)).mode & 0o777).toBe(0o600);
  }
});

it('mints working tokens with the CLI token command (npm run token)', async () => {
  const token = execFileSync(process.execPath, [path.join(root, 'dist', 'cli', 'main.js'), 'token', 'someone-else'], { env, cwd: root })
    .toString()
    .trim();
  const api = printedValue(/API:\s+(\S+)/);
  const response = await fetch(`${api}/data/list`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual([]);
});

it(`stops its ${LOCAL_ENGINE_NAMES[engine]} when it is stopped with SIGTERM`, async () => {
  const storeUrl = printedValue(new RegExp(`local ${LOCAL_ENGINE_NAMES[engine]} at (\\S+),`));
  expect((await fetch(storeUrl, { method: 'HEAD' })).status).toBeLessThan(500);
  const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
  gateway.kill('SIGTERM');
  expect(await exited).toBe(0);
  await expect(fetch(storeUrl, { method: 'HEAD' })).rejects.toThrow();
});
