/**
 * Every cell of the policy table, through HTTP: storage type x operation x principal. The
 * expected table is written out here from the contract, not read from the code under test.
 */
import { startTestGateway, type TestGateway } from '../support/gateway';
import { requiredUploadHeaders } from '../../src/protocol/uploadUrls';

type Principal = 'owner' | 'tasks' | 'catalog';
type Op = 'read' | 'exists' | 'list' | 'write' | 'delete' | 'signUpload' | 'signDownload';
const OPS: Op[] = ['read', 'exists', 'list', 'write', 'delete', 'signUpload', 'signDownload'];
const ALL = new Set<Op>(OPS);

const CONTRACT: Record<string, Record<Principal, Set<Op>>> = {
  data: { owner: ALL, tasks: new Set(), catalog: new Set() },
  tmp: { owner: ALL, tasks: new Set(), catalog: new Set() },
  products: {
    owner: new Set(['write', 'signUpload', 'exists', 'list']),
    tasks: new Set(),
    catalog: new Set(['read', 'exists', 'list', 'signDownload', 'delete']),
  },
  result: {
    owner: new Set(['read', 'exists', 'list', 'signDownload', 'delete']),
    tasks: new Set(['write', 'signUpload', 'read', 'exists', 'list']),
    catalog: new Set(),
  },
  logs: {
    owner: new Set(['read', 'exists', 'list', 'signDownload', 'delete']),
    tasks: new Set(['write', 'signUpload', 'read', 'exists', 'list']),
    catalog: new Set(),
  },
};

let gw: TestGateway;
const headers = {} as Record<Principal, Record<string, string>>;

beforeAll(async () => {
  gw = await startTestGateway();
  const ns = gw.namespaceOf('owner-user');
  headers.owner = await gw.auth('owner-user');
  headers.tasks = { ...(await gw.auth('task-runner', { roles: ['storage:tasks'] })), 'x-storage-namespace': ns };
  headers.catalog = { ...(await gw.auth('catalog-service', { roles: ['storage:catalog'] })), 'x-storage-namespace': ns };
  // Every cell gets its own existing object, written by whoever may write that type.
  for (const [type, rights] of Object.entries(CONTRACT)) {
    const writer: Principal = rights.owner.has('write') ? 'owner' : 'tasks';
    for (const principal of ['owner', 'tasks', 'catalog'] as Principal[]) {
      for (const op of OPS) {
        const response = await fetch(`${gw.apiUrl}/${type}/cells/${principal}-${op}`, {
          method: 'PUT',
          headers: headers[writer],
          body: `${type}:${principal}:${op}`,
        });
        expect(response.status).toBe(200);
      }
    }
  }
});
afterAll(() => gw.close());

async function perform(type: string, principal: Principal, op: Op): Promise<Response> {
  const key = `cells/${principal}-${op}`;
  const h = headers[principal];
  const api = gw.apiUrl;
  switch (op) {
    case 'read':
      return fetch(`${api}/${type}/get/${key}`, { headers: h });
    case 'exists':
      return fetch(`${api}/${type}/get/${key}`, { method: 'HEAD', headers: h });
    case 'list':
      return fetch(`${api}/${type}/list?prefix=cells/`, { headers: h });
    case 'write':
      // A key of its own: products only create, so rewriting the seeded object would be refused.
      return fetch(`${api}/${type}/fresh/${principal}-${op}`, { method: 'PUT', headers: h, body: 'rewritten' });
    case 'delete':
      return fetch(`${api}/${type}/${key}`, { method: 'DELETE', headers: h });
    case 'signUpload':
      return fetch(`${api}/${type}/new_resumable_url/fresh/${principal}-${op}`, { headers: h });
    case 'signDownload':
      return fetch(`${api}/${type}/get_signed_url/${key}`, { headers: h });
  }
}

const cells = Object.entries(CONTRACT).flatMap(([type, rights]) =>
  (['owner', 'tasks', 'catalog'] as Principal[]).flatMap((principal) =>
    OPS.map((op) => ({ type, principal, op, allowed: rights[principal].has(op) })),
  ),
);

it.each(cells)('$type / $principal / $op: allowed=$allowed', async ({ type, principal, op, allowed }) => {
  const response = await perform(type, principal, op);
  if (!allowed) {
    expect(response.status).toBe(403);
    // HEAD answers carry no body.
    if (op !== 'exists') expect(((await response.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    return;
  }
  expect([200, 204]).toContain(response.status);
  // An allowed URL must also work, and reach this very object.
  if (op === 'signDownload') expect(await (await fetch(await response.text())).text()).toBe(`${type}:${principal}:${op}`);
  if (op === 'signUpload') {
    const url = await response.text();
    const put = await fetch(url, { method: 'PUT', body: Buffer.from('via url'), headers: requiredUploadHeaders(url) });
    expect(put.status).toBe(200);
  }
  if (op === 'read') expect(await response.text()).toBe(`${type}:${principal}:${op}`);
});

describe('acting for another namespace', () => {
  it('is refused to a user token with 403', async () => {
    const response = await fetch(`${gw.apiUrl}/data/list`, {
      headers: { ...(await gw.auth('mallory')), 'x-storage-namespace': gw.namespaceOf('owner-user') },
    });
    expect(response.status).toBe(403);
  });

  it('is refused to a token with an unrelated role', async () => {
    const response = await fetch(`${gw.apiUrl}/result/list`, {
      headers: {
        ...(await gw.auth('mallory', { roles: ['admin', 'storage:everything'] })),
        'x-storage-namespace': gw.namespaceOf('owner-user'),
      },
    });
    expect(response.status).toBe(403);
  });

  it('needs a well-formed namespace (400)', async () => {
    for (const bad of ['../x', 'ABCDEF', gw.namespaceOf('owner-user').toUpperCase(), `${gw.namespaceOf('owner-user')}/x`]) {
      const response = await fetch(`${gw.apiUrl}/result/list`, { headers: { ...headers.tasks, 'x-storage-namespace': bad } });
      expect(response.status).toBe(400);
    }
  });

  it('writes where the owner reads: a task result lands in the owner namespace', async () => {
    await fetch(`${gw.apiUrl}/result/job-1/out.json`, { method: 'PUT', headers: headers.tasks, body: '{"ok":true}' });
    expect(await (await fetch(`${gw.apiUrl}/result/get/job-1/out.json`, { headers: headers.owner })).text()).toBe('{"ok":true}');
    // The service's own namespace stays empty.
    const own = await fetch(`${gw.apiUrl}/result/list`, { headers: await gw.auth('task-runner', { roles: ['storage:tasks'] }) });
    expect(await own.json()).toEqual([]);
  });
});
