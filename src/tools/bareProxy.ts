/**
 * The floor under the gateway's GET, for `npm run bench`: the least any Node.js process in the
 * middle must do (take a request, sign one store GET with the same signer, pipe the answer back
 * through the same HTTP client), with no token, policy, key rules, logs or metrics. Listens on
 * loopback and prints its port; BARE_PROXY_STORE, BARE_PROXY_ACCESS_KEY and
 * BARE_PROXY_SECRET_KEY name the store. Not part of the gateway; never started by it.
 */
import http from 'node:http';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Agent } from 'undici';
import { NodeSha256 } from '../store/urlSigner';

const store = new URL(process.env.BARE_PROXY_STORE ?? 'http://127.0.0.1:9000');
const signer = new SignatureV4({
  service: 's3',
  region: 'us-east-1',
  credentials: { accessKeyId: process.env.BARE_PROXY_ACCESS_KEY ?? '', secretAccessKey: process.env.BARE_PROXY_SECRET_KEY ?? '' },
  sha256: NodeSha256,
  uriEscapePath: false,
  applyChecksum: false,
});
const agent = new Agent({ connections: 64 });

const server = http.createServer((req, res) => {
  // The path is /<bucket>/<key>, passed on as it came.
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  void (async () => {
    const headers = { host: store.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const signed = await signer.sign(new HttpRequest({ method: 'GET', protocol: store.protocol, hostname: store.host, path, headers }));
    const answer = await agent.request({ origin: store.origin, method: 'GET', path, headers: signed.headers });
    res.writeHead(answer.statusCode, { 'content-length': String(answer.headers['content-length'] ?? 0) });
    answer.body.pipe(res);
  })().catch(() => res.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`bare proxy on ${typeof address === 'object' && address ? address.port : 0}`);
});
process.once('SIGTERM', () => {
  server.close();
  void agent.close();
  server.closeAllConnections();
});
