/**
 * `storage credentials` run as a child process (the built dist/cli/main.js) against the real
 * gateway and store: the shell exports and their comments, --process (the credential_process
 * JSON alone), --json, and refusals. With the aws cli on the machine, the printed exports are
 * eval'd in bash to list the caller's prefix, and a profile whose credential_process is
 * `storage credentials --process` lists it again (skipped, saying so, without the aws cli).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AnswerOf } from '../../src/protocol/answers';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { testStore } from '../support/testStore';
import { CLI, cliRunner } from './runCli';

const execute = promisify(execFile);
const awsCli = (process.env.PATH ?? '')
  .split(':')
  .map((dir) => path.join(dir, 'aws'))
  .find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
if (!awsCli) console.warn('the aws cli is not installed: its cases in test/cli/credentials.test.ts are skipped');
const withAws = awsCli ? it : it.skip;

const SUBJECT = 'cli-credentials-user';

let gw: TestGateway;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  gw = await startTestGateway();
  dir = mkdtempSync(path.join(os.tmpdir(), 'cli-credentials-'));
  env = { PATH: process.env.PATH ?? '', STORAGE_URL: gw.url, STORAGE_TOKEN: await gw.token(SUBJECT) };
  const stored = await fetch(`${gw.apiUrl}/data/listed/hello.txt`, {
    method: 'PUT',
    headers: { ...(await gw.auth(SUBJECT)), 'content-type': 'text/plain' },
    body: 'hello',
  });
  expect(stored.status).toBe(200);
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

const storage = cliRunner(() => env);
const prefix = () => `${gw.namespaceOf(SUBJECT)}/`;

/** The aws cli with nothing of the machine's own AWS set-up: no config, no credentials, HOME elsewhere. */
async function aws(args: string[], extraEnv: Record<string, string> = {}, shell?: string) {
  const awsEnv = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    AWS_CONFIG_FILE: path.join(dir, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
    ...extraEnv,
  };
  const [file, argv] = shell === undefined ? [awsCli as string, args] : ['bash', ['-c', `${shell}\nexec aws "$@"`, 'bash', ...args]];
  try {
    const { stdout, stderr } = await execute(file, argv, { env: awsEnv });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('storage credentials', () => {
  it('prints shell exports, then as comments the expiry, each grant and a command to try', async () => {
    const run = await storage(['credentials']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const lines = run.stdout.toString('utf8').trimEnd().split('\n');
    expect(lines.slice(0, 6).map((line) => /^export (\w+)=/.exec(line)?.[1])).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
    ]);
    expect(lines[3]).toBe(`export AWS_ENDPOINT_URL=${testStore().endpoint}`);
    expect(lines.slice(6).every((line) => line.startsWith('# '))).toBe(true);
    expect(lines[6]).toMatch(/^# expires \d{4}-\d\d-\d\dT\S+Z \(in 60 min\); path-style addressing$/);
    const grant = (type: string, access: string) =>
      expect.stringMatching(new RegExp(`^# ${type} +s3://${gw.bucket(type as 'data')}/${prefix()} +${access}$`));
    expect(lines).toContainEqual(grant('data', 'read, list, write, delete'));
    expect(lines).toContainEqual(grant('products', 'list'));
    expect(lines.at(-1)).toBe(`# try: aws s3 ls s3://${gw.bucket('data')}/${prefix()}`);
  });

  it('--process prints the credential_process JSON and nothing else; --json the answer', async () => {
    const processRun = await storage(['credentials', '--process', '--expires-in', '900']);
    expect([processRun.code, processRun.stderr]).toEqual([0, '']);
    const printed = JSON.parse(processRun.stdout.toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(printed)).toEqual(['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
    expect(printed.Version).toBe(1);
    expect(Date.parse(printed.Expiration as string) - Date.now()).toBeLessThanOrEqual(900_000);

    const jsonRun = await storage(['--json', 'credentials']);
    expect([jsonRun.code, jsonRun.stderr]).toEqual([0, '']);
    const answer = JSON.parse(jsonRun.stdout.toString('utf8')) as AnswerOf<'credentials'>;
    expect(answer).toMatchObject({ endpoint: testStore().endpoint, forcePathStyle: true });
    expect(answer.grants[0]).toEqual({
      type: 'data',
      bucket: gw.bucket('data'),
      prefix: prefix(),
      access: ['read', 'list', 'write', 'delete'],
    });
  });

  it('exits 2 for a lifetime the gateway refuses, naming --expires-in, and for --process with --json', async () => {
    const run = await storage(['credentials', '--expires-in', '60']);
    expect(run.code).toBe(2);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(/^storage: --expires-in must be .+\nstorage: leave --expires-in out for the gateway’s default\n$/);
    expect((await storage(['--json', 'credentials', '--process'])).code).toBe(2);
  });

  it('exits 5 without a token, printing nothing on stdout (what credential_process reads)', async () => {
    const run = await storage(['credentials', '--process'], { env: { STORAGE_TOKEN: '' } });
    expect(run.code).toBe(5);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(/^storage: no token/);
  });

  withAws('the printed exports, eval’d in bash, let the aws cli list the caller’s prefix', async () => {
    const exports = (await storage(['credentials'])).stdout.toString('utf8');
    // The printed text reaches bash in a variable, untouched; bash evals it as a user's shell would.
    const listed = await aws(['s3', 'ls', `s3://${gw.bucket('data')}/${prefix()}listed/`], { EXPORTS: exports }, 'eval "$EXPORTS"');
    expect(listed).toMatchObject({ code: 0 });
    expect(listed.stdout).toMatch(/\b5 hello\.txt$/m);
  });

  withAws('a profile with credential_process = storage credentials --process lets the aws cli list it', async () => {
    const config = path.join(dir, 'config');
    writeFileSync(
      config,
      [
        '[profile storage]',
        `credential_process = ${process.execPath} ${CLI} --url ${gw.url} credentials --process`,
        `endpoint_url = ${testStore().endpoint}`,
        `region = ${testStore().region}`,
        's3 =',
        '  addressing_style = path',
        '',
      ].join('\n'),
    );
    // The aws cli runs credential_process with its own environment: the token is found there.
    const listed = await aws(['s3', 'ls', `s3://${gw.bucket('data')}/${prefix()}listed/`], {
      AWS_CONFIG_FILE: config,
      AWS_PROFILE: 'storage',
      STORAGE_TOKEN: env.STORAGE_TOKEN ?? '',
    });
    expect(listed).toMatchObject({ code: 0 });
    expect(listed.stdout).toMatch(/\b5 hello\.txt$/m);
    // Another namespace's prefix is refused by the store itself.
    const other = await aws(['s3', 'ls', `s3://${gw.bucket('data')}/${gw.namespaceOf('someone-else')}/`], {
      AWS_CONFIG_FILE: config,
      AWS_PROFILE: 'storage',
      STORAGE_TOKEN: env.STORAGE_TOKEN ?? '',
    });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/AccessDenied/);
  });
});
