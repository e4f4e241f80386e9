/**
 * The gateway under abuse: a throw-away embedded gateway (embeddedGateway.ts) with one worker,
 * its log at warn or above counted per scenario, its processes found in /proc, and a stop that
 * leaves neither it nor its MinIO behind.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnEmbeddedGateway } from './embeddedGateway';
import { processTree } from './procStats';

const GATEWAY_START_MS = 120_000;
/** Past the gateway's own shutdown grace (25 s by default), it and its MinIO are killed. */
const GATEWAY_STOP_MS = 45_000;

/** A throw-away embedded gateway in its own process, as bench starts one. */
export class Gateway {
  readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-abuse-'));
  private readonly child: ChildProcess;
  private readonly exit: Promise<void>;
  private minio = 0;
  private closing: Promise<void> | undefined;
  /** The gateway's log lines at warn or above since takeLog(), by message. */
  private log = new Map<string, number>();
  /** When the gateway last logged at warn or above (performance.now()). */
  lastWarning = 0;
  readonly ready: Promise<{ api: string; port: number }>;
  exitedWith: string | undefined;

  constructor(extraEnv: Record<string, string>) {
    this.child = spawnEmbeddedGateway(this.dataDir, { WEB_CONCURRENCY: '1', ...extraEnv });
    this.exit = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitedWith = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      }),
    );
    this.ready = this.readWelcome();
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.exitedWith === undefined;
  }

  /** The gateway's processes without MinIO. */
  pids(): number[] {
    return processTree(this.pid).gateway();
  }

  takeLog(): Map<string, number> {
    const log = this.log;
    this.log = new Map();
    return log;
  }

  /**
   * Reads the welcome for the API's URL, then keeps reading stdout to the end: the log goes
   * there, and a pipe nobody reads would fail the gateway's writes.
   */
  private readWelcome(): Promise<{ api: string; port: number }> {
    return new Promise((resolve, reject) => {
      if (!this.child.stdout) throw new Error('the gateway has no stdout');
      let text = '';
      let api: string | undefined;
      const timer = setTimeout(
        () => reject(new Error(`the gateway was not ready within ${GATEWAY_START_MS / 1000} s:\n${text}`)),
        GATEWAY_START_MS,
      );
      const lines = createInterface({ input: this.child.stdout });
      lines.on('line', (line) => {
        if (api === undefined) {
          text += `${line}\n`;
          api = /API:\s+(\S+)/.exec(line)?.[1];
          if (api !== undefined) {
            clearTimeout(timer);
            this.minio = processTree(this.pid).minio;
            resolve({ api, port: Number(new URL(api).port) });
          }
          return;
        }
        this.countLogLine(line);
      });
      lines.on('close', () => {
        clearTimeout(timer);
        reject(new Error(`the gateway stopped before it was ready:\n${text}`));
      });
    });
  }

  /** Log lines are JSON; the rest of the welcome is not. */
  private countLogLine(line: string): void {
    if (!line.startsWith('{')) return;
    let entry: { level?: number; msg?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    const message = entry.msg ?? '?';
    if ((entry.level ?? 0) < 40) return;
    this.log.set(message, (this.log.get(message) ?? 0) + 1);
    this.lastWarning = performance.now();
  }

  /** Stops the gateway (killing it and its MinIO if it will not stop) and removes the data folder. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.alive) {
        this.child.kill('SIGTERM');
        const stopped = await Promise.race([this.exit.then(() => true), sleep(GATEWAY_STOP_MS).then(() => false)]);
        if (!stopped) {
          this.child.kill('SIGKILL');
          await this.exit;
        }
      }
      // A gateway that died or was killed may leave its MinIO behind, writing to the folder.
      if (isMinio(this.minio)) {
        process.kill(this.minio, 'SIGTERM');
        for (let i = 0; i < 50 && isMinio(this.minio); i++) await sleep(100);
        if (isMinio(this.minio)) process.kill(this.minio, 'SIGKILL');
      }
      rmSync(this.dataDir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  /** For process exit, when nothing can be awaited: kill what is left and remove the folder. */
  closeNow(): void {
    try {
      if (this.alive) this.child.kill('SIGKILL');
      if (isMinio(this.minio)) process.kill(this.minio, 'SIGKILL');
    } finally {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

function isMinio(pid: number): boolean {
  if (pid === 0) return false;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'minio';
  } catch {
    return false;
  }
}

/**
 * Waits, for at most `ms`, until the gateway answers /healthz and has logged nothing for a
 * second: it logs each upload the last scenario left cut, and that work belongs to neither
 * scenario's window.
 */
export async function settle(gateway: Gateway, api: string, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  const url = `${new URL(api).origin}/healthz`;
  while (performance.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now()))) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok && performance.now() - gateway.lastWarning >= 1_000) return;
    await sleep(250);
  }
}
