/**
 * A TCP relay on loopback in front of a real server: a second "endpoint" for the same store,
 * which a test can break the way a node breaks: close it (connections refused), freeze it (the
 * connection stays open, nothing comes back, like a SIGSTOPped node), thaw and reopen it.
 */
import net from 'node:net';

export interface TcpRelay {
  url: string;
  port: number;
  /** Connections accepted so far: where a client sent its work. */
  readonly connections: number;
  /** Bytes passed on from clients to the server so far. */
  readonly bytesIn: number;
  /** Stop listening and cut every connection: new ones are refused. */
  close(): Promise<void>;
  /** Listen again on the same port. */
  reopen(): Promise<void>;
  /** Keep connections open but pass nothing on, in either direction. */
  freeze(): void;
  thaw(): void;
}

/** A relay to `target` (an http:// URL's host and port). */
export async function startTcpRelay(target: string, port = 0): Promise<TcpRelay> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<net.Socket>();
  let frozen = false;
  let connections = 0;
  let bytesIn = 0;
  const frozenPipes: (() => void)[] = [];

  const pipe = (from: net.Socket, to: net.Socket, count: (bytes: number) => void) => {
    from.on('data', (chunk: Buffer) => {
      if (!frozen) {
        count(chunk.length);
        to.write(chunk);
        return;
      }
      // Held back until thawed, as a stopped process leaves bytes in its socket buffers.
      from.pause();
      frozenPipes.push(() => {
        count(chunk.length);
        to.write(chunk);
        from.resume();
      });
    });
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
    from.on('close', () => to.destroy());
  };

  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(Number(targetPort || 80), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    pipe(client, upstream, (bytes) => (bytesIn += bytes));
    pipe(upstream, client, () => undefined);
  });
  const listen = (onPort: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(onPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const boundPort = await listen(port);

  return {
    url: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    get connections() {
      return connections;
    },
    get bytesIn() {
      return bytesIn;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async reopen() {
      await listen(boundPort);
    },
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const release of frozenPipes.splice(0)) release();
    },
  };
}
