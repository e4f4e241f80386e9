/**
 * The S3 credentials rows of `npm run bench`: POST /credentials for a new caller each time
 * (an STS AssumeRole with its session policy on every call), one after another, and for one
 * caller again and again (kept until half their life has passed: no STS call).
 */
import { mintToken } from '../auth/tokens';
import type { Bench } from './benchStack';
import type { Row } from './benchTable';

const CALLS = 100;

export async function measureCredentials({ api, jwtSecret }: Bench): Promise<Row[]> {
  const tokens = await Promise.all(Array.from({ length: CALLS }, (_, i) => mintToken(jwtSecret, `bench-credentials-${i}`)));
  const time = async (token: string) => {
    const t0 = performance.now();
    const answer = await fetch(`${api}/credentials`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const ms = performance.now() - t0;
    if (answer.status !== 200) throw new Error(`POST /credentials answered ${answer.status}: ${await answer.text()}`);
    await answer.arrayBuffer();
    return ms;
  };
  // Warm-up, not timed: the route's code compiled, the STS connection open.
  await time(await mintToken(jwtSecret, 'bench-credentials-warm-up'));
  const fresh: number[] = [];
  for (const token of tokens) fresh.push(await time(token));
  const kept: number[] = [];
  for (let i = 0; i < CALLS; i++) kept.push(await time(tokens[0] as string));
  const p50 = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return [
    {
      metric: `POST /credentials p50, a new caller each time (STS round trip included; ${CALLS} calls, one at a time)`,
      gateway: p50(fresh),
      unit: 'ms',
      goal: '< 50 ms',
      met: p50(fresh) < 50,
      lowerIsBetter: true,
    },
    {
      metric: `  the same caller again (kept until half their life has passed)`,
      gateway: p50(kept),
      unit: 'ms',
      goal: '–',
      met: undefined,
      lowerIsBetter: true,
    },
  ];
}
