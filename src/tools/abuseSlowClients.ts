/**
 * The scenarios of `npm run abuse` whose clients are slow on purpose: uploads that declare a
 * body and trickle it, chunked bodies that stall after a burst, and connections that send a
 * request's head, or a sign-in's body, a byte at a time. Each holds its connections open.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type http from 'node:http';
import { heldUpload, ramp, slowConnection, trickle, type Attackers } from './abuseAttackers';
import { bearer, octet, range, type Scenario } from './abuseSetup';

const KiB = 1024;
const MiB = 1024 * KiB;

const TRICKLE_OWNERS = 64;
const TRICKLE_PER_OWNER = 16;
const TRICKLE_EVERY_MS = 5_000;

const CHUNKED_USERS = 4;
const CHUNKED_PER_USER = 16;
const CHUNKED_BULK = 15 * MiB;
const CHUNK = Buffer.alloc(64 * KiB, 'c');

const SLOWLORIS = 2_000;
const SLOW_SIGN_INS = 200;
const SIGN_IN_BODY_BYTES = 100;

/** In the order of the table: slow bodies, then slow heads. */
export const slowClients: Scenario[] = [
  {
    name: 'trickle-uploads',
    what: () =>
      `one service token (storage:tasks) for ${TRICKLE_OWNERS} made-up namespaces, ${TRICKLE_PER_OWNER} result uploads each declaring 1 MiB, 1 byte every ${TRICKLE_EVERY_MS / 1000} s`,
    async prepare(ctx) {
      const auth = await bearer(ctx, 'abuse-tasks', ['storage:tasks']);
      const namespaces = range(TRICKLE_OWNERS).map(() => randomBytes(20).toString('hex'));
      return {
        holds: true,
        attack: (attackers) =>
          trickleUploads(attackers, (i) => ({
            url: `${ctx.api}/result/trickle/${i}`,
            headers: { ...auth, 'x-storage-namespace': namespaces[i % TRICKLE_OWNERS] ?? '' },
          })),
      };
    },
  },
  {
    name: 'trickle-users',
    what: () =>
      `${TRICKLE_OWNERS} users, ${TRICKLE_PER_OWNER} data uploads each declaring 1 MiB, 1 byte every ${TRICKLE_EVERY_MS / 1000} s`,
    async prepare(ctx) {
      const users = await Promise.all(range(TRICKLE_OWNERS).map((u) => bearer(ctx, `abuse-trickler-${u}`)));
      return {
        holds: true,
        attack: (attackers) =>
          trickleUploads(attackers, (i) => ({ url: `${ctx.api}/data/trickle/${i}`, headers: users[i % TRICKLE_OWNERS] ?? {} })),
      };
    },
  },
  {
    name: 'chunked-bodies',
    what: () =>
      `${CHUNKED_USERS} users, ${CHUNKED_PER_USER} chunked PUTs each (no Content-Length): ${CHUNKED_BULK / MiB} MiB at once, then 1 byte every ${TRICKLE_EVERY_MS / 1000} s`,
    async prepare(ctx) {
      const users = await Promise.all(range(CHUNKED_USERS).map((u) => bearer(ctx, `abuse-chunker-${u}`)));
      return {
        holds: true,
        attack: async (attackers) => {
          const uploads: http.ClientRequest[] = [];
          trickle(attackers, uploads, TRICKLE_EVERY_MS);
          await Promise.all(
            range(CHUNKED_USERS * CHUNKED_PER_USER).map(async (i) => {
              const upload = heldUpload(attackers, `${ctx.api}/data/chunked/${i}`, {
                ...users[i % CHUNKED_USERS],
                ...octet,
                'transfer-encoding': 'chunked',
              });
              for (let sent = 0; sent < CHUNKED_BULK && !upload.destroyed; sent += CHUNK.length) {
                if (!upload.write(CHUNK)) await once(upload, 'drain', { signal: attackers.signal }).catch(() => undefined);
              }
              uploads.push(upload);
            }),
          );
        },
      };
    },
  },
  {
    name: 'slow-unauthenticated',
    what: () =>
      `${SLOWLORIS.toLocaleString('en')} connections sending a request's head 1 byte per second, and ${SLOW_SIGN_INS} sign-in POSTs declaring ${SIGN_IN_BODY_BYTES} bytes sending 1 byte every 10 s`,
    prepare(ctx) {
      const host = `127.0.0.1:${ctx.port}`;
      // Never the blank line that ends a head: header after header, one character at a time.
      const head = (i: number) => `GET /storage/v1/data/get/slow/${i} HTTP/1.1\r\nHost: ${host}\r\n`;
      const filler = 'X-Slow: 1\r\n';
      const signInHead = `POST /storage/v1/sign-in HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${SIGN_IN_BODY_BYTES}\r\n\r\n`;
      const prefix = '{"ticket":"';
      const signInBody = `${prefix}${'t'.repeat(SIGN_IN_BODY_BYTES - prefix.length - 2)}"}`;
      return Promise.resolve({
        holds: true,
        attack: async (attackers) => {
          const loris: (() => void)[] = [];
          const signIns: (() => void)[] = [];
          attackers.every(1_000, () => loris.forEach((send) => send()));
          attackers.every(10_000, () => signIns.forEach((send) => send()));
          await Promise.all([
            ramp(attackers, SLOWLORIS, 200, (i) => {
              const text = head(i);
              loris.push(slowConnection(attackers, ctx.port, '', (n) => text[n] ?? filler[(n - text.length) % filler.length] ?? ''));
            }),
            ramp(attackers, SLOW_SIGN_INS, 100, () => {
              signIns.push(slowConnection(attackers, ctx.port, signInHead, (n) => signInBody[n] ?? ''));
            }),
          ]);
        },
      });
    },
  },
];

/** TRICKLE_OWNERS × TRICKLE_PER_OWNER uploads declaring 1 MiB, each sending a byte every TRICKLE_EVERY_MS. */
async function trickleUploads(
  attackers: Attackers,
  target: (i: number) => { url: string; headers: Record<string, string> },
): Promise<void> {
  const uploads: http.ClientRequest[] = [];
  trickle(attackers, uploads, TRICKLE_EVERY_MS);
  await ramp(attackers, TRICKLE_OWNERS * TRICKLE_PER_OWNER, 128, (i) => {
    const { url, headers } = target(i);
    uploads.push(heldUpload(attackers, url, { ...headers, ...octet, 'content-length': String(MiB) }));
  });
}
