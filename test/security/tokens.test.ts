/**
 * The token matrix: every way a bearer token can be wrong gets a clear 401, and the accepted
 * kinds (HS256 shared secret, RS256 and ES256 from a real JWKS) work.
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { startIdentityProvider, type TestIdentityProvider } from '../support/jwks';

let idp: TestIdentityProvider;
let gw: TestGateway;
const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  idp = await startIdentityProvider();
  gw = await startTestGateway({ AUTH_JWKS_URL: idp.url, AUTH_ISSUER: idp.issuer, AUTH_AUDIENCE: idp.audience });
});
afterAll(async () => {
  await gw.close();
  await idp.close();
});

/** An HS256 token with the gateway's secret, carrying the configured issuer and audience. */
function local(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', ...header })
    .setIssuer(idp.issuer)
    .setAudience(idp.audience)
    .sign(secret);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function call(token: string | undefined) {
  const response = await fetch(`${gw.apiUrl}/data/list`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const body = response.status === 200 ? undefined : ((await response.json()) as { error: { code: string; message: string } }).error;
  return { status: response.status, body };
}

describe('accepted tokens', () => {
  it.each(['RS256', 'ES256'] as const)('accepts %s from the identity provider', async (alg) => {
    expect((await call(await idp.sign(alg, { sub: 'idp-user' }))).status).toBe(200);
  });

  it('accepts HS256 signed with AUTH_JWT_SECRET', async () => {
    expect((await call(await local({ sub: 'local-user', exp: now() + 60 }))).status).toBe(200);
  });

  it('allows a little clock skew on expiry', async () => {
    expect((await call(await local({ sub: 'skewed', exp: now() - 10 }))).status).toBe(200);
  });
});

describe('refused tokens', () => {
  const cases: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no token at all', async () => undefined, /Missing Authorization/],
    ['an empty bearer', async () => '', /Bearer/],
    ['garbage', async () => 'not-a-token', /malformed/],
    ['three dots of garbage', async () => 'a.b.c', /malformed/],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', exp: now() + 60 })}.`, /algorithm/],
    [
      'alg HS512 with the right secret',
      async () => new SignJWT({ sub: 'mallory' }).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1m').sign(secret),
      /algorithm/,
    ],
    ['alg RS384', async () => `${b64({ alg: 'RS384' })}.${b64({ sub: 'mallory' })}.c2ln`, /algorithm/],
    [
      'HS256 keyed with public JWKS material (algorithm confusion)',
      async () => {
        const jwks = await (await fetch(idp.url)).text();
        const unsigned = `${b64({ alg: 'HS256', kid: 'rsa-1' })}.${b64({ sub: 'mallory', exp: now() + 60, iss: idp.issuer, aud: idp.audience })}`;
        return `${unsigned}.${createHmac('sha256', jwks).update(unsigned).digest('base64url')}`;
      },
      /signature/,
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await local({ sub: 'alice', exp: now() + 60 })).split('.');
        return `${h}.${b64({ sub: 'bob', exp: now() + 60, iss: idp.issuer, aud: idp.audience })}.${s}`;
      },
      /signature/,
    ],
    [
      'another secret',
      async () =>
        new SignJWT({ sub: 'mallory', iss: idp.issuer, aud: idp.audience })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode('x'.repeat(40))),
      /signature/,
    ],
    ['a key the provider does not publish', async () => idp.signWithUnpublishedKey({ sub: 'mallory' }), /signature|key/],
    ['an unknown kid', async () => idp.sign('RS256', { sub: 'mallory' }, { kid: 'nobody' }), /key/],
    ['an expired token', async () => local({ sub: 'alice', exp: now() - 3600 }), /expired/],
    ['an expired provider token', async () => idp.sign('ES256', { sub: 'alice' }, { expiresIn: now() - 3600 }), /expired/],
    ['a token not valid yet', async () => local({ sub: 'alice', nbf: now() + 3600, exp: now() + 7200 }), /not valid yet/],
    ['no subject', async () => local({ exp: now() + 60 }), /subject/],
    ['an empty subject', async () => local({ sub: '', exp: now() + 60 }), /subject/],
    [
      'another issuer',
      async () =>
        new SignJWT({ sub: 'alice' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('https://evil.example/')
          .setAudience(idp.audience)
          .setExpirationTime('1m')
          .sign(secret),
      /issuer/,
    ],
    [
      'another audience',
      async () =>
        new SignJWT({ sub: 'alice' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(idp.issuer)
          .setAudience('someone-else')
          .setExpirationTime('1m')
          .sign(secret),
      /audience/,
    ],
    ['a token without exp (it would never expire)', async () => local({ sub: 'alice' }), /no expiry/],
    ['a provider token without exp', async () => idp.sign('RS256', { sub: 'alice' }, { expiresIn: null }), /no expiry/],
    [
      'a token issued in the future (iat beyond the clock skew)',
      async () => local({ sub: 'alice', iat: now() + 3600, exp: now() + 7200 }),
      /future/,
    ],
    [
      'a token living longer than AUTH_MAX_TOKEN_LIFETIME_SECONDS',
      async () => local({ sub: 'alice', iat: now(), exp: now() + 31 * 24 * 3600 }),
      /longer/,
    ],
    [
      'a token without iat whose exp is beyond the maximum lifetime from now',
      async () => local({ sub: 'alice', exp: now() + 31 * 24 * 3600 }),
      /longer/,
    ],
  ];

  it.each(cases)('refuses %s with 401 and says why', async (_what, make, reason) => {
    const { status, body } = await call(await make());
    expect(status).toBe(401);
    expect(body?.code).toBe('unauthorized');
    expect(body?.message).toMatch(reason);
  });

  it('never echoes the token back', async () => {
    const token = await local({ sub: 'alice', exp: now() - 3600 });
    const response = await fetch(`${gw.apiUrl}/data/list`, { headers: { authorization: `Bearer ${token}` } });
    expect(await response.text()).not.toContain(token.split('.')[1]);
  });
});

describe('when the identity provider is down', () => {
  it('answers 503 rather than calling a good token bad', async () => {
    const down = await startIdentityProvider();
    const token = await down.sign('RS256', { sub: 'alice' });
    await down.close();
    const other = await startTestGateway({ AUTH_JWKS_URL: down.url });
    try {
      const response = await fetch(`${other.apiUrl}/data/list`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('identity_provider_unavailable');
    } finally {
      await other.close();
    }
  });
});
