/**
 * MinIO processes of a test's own, from minio/bin: one node, or a distributed cluster of
 * several nodes with several drives each, all on loopback. Each node can be killed, restarted
 * on the same port and drives, frozen (SIGSTOP) and thawed, as a real node fails.
 *
 * MinIO refuses a cluster whose node addresses all resolve to this host unless each node is
 * told which address is its own (`_MINIO_SERVER_LOCAL`) and that this is a test set-up
 * (`MINIO_CI_CD=on`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, MINIO_BINARY } from '../../src/local/minio';
import { until } from './wait';

export interface MinioNode {
  port: number;
  url: string;
  readonly running: boolean;
  kill(): Promise<void>;
  restart(): Promise<void>;
  freeze(): void;
  thaw(): void;
  /** Kills the node and empties its drives, as a replaced disk would come back: restart() next. */
  wipe(): Promise<void>;
}

export interface MinioCluster {
  nodes: MinioNode[];
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Until the cluster as a whole takes writes (its write quorum is met). */
  waitWritable(timeoutMs?: number): Promise<boolean>;
  /**
   * Until every node sees every other: each one could be taken down without costing the write
   * quorum, judged from its own view. A node that rejoined is seen by its peers a while after
   * it answers; until then another node's loss costs the quorum.
   */
  waitSettled(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startMinioCluster(options: { nodes: number; drivesPerNode: number }): Promise<MinioCluster> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-cluster-'));
  const credentials = { accessKeyId: 'cluster-root', secretAccessKey: 'cluster-secret-for-fault-tests' };
  const ports: number[] = [];
  while (ports.length < options.nodes) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const drives = (node: number) =>
    Array.from({ length: options.drivesPerNode }, (_, d) => path.join(root, `node${node + 1}`, `drive${d + 1}`));
  for (let n = 0; n < options.nodes; n++) for (const drive of drives(n)) mkdirSync(drive, { recursive: true });
  // Every node is started with the same list of every drive in the cluster.
  const layout = options.nodes === 1 ? drives(0) : ports.flatMap((port, n) => drives(n).map((drive) => `http://127.0.0.1:${port}${drive}`));

  const children: (ChildProcess | undefined)[] = [];
  const start = (n: number) => {
    const port = ports[n] as number;
    // No console (MINIO_BROWSER=off), so no console port to find.
    const child = spawn(MINIO_BINARY, ['server', '--quiet', '--address', `127.0.0.1:${port}`, ...layout], {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: root,
        MINIO_ROOT_USER: credentials.accessKeyId,
        MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CI_CD: 'on',
        _MINIO_SERVER_LOCAL: `127.0.0.1:${port}`,
      },
    });
    children[n] = child;
  };
  const stopChild = async (n: number, signal: NodeJS.Signals) => {
    const child = children[n];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // A frozen process takes no SIGTERM; SIGKILL always works.
    child.kill(signal);
    await exited;
  };
  const live = (n: number) =>
    fetch(`http://127.0.0.1:${ports[n]}/minio/health/live`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );

  for (let n = 0; n < options.nodes; n++) start(n);
  const cluster: MinioCluster = {
    credentials,
    nodes: ports.map((port, n) => ({
      port,
      url: `http://127.0.0.1:${port}`,
      get running() {
        const child = children[n];
        return child !== undefined && child.exitCode === null && child.signalCode === null;
      },
      kill: () => stopChild(n, 'SIGKILL'),
      restart: async () => {
        await stopChild(n, 'SIGKILL');
        start(n);
        await until(() => live(n), 30_000, 100);
      },
      freeze: () => void children[n]?.kill('SIGSTOP'),
      thaw: () => void children[n]?.kill('SIGCONT'),
      wipe: async () => {
        await stopChild(n, 'SIGKILL');
        for (const drive of drives(n)) {
          rmSync(drive, { recursive: true, force: true });
          mkdirSync(drive, { recursive: true });
        }
      },
    })),
    waitSettled: (timeoutMs = 60_000) =>
      until(
        async () => {
          const answers = await Promise.all(
            ports.map((port) =>
              fetch(`http://127.0.0.1:${port}/minio/health/cluster?maintenance=true`, { signal: AbortSignal.timeout(1000) }).then(
                (r) => r.ok,
                () => false,
              ),
            ),
          );
          return answers.every(Boolean);
        },
        timeoutMs,
        250,
      ),
    waitWritable: (timeoutMs = 60_000) =>
      until(
        async () => {
          for (const n of ports.keys()) {
            const ok = await fetch(`http://127.0.0.1:${ports[n]}/minio/health/cluster`, { signal: AbortSignal.timeout(1000) }).then(
              (r) => r.ok,
              () => false,
            );
            if (ok) return true;
          }
          return false;
        },
        timeoutMs,
        250,
      ),
    stop: async () => {
      for (const n of ports.keys()) {
        children[n]?.kill('SIGCONT');
        await stopChild(n, 'SIGKILL');
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  return cluster;
}
