/**
 * The HTTP server's connections: how many may be open, what Node itself answers to what it
 * cannot parse, and how they end on shutdown.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { LimitName } from '../errors';

/**
 * At most `max` connections: Node refuses more at accept. Idle kept-alive connections are the
 * cheapest to give up, so when nine tenths are taken they are closed to make room (a client
 * opens a new one when it needs it) before anyone is refused. A connection that sends nothing
 * at all is closed after `silentMs`: Node's headers deadline starts only with a first byte.
 */
export function guardConnections(server: http.Server, max: number, silentMs: number, hit: (limit: LimitName) => void): void {
  server.maxConnections = max;
  server.on('drop', () => hit('connections'));
  let open = 0;
  let shedAt = 0;
  server.on('connection', (socket: Socket) => {
    open++;
    const silent = setTimeout(() => {
      if (socket.bytesRead > 0) return;
      hit('headers_timeout');
      socket.destroy();
    }, silentMs);
    silent.unref();
    socket.once('close', () => {
      open--;
      clearTimeout(silent);
    });
    if (open >= max * 0.9 && Date.now() - shedAt > 1000) {
      shedAt = Date.now();
      server.closeIdleConnections();
    }
  });
  // Node's own answers to what it cannot parse or did not get in time, as it writes them, with
  // the headers deadline counted.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') hit('headers_timeout');
    // Only where no answer of the gateway's has begun on this connection.
    const answering = (socket as Socket & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (socket.writable && !answering?.headersSent) socket.write(CLIENT_ERROR_ANSWERS[error.code ?? ''] ?? BAD_REQUEST_ANSWER);
    socket.destroy(error);
  });
}

const CLIENT_ERROR_ANSWERS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST_ANSWER = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/** Stops accepting connections, lets in-flight requests finish for `graceMs`, then cuts the rest. */
export async function closeServer(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Keep-alive connections that finish a request while draining are closed as they idle.
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearInterval(idle);
  clearTimeout(cut);
}
