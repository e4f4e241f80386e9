/**
 * `storage credentials`' output: shell exports whose values survive any character (checked by
 * a real shell), the grants and expiry as comments, and the credential_process JSON; and the
 * client's reading of the gateway's 501 not_supported (not an outage: not retried).
 */
import { execFileSync } from 'node:child_process';
import { StorageClient } from '../../src/client';
import { NotSupportedError, UnavailableError } from '../../src/client/errors';
import { credentialComments, credentialExports, credentialProcessJson, credentialsText } from '../../src/cli/credentials';
import type { AnswerOf } from '../../src/protocol/answers';

const NOW = Date.parse('2026-12-03T10:00:00Z');

const answer = (overrides: Partial<AnswerOf<'credentials'>> = {}): AnswerOf<'credentials'> => ({
  accessKeyId: 'AKIAEXAMPLE',
  secretAccessKey: 'abc/def+ghi=',
  sessionToken: 'eyJhbGciOi.J9x-y_z',
  expiration: '2026-12-03T11:00:00.000Z',
  endpoint: 'http://127.0.0.1:9000',
  region: 'us-east-1',
  forcePathStyle: true,
  grants: [
    { type: 'data', bucket: 'storage-data', prefix: 'ab12/', access: ['read', 'list', 'write', 'delete'] },
    { type: 'products', bucket: 'storage-products', prefix: 'ab12/', access: ['list'] },
  ],
  ...overrides,
});

describe('storage credentials, for people', () => {
  it('prints exports, then the expiry, one comment line per grant and a command to try', () => {
    expect(credentialsText(answer(), NOW)).toBe(
      [
        'export AWS_ACCESS_KEY_ID=AKIAEXAMPLE',
        'export AWS_SECRET_ACCESS_KEY=abc/def+ghi=',
        'export AWS_SESSION_TOKEN=eyJhbGciOi.J9x-y_z',
        'export AWS_ENDPOINT_URL=http://127.0.0.1:9000',
        'export AWS_REGION=us-east-1',
        'export AWS_DEFAULT_REGION=us-east-1',
        '# expires 2026-12-03T11:00:00.000Z (in 60 min); path-style addressing',
        '# data      s3://storage-data/ab12/      read, list, write, delete',
        '# products  s3://storage-products/ab12/  list',
        '# try: aws s3 ls s3://storage-data/ab12/',
        '',
      ].join('\n'),
    );
  });

  it('quotes values a shell would read otherwise, and a real shell reads every one back exactly', () => {
    const nasty = answer({ secretAccessKey: `it's $HOME \`id\` "x" \\ ; & | * ?\n!`, sessionToken: 'a b' });
    const lines = credentialExports(nasty);
    expect(lines[1]).toBe(`export AWS_SECRET_ACCESS_KEY='it'\\''s $HOME \`id\` "x" \\ ; & | * ?\n!'`);
    expect(lines[2]).toBe(`export AWS_SESSION_TOKEN='a b'`);
    const script = `${credentialsText(nasty, NOW)}printf '%s\\0' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_ENDPOINT_URL" "$AWS_REGION"`;
    const read = execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '' } })
      .toString('utf8')
      .split('\0');
    expect(read.slice(0, 5)).toEqual([nasty.accessKeyId, nasty.secretAccessKey, nasty.sessionToken, nasty.endpoint, nasty.region]);
  });

  it('says so when the credentials allow nothing, and offers no command then', () => {
    expect(credentialComments(answer({ grants: [] }), NOW)).toEqual([
      '# expires 2026-12-03T11:00:00.000Z (in 60 min); path-style addressing',
      '# grants: none (this token may do nothing through S3)',
    ]);
  });
});

describe('storage credentials --process', () => {
  it('prints exactly the credential_process JSON, Version 1, and nothing else', () => {
    const printed = credentialProcessJson(answer());
    expect(printed.endsWith('\n')).toBe(true);
    expect(printed.trimEnd()).not.toMatch(/\n/);
    expect(JSON.parse(printed)).toStrictEqual({
      Version: 1,
      AccessKeyId: 'AKIAEXAMPLE',
      SecretAccessKey: 'abc/def+ghi=',
      SessionToken: 'eyJhbGciOi.J9x-y_z',
      Expiration: '2026-12-03T11:00:00.000Z',
    });
  });
});

describe('StorageClient.credentials', () => {
  it('POSTs /credentials with expires_in and the namespace acted for, and answers the JSON', async () => {
    const fetchImpl = jest.fn<Promise<Response>, Parameters<typeof fetch>>(async () => Response.json(answer()));
    const storage = new StorageClient({ url: 'http://h:8080', token: 'tok', actFor: 'ns1', fetch: fetchImpl });
    expect(await storage.credentials({ expiresIn: 900 })).toEqual(answer());
    const [url, init] = fetchImpl.mock.calls[0] ?? [];
    expect(url).toBe('http://h:8080/storage/v1/credentials?expires_in=900');
    expect(init).toMatchObject({ method: 'POST', headers: { authorization: 'Bearer tok', 'x-storage-namespace': 'ns1' } });
  });

  it('reads 501 not_supported as NotSupportedError, at once: a lasting answer, not an outage to retry', async () => {
    const fetchImpl = jest.fn<Promise<Response>, Parameters<typeof fetch>>(async () =>
      Response.json({ error: { code: 'not_supported', message: 'no STS here' } }, { status: 501, headers: { 'x-request-id': 'r1' } }),
    );
    const storage = new StorageClient({ url: 'http://h:8080', token: 'tok', fetch: fetchImpl });
    const failure = storage.credentials();
    await expect(failure).rejects.toBeInstanceOf(NotSupportedError);
    await expect(failure).rejects.not.toBeInstanceOf(UnavailableError);
    await expect(failure).rejects.toMatchObject({ status: 501, code: 'not_supported', message: 'no STS here', requestId: 'r1' });
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });
});
