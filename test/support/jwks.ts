/** An identity provider's key set served over real HTTP on loopback, with keys to sign tokens. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface TestIdentityProvider {
  url: string;
  issuer: string;
  audience: string;
  /** `expiresIn: null` leaves `exp` out. */
  sign(alg: 'RS256' | 'ES256', claims: JWTPayload, options?: { kid?: string; expiresIn?: string | number | null }): Promise<string>;
  /** A key pair the provider does not publish: its tokens must be refused. */
  signWithUnpublishedKey(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<TestIdentityProvider> {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const stranger = await generateKeyPair('RS256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  const server = http.createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}/`;
  const audience = 'storage-gateway';

  const sign = (key: CryptoKey, alg: string, kid: string, claims: JWTPayload, expiresIn: string | number | null = '10m') => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).setIssuer(issuer).setAudience(audience).setIssuedAt();
    return (expiresIn === null ? jwt : jwt.setExpirationTime(expiresIn)).sign(key);
  };

  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    audience,
    sign: (alg, claims, options = {}) =>
      alg === 'RS256'
        ? sign(rsa.privateKey, 'RS256', options.kid ?? 'rsa-1', claims, options.expiresIn)
        : sign(ec.privateKey, 'ES256', options.kid ?? 'ec-1', claims, options.expiresIn),
    signWithUnpublishedKey: (claims) => sign(stranger.privateKey, 'RS256', 'rsa-1', claims),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
