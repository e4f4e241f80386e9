/**
 * The floor under the gateway's GET, for `npm run bench`: the least any Node.js process in the
 * middle must do (take a request, sign one store GET with the same signer, pipe the answer back
 * through the same HTTP client), with no token, policy, key rules, logs or metrics. Listens on
 * loopback and prints its port; BARE_PROXY_STORE, BARE_PROXY_ACCESS_KEY and
 * BARE_PROXY_SECRET_KEY name the store. BARE_PROXY_EXPRESS=1 puts the same handler behind an
 * Express app with one route and no middleware: what Express alone adds. Not part of the
 * gateway; never started by it.
 */
import http, { type ServerResponse } from 'node:http';
import express from 'express';
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

/** Signs one GET of `path` (/<bucket>/<key>, as it came) and pipes the store's answer back. */
function proxy(path: string, res: ServerResponse): void {
  void (async () => {
    const headers = { host: store.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const signed = await signer.sign(new HttpRequest({ method: 'GET', protocol: store.protocol, hostname: store.host, path, headers }));
    const answer = await agent.request({ origin: store.origin, method: 'GET', path, headers: signed.headers });
    res.writeHead(answer.statusCode, { 'content-length': String(answer.headers['content-length'] ?? 0) });
    answer.body.pipe(res);
  })().catch(() => res.destroy());
}

let server: http.Server;
if (process.env.BARE_PROXY_EXPRESS === '1') {
  const app = express();
  app.get('/{*path}', (req, res) => proxy(req.path, res));
  server = http.createServer(app);
} else {
  server = http.createServer((req, res) => proxy((req.url ?? '/').split('?')[0] ?? '/', res));
}
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`bare proxy on ${typeof address === 'object' && address ? address.port : 0}`);
});
process.once('SIGTERM', () => {
  server.close();
  void agent.close();
  server.closeAllConnections();
});
