/**
 * GET /capabilities (extension): what a caller may do on each storage type, read from the
 * policy table, for the storage browser to offer only that.
 */
import { POLICY } from '../../src/storage/policy';
import { OPERATIONS } from '../../src/protocol/storageTypes';
import { STORAGE_TYPES } from '../../src/storage/types';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ SIGNED_URL_MAX_TTL_SECONDS: '86400' });
});
afterAll(() => gw.close());

async function capabilitiesOf(headers: Record<string, string>) {
  const response = await fetch(`${gw.apiUrl}/capabilities`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('private, no-store');
  return (await response.json()) as {
    subject: string;
    namespace: string;
    signedUrlMaxTtlSeconds: number;
    types: Record<string, { operations: string[]; note: string }>;
  };
}

it("answers a user's own rights on every storage type, and the longest URL lifetime", async () => {
  const found = await capabilitiesOf(await gw.auth('capable-user'));
  expect(found.subject).toBe('capable-user');
  expect(found.namespace).toBe(gw.namespaceOf('capable-user'));
  expect(found.signedUrlMaxTtlSeconds).toBe(86400);
  expect(Object.keys(found.types)).toEqual([...STORAGE_TYPES]);
  expect(found.types.data?.operations).toEqual([...OPERATIONS]);
  expect(found.types.products?.operations.sort()).toEqual(['exists', 'list', 'signUpload', 'write']);
  expect(found.types.products?.note).toBe(POLICY.products.refusal);
  expect(found.types.result?.operations.sort()).toEqual(['delete', 'exists', 'list', 'read', 'signDownload']);
});

it('answers a service token acting for a namespace with that service’s rights only', async () => {
  const ns = gw.namespaceOf('capable-user');
  const found = await capabilitiesOf({ ...(await gw.auth('tasks', { roles: ['storage:tasks'] })), 'x-storage-namespace': ns });
  expect(found.namespace).toBe(ns);
  expect(found.types.data?.operations).toEqual([]);
  expect(found.types.logs?.operations.sort()).toEqual(['exists', 'list', 'read', 'signUpload', 'write']);
});

it('needs a valid token, and refuses a user acting for another namespace', async () => {
  expect((await fetch(`${gw.apiUrl}/capabilities`)).status).toBe(401);
  const other = await fetch(`${gw.apiUrl}/capabilities`, {
    headers: { ...(await gw.auth('capable-user')), 'x-storage-namespace': gw.namespaceOf('someone') },
  });
  expect(other.status).toBe(403);
});
