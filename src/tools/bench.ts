/**
 * `npm run bench [-- --seconds S --big-mib N --parallel-mib N --usage-objects N --quick]`: the
 * gateway beside the same MinIO used directly, measured in one run with the same clients,
 * printed as one table.
 *
 * The stack is thrown away afterwards: the gateway runs as its own process in embedded mode
 * (its MinIO as its child) on a temporary data folder. "Direct" means presigned URLs made
 * before timing starts, so both sides pay a signature check per request. Small requests use
 * one node:http client with keep-alive; large transfers use curl on both sides. CPU and
 * memory come from /proc: the gateway's figures are its whole process tree except MinIO.
 * Every loop is bounded by time or count; nothing here asserts a speed.
 *
 * A gateway write first asks the store whether the key collides with a folder (a one-key
 * listing, and a HEAD per parent path not seen lately): the "store ceiling" rows send exactly
 * those calls to MinIO directly, signed with its root keys, so the table shows how much of the
 * gap to a bare PUT is the gateway and how much is the store answering the extra question.
 * Likewise the "floor" rows send the same GETs through a bare Node.js proxy (bareProxy.ts):
 * what any process in the middle costs on this machine, before the gateway's own work; and
 * through the same proxy on Express with one route, for what Express alone adds.
 *
 * The gateway has a quota on tmp alone (QUOTA_ENV): the quota rows (benchQuotas.ts) send the
 * data rows' PUTs and upload URLs to tmp, and GET /usage is timed on a namespace filled
 * straight in the store (benchUsage.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mintToken } from '../auth/tokens';
import { readLocalSecrets } from '../local/secrets';
import { Client } from './benchClient';
import { measureLargeTransfers } from './benchLargeTransfers';
import { readOptions } from './benchOptions';
import { measureSmallRequests } from './benchSmallRequests';
import { startBareProxy, welcome, type BareProxy, type Bench } from './benchStack';
import { QUOTA_ENV } from './benchQuotas';
import { printTable } from './benchTable';
import { measureUsage } from './benchUsage';
import { measureCredentials } from './benchCredentials';
import { spawnEmbeddedGateway } from './embeddedGateway';
import { processTree } from './procStats';

async function run(): Promise<void> {
  const options = readOptions();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-bench-'));
  const gateway = spawnEmbeddedGateway(dataDir, {
    ...QUOTA_ENV,
    ...(options.workers !== undefined && { WEB_CONCURRENCY: String(options.workers) }),
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  let bare: BareProxy | undefined;
  let bareExpress: BareProxy | undefined;
  try {
    const { api, token, store } = await welcome(gateway.stdout);
    const auth = { authorization: `Bearer ${token}` };
    // One caller per concurrent loop, as real load is: the gateway bounds streams per caller.
    const secrets = readLocalSecrets(dataDir);
    const secret = secrets?.jwtSecret ?? '';
    const callers = await Promise.all(
      Array.from({ length: options.concurrency }, async (_, i) => ({ authorization: `Bearer ${await mintToken(secret, `bench-${i}`)}` })),
    );
    const client = new Client(agent);
    const tree = processTree(gateway.pid ?? 0);
    bare = await startBareProxy(store, secrets?.minio, false);
    bareExpress = await startBareProxy(store, secrets?.minio, true);
    console.log(
      `gateway pid ${gateway.pid}, MinIO pid ${tree.minio}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB`,
    );
    const storeKeys = secrets?.minio;
    const bench: Bench = { options, dataDir, api, auth, jwtSecret: secret, callers, store, storeKeys, client, tree, bare, bareExpress };
    // Measured first, printed after the small-request rows, in the order of the issue's table.
    const largeRows = await measureLargeTransfers(bench);
    const rows = await measureSmallRequests(bench);
    // Last: it fills a namespace with objects that no other row should find in the store.
    const usageRows = await measureUsage(bench);
    const credentialRows = await measureCredentials(bench);
    printTable([...rows, ...usageRows, ...credentialRows, ...largeRows], options);
  } finally {
    agent.destroy();
    bare?.stop();
    bareExpress?.stop();
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
