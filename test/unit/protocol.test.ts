/**
 * The protocol module (src/protocol/routes.ts) is the one spelling of the API's routes: the
 * gateway's contracts take their paths from it and declare exactly its query names, and the
 * client, the CLI and the storage browser spell no route, query or header of the API anywhere
 * else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { routeTable, type AppDependencies } from '../../src/http/app';
import { ROUTES, serverPath, type RouteName } from '../../src/protocol/routes';

const root = path.resolve(__dirname, '..', '..');
const contracts = routeTable({} as AppDependencies).map((route) => route.contract);

describe('the route contracts', () => {
  const named = (name: string) => contracts.find((contract) => contract.name === name);

  it.each(Object.keys(ROUTES) as RouteName[])('%s: method, path and query names as the protocol declares them', (name) => {
    const contract = named(name);
    expect(contract).toBeDefined();
    expect(contract?.method.toUpperCase()).toBe(ROUTES[name].method);
    expect(contract?.path).toBe(serverPath(name));
    const declared = Object.keys((contract?.query as { shape?: object } | undefined)?.shape ?? {});
    expect(declared.sort()).toEqual([...ROUTES[name].query].sort());
  });

  it('has no API route the protocol does not name (the probes outside the API aside)', () => {
    const unnamed = contracts.filter((contract) => !(contract.name in ROUTES)).map((contract) => contract.path);
    expect(unnamed.sort()).toEqual(['/healthz', '/metrics', '/readyz']);
  });
});

describe('callers of the API', () => {
  const sources = (dir: string): string[] =>
    readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sources(path.join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [path.join(dir, entry.name)] : [],
    );
  // A route fragment, query name or header of the API inside a string or template literal.
  const fragment =
    /['"`][^'"`\n]*(\/storage\/v1|\/(get|list|new_resumable_url|get_signed_url|multipart|copy|capabilities|sign-in|openapi\.json)\/|\/(list|capabilities|sign-in)['"`?]|[?&](uploadId|parts|prefix|delimiter|expires_in|content_type|size)=|x-next|x-storage-namespace)/i;

  it.each([...sources('src/client'), ...sources('src/cli'), ...sources('console/src')])('%s spells no route of its own', (file) => {
    const lines = readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
      .filter((line) => fragment.test(line));
    expect(lines).toEqual([]);
  });
});
