/**
 * The built gateway (dist/main.js) as its own process, on loopback against the run's store,
 * with a bucket prefix of the test's choosing: for tests that stop or kill it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../src/local/minio';
import { gatewayProcessEnv } from './gateway';

const root = path.resolve(__dirname, '..', '..');

/** Starts it and answers once /readyz says ready; `exited` resolves with its exit code. */
export async function startGatewayProcess(prefix: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'dist', 'main.js')], {
    env: gatewayProcessEnv(prefix, port, env),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error('the gateway exited during start-up');
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, exited };
}
