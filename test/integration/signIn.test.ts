/**
 * One-time sign-in links: a ticket is traded once, at POST /storage/v1/sign-in, for a token of
 * its subject; never twice, never after it expires, never as a token itself, and nothing but a
 * ticket signed with the gateway's secret is traded at all.
 */
import { mintSignInTicket } from '../../src/auth/signInTickets';
import { mintToken } from '../../src/auth/tokens';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

const trade = (ticket: unknown) =>
  fetch(`${gw.apiUrl}/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ticket }) });
const refusal = async (answer: Response) => [answer.status, ((await answer.json()) as { error: { message: string } }).error.message];

it('trades a ticket once for a token of its subject, which works on the API', async () => {
  const ticket = await mintSignInTicket(TEST_JWT_SECRET, 'browser-user');
  const first = await trade(ticket);
  expect(first.status).toBe(200);
  expect(first.headers.get('cache-control')).toBe('no-store');
  const { token, subject, expiresIn } = (await first.json()) as { token: string; subject: string; expiresIn: number };
  expect([subject, expiresIn]).toEqual(['browser-user', 12 * 3600]);
  const headers = { authorization: `Bearer ${token}` };
  expect((await fetch(`${gw.apiUrl}/data/mine`, { method: 'PUT', headers, body: 'x' })).status).toBe(200);
  expect(await (await fetch(`${gw.apiUrl}/data/get/mine`, { headers })).text()).toBe('x');
  expect(await refusal(await trade(ticket))).toEqual([401, expect.stringMatching(/used already/)]);
});

it('never takes a ticket as a token', async () => {
  const ticket = await mintSignInTicket(TEST_JWT_SECRET, 'browser-user');
  const answer = await fetch(`${gw.apiUrl}/data/list`, { headers: { authorization: `Bearer ${ticket}` } });
  expect(await refusal(answer)).toEqual([401, expect.stringMatching(/not a token/)]);
});

it('trades nothing but a ticket signed with the gateway’s secret, and no expired one', async () => {
  expect((await refusal(await trade(await mintToken(TEST_JWT_SECRET, 'someone'))))[0]).toBe(401);
  expect((await refusal(await trade(await mintSignInTicket('another-secret-that-is-32-characters-long', 'someone'))))[0]).toBe(401);
  const expiring = await mintSignInTicket(TEST_JWT_SECRET, 'someone', 1);
  await new Promise((r) => setTimeout(r, 2100));
  expect(await refusal(await trade(expiring))).toEqual([401, expect.stringMatching(/expired/)]);
});

it.each([
  ['no ticket', undefined],
  ['a number', 42],
  ['an empty one', ''],
  ['a huge one', 'x'.repeat(5000)],
])('answers %s with a JSON 400', async (_, ticket) => {
  const answer = await trade(ticket);
  expect(answer.status).toBe(400);
  expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('bad_request');
});

// Last: the second gateway shares this file's buckets, and takes them away when it closes.
it('trades a ticket once across replicas and restarts: another gateway on the same store refuses it', async () => {
  const ticket = await mintSignInTicket(TEST_JWT_SECRET, 'replica-user');
  expect((await trade(ticket)).status).toBe(200);
  const replica = await startTestGateway({ STORAGE_BUCKET_PREFIX: gw.config.bucketPrefix });
  try {
    const again = await fetch(`${replica.apiUrl}/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });
    expect(await refusal(again)).toEqual([401, expect.stringMatching(/used already/)]);
    // A fresh ticket still works there: the record is per ticket.
    const fresh = await mintSignInTicket(TEST_JWT_SECRET, 'replica-user');
    const traded = await fetch(`${replica.apiUrl}/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket: fresh }),
    });
    expect(traded.status).toBe(200);
  } finally {
    await replica.close();
  }
});
