/** Runs the built CLI (dist/cli/main.js, as `npx storage` runs it) as a child process. */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const CLI = path.resolve(__dirname, '../../dist/cli/main.js');

export interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  input?: Buffer | string;
  env?: Record<string, string>;
  /** Called with each piece of stderr as it comes, with the time since the start. */
  onStderr?: (text: string, elapsedMs: number) => void;
  uid?: number;
}

/** A runner with `baseEnv` as the child's whole environment (nothing leaks in from the test's). */
export function cliRunner(baseEnv: () => Record<string, string>): (args: string[], options?: RunOptions) => Promise<Run> {
  return (args, options = {}) =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { ...baseEnv(), ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        uid: options.uid,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        err.push(chunk);
        options.onStderr?.(chunk.toString('utf8'), Date.now() - started);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
      child.stdin.end(options.input);
    });
}
