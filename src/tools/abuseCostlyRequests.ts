/**
 * The scenarios of `npm run abuse` whose requests are few or small but costly for the gateway
 * and its store to answer: keys as deep as it accepts, and completions of multipart sessions
 * with many parts.
 */
import { attackRequest } from './abuseAttackers';
import { bearer, inPool, octet, range, setupJson, setupRequest, type Context, type Scenario } from './abuseSetup';

const SMALL_BODY = Buffer.alloc(1024, 'a');

/** A key of `depth` one-character segments: `a/a/.../<leaf>`. */
const deepKey = (depth: number, leaf: string) => `${'a/'.repeat(depth - 1)}${leaf}`;
const DEEP_FIRST_TRY = 480;
const DEEP_LOOPS = 32;

const SESSIONS = 16;

export const deepKeys: Scenario = {
  name: 'deep-keys',
  what: () =>
    `one user, ${DEEP_LOOPS} loops of 1 KiB PUTs to new keys as deep as the gateway accepts (${DEEP_FIRST_TRY} segments tried first)`,
  async prepare(ctx) {
    const headers = { ...(await bearer(ctx, 'abuse-deep')), ...octet };
    const { depth, note } = await deepestAccepted(ctx, headers);
    let n = 0;
    return {
      note,
      attack: async (attackers) => {
        const agent = attackers.agent({ keepAlive: true, maxSockets: DEEP_LOOPS });
        await Promise.all(
          range(DEEP_LOOPS).map(async () => {
            while (!attackers.stopped) {
              attackers.count(
                await attackRequest(attackers, agent, 'PUT', `${ctx.api}/data/${deepKey(depth, `x${n++}`)}`, headers, SMALL_BODY),
              );
            }
          }),
        );
      },
    };
  },
};

export const completions: Scenario = {
  name: 'completions',
  what: (parts) =>
    `one user, ${SESSIONS} multipart sessions of ${parts.toLocaleString('en')} tiny parts each (uploaded to MinIO beforehand), all ${SESSIONS} completed at once without a parts list, again and again`,
  async prepare(ctx) {
    const started = performance.now();
    const auth = await bearer(ctx, 'abuse-completer');
    const parts = ctx.parts;
    const sessions = await Promise.all(
      range(SESSIONS).map(async (s) => {
        const key = `completions/s${s}/blob`;
        const { uploadId } = await setupJson<{ uploadId: string }>(ctx, 'POST', `${ctx.api}/multipart/data/${key}`, auth);
        const urls: string[] = [];
        // The gateway signs at most 1,000 part URLs per request.
        for (let first = 1; first <= parts; first += 1000) {
          const last = Math.min(parts, first + 999);
          const batch = await setupJson<{ urls: { url: string }[] }>(
            ctx,
            'GET',
            `${ctx.api}/multipart/data/${key}?uploadId=${encodeURIComponent(uploadId)}&parts=${first}-${last}`,
            auth,
          );
          urls.push(...batch.urls.map((part) => part.url));
        }
        return { key, uploadId, urls };
      }),
    );
    const part = Buffer.from('p');
    await inPool(
      sessions.flatMap((session) => session.urls),
      32,
      async (url) => {
        const answer = await setupRequest(ctx, 'PUT', url, {}, part);
        if (answer.status !== 200) throw new Error(`a part PUT to the store answered ${answer.status}: ${answer.text}`);
      },
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      note: `set-up (not measured): ${SESSIONS} sessions × ${parts.toLocaleString('en')} parts in ${seconds.toFixed(1)} s`,
      attack: async (attackers) => {
        const agent = attackers.agent({ keepAlive: true, maxSockets: SESSIONS });
        while (!attackers.stopped) {
          const outcomes = await Promise.all(
            sessions.map((session) =>
              attackRequest(
                attackers,
                agent,
                'POST',
                `${ctx.api}/multipart/data/${session.key}?uploadId=${encodeURIComponent(session.uploadId)}`,
                { ...auth, 'content-length': '0' },
              ),
            ),
          );
          for (const outcome of outcomes) attackers.count(outcome);
        }
      },
    };
  },
};

/**
 * The deepest key the gateway lets this caller write, trying DEEP_FIRST_TRY segments first:
 * halving while a PUT answers 400, then narrowing down between the last refused and the
 * first accepted depth. Set-up, not measured.
 */
async function deepestAccepted(ctx: Context, headers: Record<string, string>): Promise<{ depth: number; note: string }> {
  const put = (depth: number) => setupRequest(ctx, 'PUT', `${ctx.api}/data/${deepKey(depth, `p${depth}`)}`, headers, SMALL_BODY);
  let depth = DEEP_FIRST_TRY;
  let refused: { depth: number; message: string } | undefined;
  for (;;) {
    const answer = await put(depth);
    if (answer.status === 200) break;
    if (answer.status !== 400 || depth === 1) {
      throw new Error(`a PUT of a ${depth}-segment key answered ${answer.status}: ${answer.text.slice(0, 200)}`);
    }
    // The first refusal's reason is the one worth printing; the shallowest refused depth bounds the search.
    refused = { depth, message: refused?.message ?? errorMessage(answer.text) };
    depth = Math.floor(depth / 2);
  }
  if (!refused) return { depth, note: `${depth} segments accepted` };
  let [accepted, tooDeep] = [depth, refused.depth];
  while (tooDeep - accepted > 1) {
    const middle = Math.floor((accepted + tooDeep) / 2);
    const answer = await put(middle);
    if (answer.status === 200) accepted = middle;
    else if (answer.status === 400) tooDeep = middle;
    else throw new Error(`a PUT of a ${middle}-segment key answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  }
  return {
    depth: accepted,
    note: `${DEEP_FIRST_TRY} segments refused ("${refused.message}"); ${accepted} segments, the deepest accepted, used`,
  };
}

function errorMessage(text: string): string {
  try {
    return (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text.slice(0, 120);
  } catch {
    return text.slice(0, 120);
  }
}
