/**
 * The stack `npm run bench` measures, beside its embedded gateway (embeddedGateway.ts): the
 * gateway's welcome, read for what the measurements need, and the bare proxies (bareProxy.ts)
 * in front of the same MinIO. `Bench` is what every measurement gets of the stack.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Client } from './benchClient';
import type { Options } from './benchOptions';
import type { processTree } from './procStats';

export interface Bench {
  options: Options;
  /** The gateway's temporary data folder, where the large transfers' files are written too. */
  dataDir: string;
  api: string;
  /** The welcome's token, for the local user. */
  auth: Record<string, string>;
  /** The gateway's token secret, for callers of the bench's own making. */
  jwtSecret: string;
  /** One caller per concurrent loop, each with a token of its own. */
  callers: Record<string, string>[];
  /** The local MinIO's URL. */
  store: string;
  /** MinIO's root keys. */
  storeKeys: StoreKeys | undefined;
  client: Client;
  tree: ReturnType<typeof processTree>;
  bare: BareProxy;
  bareExpress: BareProxy;
}

export interface StoreKeys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Reads the gateway's printed welcome for the API URL, a token and the local MinIO's URL. */
export async function welcome(stdout: Readable | null): Promise<{ api: string; token: string; store: string }> {
  let text = '';
  for await (const chunk of stdout ?? []) {
    text += String(chunk);
    const api = /API:\s+(\S+)/.exec(text)?.[1];
    const token = /export TOKEN=(\S+)/.exec(text)?.[1];
    const store = /local MinIO at (\S+),/.exec(text)?.[1];
    if (api && token && store) return { api, token, store };
  }
  throw new Error(`the gateway stopped before it was ready:\n${text}`);
}

export interface BareProxy {
  url: string;
  pid: number;
  stop(): void;
}

/** Starts bareProxy.ts in its own process, in front of the same store, with its root keys. */
export async function startBareProxy(store: string, keys: StoreKeys | undefined, onExpress: boolean): Promise<BareProxy> {
  const child = spawn(process.execPath, [path.join(__dirname, 'bareProxy.js')], {
    env: {
      ...process.env,
      BARE_PROXY_STORE: store,
      BARE_PROXY_ACCESS_KEY: keys?.accessKeyId ?? '',
      BARE_PROXY_SECRET_KEY: keys?.secretAccessKey ?? '',
      BARE_PROXY_EXPRESS: onExpress ? '1' : '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  for await (const chunk of child.stdout ?? []) {
    text += String(chunk);
    const port = /bare proxy on (\d+)/.exec(text)?.[1];
    if (port) return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: () => void child.kill('SIGTERM') };
  }
  throw new Error(`the bare proxy stopped before it listened:\n${text}`);
}
