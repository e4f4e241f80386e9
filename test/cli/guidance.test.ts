/**
 * What the storage CLI tells a newcomer when something is off, run as a child process against
 * the real gateway: local file mistakes at once, an unreachable or misspelt gateway, a missing
 * token, and the Content-Type a put stores.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StorageClient } from '../../src/client';
import { closedPort } from '../support/closedPort';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { cliRunner } from './runCli';

let gw: TestGateway;
let env: Record<string, string>;
let dir: string;
const storage = cliRunner(() => env);

beforeAll(async () => {
  gw = await startTestGateway();
  dir = mkdtempSync(path.join(os.tmpdir(), 'cli-guidance-'));
  env = { PATH: process.env.PATH ?? '', STORAGE_URL: gw.url, STORAGE_TOKEN: await gw.token('newcomer') };
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local file mistakes fail at once, naming the path, with exit 1', () => {
  // The gateway given cannot be reached, and retries would take a minute: a quick failure shows
  // that the file was checked before any request.
  let unreachable: Record<string, string>;
  beforeAll(async () => {
    unreachable = { STORAGE_URL: `http://127.0.0.1:${await closedPort()}`, STORAGE_RETRY_SECONDS: '60' };
  });

  it.each([
    ['a directory', () => dir, (file: string) => `storage: cannot upload ${file}: it is a directory; put uploads one file`],
    ['a missing file', () => path.join(dir, 'no-such-file'), (file: string) => `storage: cannot read ${file}: no such file or directory`],
    [
      'a path through a file',
      () => {
        writeFileSync(path.join(dir, 'plain'), 'x');
        return path.join(dir, 'plain', 'inside.txt');
      },
      (file: string) => `storage: cannot read ${file}: a part of the path is a file, not a directory`,
    ],
  ])('put of %s', async (_, fileOf, message) => {
    const file = fileOf();
    const started = Date.now();
    const run = await storage(['put', file, 'key'], { env: unreachable });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect([run.code, run.stderr]).toEqual([1, expect.stringContaining(message(file))]);
  });

  // Root reads any file whatever its mode, so as root the CLI runs as nobody for this one.
  const asRoot = process.getuid?.() === 0;
  it(`put of an unreadable file (chmod 000${asRoot ? ', the CLI run as nobody since the tests run as root' : ''})`, async () => {
    const open = path.join(dir, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const file = path.join(open, 'secret.txt');
    writeFileSync(file, 'x');
    chmodSync(file, 0o000);
    const run = await storage(['put', file, 'key'], { env: unreachable, uid: asRoot ? 65534 : undefined });
    expect([run.code, run.stderr]).toEqual([1, `storage: cannot read ${file}: permission denied\n`]);
  });

  it('get into a directory that does not exist', async () => {
    const file = path.join(dir, 'nowhere', 'out.bin');
    const run = await storage(['get', 'key', file], { env: unreachable });
    expect([run.code, run.stderr]).toEqual([1, `storage: cannot write ${file}: there is no directory ${path.dirname(file)}\n`]);
  });
});

describe('a gateway that cannot be reached', () => {
  it('is reported on stderr within 2 s (URL, failure, retry budget), and ends with exit 6 when --retry-for runs out', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    let firstNoticeMs: number | undefined;
    const started = Date.now();
    const run = await storage(['--retry-for', '3', 'ls'], { env: { STORAGE_URL: url }, onStderr: (_, at) => (firstNoticeMs ??= at) });
    const lines = run.stderr.split('\n');
    expect(firstNoticeMs).toBeLessThan(2_000);
    expect(lines[0]).toBe(`storage: Cannot reach ${url}: connection refused (ECONNREFUSED); retrying for up to 3s (--retry-for)`);
    expect(lines[1]).toMatch(
      new RegExp(
        `^storage: Cannot reach ${url}: connection refused \\(ECONNREFUSED\\); gave up after retrying for \\ds \\(--retry-for 3\\)$`,
      ),
    );
    expect(lines[2]).toBe(`storage: is the gateway running at ${url}? (in its checkout, npm start starts a local one)`);
    expect(run.code).toBe(6);
    // The last retry starts when the budget ends, not before.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
  });

  it('whose host name does not resolve fails at once, with exit 1, without retrying', async () => {
    const started = Date.now();
    const run = await storage(['--retry-for', '30', 'ls'], { env: { STORAGE_URL: 'http://gateway.invalid:8080' } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^storage: Cannot reach http:\/\/gateway\.invalid:8080: host (not found \(ENOTFOUND\)|name lookup failed \(EAI_AGAIN\))\n/,
    );
    expect(run.stderr).toContain('check the gateway URL (--url or STORAGE_URL): http://gateway.invalid:8080');
    expect(run.stderr).not.toContain('retrying');
  });
});

describe('put stores a Content-Type from the file’s extension', () => {
  it.each([
    ['area.geojson', [], 'application/geo+json'],
    ['table.csv', [], 'text/csv'],
    ['PHOTO.JPG', [], 'image/jpeg'],
    ['scene.tif', [], 'image/tiff'],
    ['blob.unknownext', [], 'application/octet-stream'],
    ['table.csv', ['--content-type', 'text/plain'], 'text/plain'],
  ])('%s %j → %s', async (name, flags, contentType) => {
    const file = path.join(dir, name);
    writeFileSync(file, 'bytes');
    const key = `typed/${flags.length}/${name}`;
    const put = await storage(['put', file, key, ...flags]);
    expect(put.code).toBe(0);
    expect(put.stdout.toString()).toContain(`stored as ${contentType}\n`);
    const client = new StorageClient({ url: gw.url, token: env.STORAGE_TOKEN });
    expect((await client.head(key)).contentType).toBe(contentType);
  });

  it('from the key’s extension for stdin', async () => {
    expect((await storage(['put', '-', 'piped/data.json'], { input: '{}' })).code).toBe(0);
    expect((await new StorageClient({ url: gw.url, token: env.STORAGE_TOKEN }).head('piped/data.json')).contentType).toBe(
      'application/json',
    );
  });
});

describe('tokens', () => {
  it('none: says how to get one, with exit 5', async () => {
    const run = await storage(['ls'], { env: { STORAGE_TOKEN: '' } });
    expect(run.code).toBe(5);
    expect(run.stderr).toBe(
      'storage: no token: the gateway answers only requests that carry one\n' +
        'storage: On a local gateway, mint one in its checkout with: npm run token -- <subject>; otherwise ask the gateway’s operator for one. ' +
        'Pass it with --token <jwt> or STORAGE_TOKEN.\n',
    );
  });

  it('refused: says so and how to get a new one, with exit 5', async () => {
    const run = await storage(['--token', 'nonsense', 'ls']);
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(
      /^storage: the gateway refused the token: .+\nstorage: It may have expired\. On a local gateway.*npm run token -- <subject>/,
    );
  });
});

describe('--help', () => {
  it('lists the exit codes', async () => {
    const run = await storage(['--help']);
    expect(run.code).toBe(0);
    const help = run.stdout.toString();
    expect(help).toContain('\nExit codes:\n');
    for (const code of [0, 1, 2, 3, 4, 5, 6, 7, 130]) expect(help).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
  });
});
