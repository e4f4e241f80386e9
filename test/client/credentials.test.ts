/**
 * StorageClient.credentials() against the real gateway and store: temporary S3 credentials for
 * the caller's namespace (or, for a service token, the namespace it acts for), a lifetime
 * asked for, and a BadRequestError for one the gateway refuses.
 */
import { BadRequestError, StorageClient } from '../../src/client';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { testStore } from '../support/testStore';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.close();
});

describe('credentials()', () => {
  it("answers keys, the store's public endpoint and the grants on the caller's namespace", async () => {
    const storage = new StorageClient({ url: gw.url, token: await gw.token('creds-client') });
    const c = await storage.credentials();
    expect(c).toMatchObject({ endpoint: testStore().endpoint, region: testStore().region, forcePathStyle: true });
    expect(c.accessKeyId).not.toBe(testStore().accessKeyId);
    expect(c.secretAccessKey.length).toBeGreaterThan(0);
    expect(c.sessionToken.length).toBeGreaterThan(0);
    const life = Date.parse(c.expiration) - Date.now();
    expect(life).toBeGreaterThan(3500_000);
    expect(life).toBeLessThanOrEqual(3600_000);
    expect(c.grants).toContainEqual({
      type: 'data',
      bucket: gw.bucket('data'),
      prefix: `${gw.namespaceOf('creds-client')}/`,
      access: ['read', 'list', 'write', 'delete'],
    });
  });

  it('lives as long as asked', async () => {
    const storage = new StorageClient({ url: gw.url, token: await gw.token('creds-short') });
    const life = Date.parse((await storage.credentials({ expiresIn: 900 })).expiration) - Date.now();
    expect(life).toBeGreaterThan(800_000);
    expect(life).toBeLessThanOrEqual(900_000);
  });

  it('acts for the namespace a service token names', async () => {
    const ns = gw.namespaceOf('creds-served');
    const tasks = new StorageClient({ url: gw.url, token: await gw.token('tasks', { roles: ['storage:tasks'] }), actFor: ns });
    const c = await tasks.credentials();
    expect(c.grants.map((grant) => [grant.type, grant.prefix])).toEqual([
      ['result', `${ns}/`],
      ['logs', `${ns}/`],
    ]);
  });

  it.each([60, 3601])('refuses expiresIn %d with BadRequestError naming expires_in, without retrying', async (expiresIn) => {
    let calls = 0;
    const storage = new StorageClient({
      url: gw.url,
      token: await gw.token('creds-bad'),
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
    });
    const failure = storage.credentials({ expiresIn });
    await expect(failure).rejects.toBeInstanceOf(BadRequestError);
    await expect(failure).rejects.toMatchObject({ status: 400, code: 'bad_request', message: expect.stringMatching(/expires_in/) });
    expect(calls).toBe(1);
  });
});
