/**
 * Temporary S3 credentials, used by the real aws cli against the real store: each grant works
 * (list, get, ranged get, put, multipart, delete under the caller's own prefix) and each
 * refusal comes from the store itself (the bucket's root, another namespace, another bucket,
 * writes where no grant allows). Without the aws cli on the machine, the cli cases are skipped,
 * saying so (.ci/run installs it). Both engines enforce the session policy.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AnswerOf } from '../../src/protocol/answers';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { testStore } from '../support/testStore';

const run = promisify(execFile);
const awsCli = (() => {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      readFileSync(path.join(dir, 'aws'));
      return path.join(dir, 'aws');
    } catch {
      // not here
    }
  }
  return undefined;
})();
if (!awsCli) console.warn('the aws cli is not installed: its cases in s3Credentials.test.ts are skipped');
const withCli = awsCli ? it : it.skip;

let gw: TestGateway;
let dir: string;

beforeAll(async () => {
  gw = await startTestGateway({ QUOTA_BYTES: 'tmp=1GiB', CREDENTIALS_MAX_TTL_SECONDS: '7200' });
  dir = mkdtempSync(path.join(os.tmpdir(), 's3-credentials-'));
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

async function credentials(subject: string, query = '', headers: Record<string, string> = {}) {
  return fetch(`${gw.apiUrl}/credentials${query}`, { method: 'POST', headers: { ...(await gw.auth(subject)), ...headers } });
}

async function issued(subject: string): Promise<AnswerOf<'credentials'>> {
  const answer = await credentials(subject);
  expect(answer.status).toBe(200);
  return (await answer.json()) as AnswerOf<'credentials'>;
}

/** Runs the aws cli with the credentials; answers its exit code, stdout and stderr. */
async function aws(c: AnswerOf<'credentials'>, args: string[]) {
  try {
    const { stdout, stderr } = await run(awsCli as string, [...args, '--endpoint-url', c.endpoint], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        AWS_ACCESS_KEY_ID: c.accessKeyId,
        AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
        AWS_SESSION_TOKEN: c.sessionToken,
        AWS_DEFAULT_REGION: c.region,
        AWS_CONFIG_FILE: path.join(dir, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('POST /credentials', () => {
  it('answers temporary keys, the public endpoint and one grant per type with the rights raw S3 can enforce', async () => {
    const c = await issued('s3-user');
    const ns = gw.namespaceOf('s3-user');
    expect(c).toMatchObject({ region: testStore().region, forcePathStyle: true, endpoint: testStore().endpoint });
    expect(c.accessKeyId).not.toBe(testStore().accessKeyId);
    expect(c.sessionToken.length).toBeGreaterThan(0);
    const life = Date.parse(c.expiration) - Date.now();
    expect(life).toBeGreaterThan(7100_000);
    expect(life).toBeLessThanOrEqual(7200_000);
    expect(c.grants).toEqual([
      { type: 'data', bucket: gw.bucket('data'), prefix: `${ns}/`, access: ['read', 'list', 'write', 'delete'] },
      // A quota: writes only through the gateway.
      { type: 'tmp', bucket: gw.bucket('tmp'), prefix: `${ns}/`, access: ['read', 'list', 'delete'] },
      // Create-only cannot be said in S3: no write; the owner never reads products.
      { type: 'products', bucket: gw.bucket('products'), prefix: `${ns}/`, access: ['list'] },
      { type: 'result', bucket: gw.bucket('result'), prefix: `${ns}/`, access: ['read', 'list', 'delete'] },
      { type: 'logs', bucket: gw.bucket('logs'), prefix: `${ns}/`, access: ['read', 'list', 'delete'] },
    ]);
  });

  it("gives a service acting for a namespace that service's rights there", async () => {
    const ns = gw.namespaceOf('served');
    const answer = await fetch(`${gw.apiUrl}/credentials`, {
      method: 'POST',
      headers: { ...(await gw.auth('tasks', { roles: ['storage:tasks'] })), 'x-storage-namespace': ns },
    });
    const c = (await answer.json()) as AnswerOf<'credentials'>;
    expect(c.grants.map((g) => [g.type, g.prefix, g.access])).toEqual([
      ['result', `${ns}/`, ['read', 'list', 'write']],
      ['logs', `${ns}/`, ['read', 'list', 'write']],
    ]);
  });

  it('keeps them per caller and rights until half their life has passed', async () => {
    const first = await issued('cached');
    const second = await issued('cached');
    expect(second.accessKeyId).toBe(first.accessKeyId);
    expect((await issued('other-caller')).accessKeyId).not.toBe(first.accessKeyId);
  });

  it('refuses a bad expires_in, a missing token, and a token that expires before the shortest session', async () => {
    for (const bad of ['?expires_in=abc', '?expires_in=1.5', '?expires_in=60', '?expires_in=7201']) {
      const answer = await credentials('s3-user', bad);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/expires_in/);
    }
    expect((await fetch(`${gw.apiUrl}/credentials`, { method: 'POST' })).status).toBe(401);
    const soon = await gw.token('short-lived', { expiresIn: 600 });
    const answer = await fetch(`${gw.apiUrl}/credentials`, { method: 'POST', headers: { authorization: `Bearer ${soon}` } });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/token expires/);
    const fits = await gw.token('long-enough', { expiresIn: 1200 });
    const bounded = await fetch(`${gw.apiUrl}/credentials`, { method: 'POST', headers: { authorization: `Bearer ${fits}` } });
    expect(bounded.status).toBe(200);
    expect(Date.parse(((await bounded.json()) as AnswerOf<'credentials'>).expiration)).toBeLessThanOrEqual(Date.now() + 1200_000);
  });
});

describe('with the aws cli', () => {
  withCli('lists, gets, ranged-gets, puts, uploads in parts and deletes under its own prefix', async () => {
    const c = await issued('cli-user');
    const ns = gw.namespaceOf('cli-user');
    const base = `s3://${gw.bucket('data')}/${ns}`;
    writeFileSync(path.join(dir, 'small.txt'), 'hello from the aws cli');
    expect((await aws(c, ['s3', 'cp', path.join(dir, 'small.txt'), `${base}/docs/small.txt`])).code).toBe(0);
    // 12 MiB: above the cli's 8 MiB multipart threshold.
    writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(12 * 1024 * 1024, 7));
    expect((await aws(c, ['s3', 'cp', path.join(dir, 'big.bin'), `${base}/docs/big.bin`])).code).toBe(0);
    const listed = await aws(c, ['s3', 'ls', `${base}/docs/`]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/small\.txt/);
    expect(listed.stdout).toMatch(/12582912 big\.bin/);
    expect((await aws(c, ['s3', 'cp', `${base}/docs/small.txt`, path.join(dir, 'back.txt')])).code).toBe(0);
    expect(readFileSync(path.join(dir, 'back.txt'), 'utf8')).toBe('hello from the aws cli');
    const ranged = await aws(c, [
      's3api',
      'get-object',
      '--bucket',
      gw.bucket('data'),
      '--key',
      `${ns}/docs/small.txt`,
      '--range',
      'bytes=0-4',
      path.join(dir, 'range.txt'),
    ]);
    expect(ranged.code).toBe(0);
    expect(readFileSync(path.join(dir, 'range.txt'), 'utf8')).toBe('hello');
    // What the tool wrote, the gateway serves.
    const viaGateway = await fetch(`${gw.apiUrl}/data/get/docs/small.txt`, { headers: await gw.auth('cli-user') });
    expect(await viaGateway.text()).toBe('hello from the aws cli');
    expect((await aws(c, ['s3', 'rm', `${base}/docs/small.txt`])).code).toBe(0);
    expect((await fetch(`${gw.apiUrl}/data/get/docs/small.txt`, { headers: await gw.auth('cli-user') })).status).toBe(404);
  });

  withCli('is refused by the store outside its prefix, in other buckets, and where no grant allows writing', async () => {
    const c = await issued('fenced');
    const ns = gw.namespaceOf('fenced');
    const other = gw.namespaceOf('neighbour');
    await gw.s3.send(new PutObjectCommand({ Bucket: gw.bucket('data'), Key: `${other}/secret.txt`, Body: 'theirs' }));
    writeFileSync(path.join(dir, 'x.txt'), 'x');
    const denied = async (args: string[]) => {
      const result = await aws(c, args);
      expect([args.join(' '), result.code === 0]).toEqual([args.join(' '), false]);
      expect(result.stderr).toMatch(/AccessDenied|Forbidden|403/);
    };
    await denied(['s3', 'ls', `s3://${gw.bucket('data')}/`]);
    await denied(['s3', 'ls', `s3://${gw.bucket('data')}/${other}/`]);
    await denied(['s3', 'cp', `s3://${gw.bucket('data')}/${other}/secret.txt`, path.join(dir, 'stolen.txt')]);
    await denied(['s3', 'rm', `s3://${gw.bucket('data')}/${other}/secret.txt`]);
    await denied(['s3', 'cp', path.join(dir, 'x.txt'), `s3://${gw.bucket('data')}/${other}/planted.txt`]);
    // Listing the buckets: MinIO answers only those the grants name, never another's.
    const buckets = await aws(c, ['s3', 'ls']);
    const named = buckets.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.trim().split(/\s+/).at(-1));
    expect(named.every((bucket) => c.grants.some((g) => g.bucket === bucket))).toBe(true);
    await denied(['s3', 'cp', path.join(dir, 'x.txt'), `s3://${gw.bucket('products')}/${ns}/x.tif`]);
    await denied(['s3', 'cp', path.join(dir, 'x.txt'), `s3://${gw.bucket('tmp')}/${ns}/x.txt`]);
    await denied(['s3', 'cp', path.join(dir, 'x.txt'), `s3://${gw.bucket('result')}/${ns}/x.txt`]);
    // A copy from another namespace into its own: reading the source is what it lacks.
    await denied(['s3', 'cp', `s3://${gw.bucket('data')}/${other}/secret.txt`, `s3://${gw.bucket('data')}/${ns}/copied.txt`]);
  });

  withCli("leaves the gateway's listing correct when a tool writes both a and a/b", async () => {
    const c = await issued('collider');
    const ns = gw.namespaceOf('collider');
    writeFileSync(path.join(dir, 'a.txt'), 'a');
    const first = await aws(c, ['s3', 'cp', path.join(dir, 'a.txt'), `s3://${gw.bucket('data')}/${ns}/a`]);
    expect(first.code).toBe(0);
    // MinIO may refuse the second (it stores keys as paths); either way the listing stands.
    await aws(c, ['s3', 'cp', path.join(dir, 'a.txt'), `s3://${gw.bucket('data')}/${ns}/a/b`]);
    const listed = await fetch(`${gw.apiUrl}/data/list`, { headers: await gw.auth('collider') });
    expect(listed.status).toBe(200);
    expect((await listed.json()) as string[]).toContain('a');
    const folded = await fetch(`${gw.apiUrl}/data/list?delimiter=/`, { headers: await gw.auth('collider') });
    expect(folded.status).toBe(200);
  });
});
