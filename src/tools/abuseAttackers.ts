/**
 * What the attackers of `npm run abuse` hold and send. Every attacker socket, pool and timer is
 * held by the scenario's Attackers, so stopping lets go of all of them at once.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Everything one scenario's attackers hold, so that stop() can let go of all of it: their
 * sockets, pools and timers. Outcomes seen after stop() are the tool's own doing, not counted.
 */
export class Attackers {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal = this.controller.signal;
  private readonly sockets = new Set<net.Socket>();
  private readonly agents: http.Agent[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  readonly answers = new Map<string, number>();
  requests = 0;

  constructor() {
    // Every attacker request listens to the signal while under way: hundreds at once are the point.
    setMaxListeners(0, this.signal);
  }

  get stopped(): boolean {
    return this.signal.aborted;
  }

  agent(options: http.AgentOptions): http.Agent {
    const agent = new http.Agent(options);
    this.agents.push(agent);
    return agent;
  }

  track(socket: net.Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  every(ms: number, tick: () => void): void {
    this.timers.push(setInterval(tick, ms));
  }

  async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.signal }).catch(() => undefined);
  }

  count(outcome: string): void {
    if (!this.stopped) this.answers.set(outcome, (this.answers.get(outcome) ?? 0) + 1);
  }

  /** Tracked connections not closed yet. */
  open(): number {
    return this.sockets.size;
  }

  stop(): void {
    this.controller.abort();
    for (const timer of this.timers) clearInterval(timer);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    for (const agent of this.agents) agent.destroy();
  }
}

/** How a request that got no answer ended: cut by the other side, refused, or another error. */
function failure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'cut';
  if (code === 'ECONNREFUSED') return 'refused';
  return code?.toLowerCase() ?? 'error';
}

/** Counts the first outcome it is given (an answer, an error, a close) and ignores the rest. */
function countedOnce(attackers: Attackers): (outcome: string) => void {
  let counted = false;
  return (outcome) => {
    if (counted) return;
    counted = true;
    attackers.count(outcome);
  };
}

/** One attacker request on a pool; resolves with its status, or how it failed. */
export function attackRequest(
  attackers: Attackers,
  agent: http.Agent,
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<string> {
  attackers.requests++;
  return new Promise((resolve) => {
    const request = http.request(url, { method, agent, headers, signal: attackers.signal });
    request.on('error', (error) => resolve(failure(error)));
    request.on('response', (response) => {
      response.on('data', () => undefined);
      response.on('end', () => resolve(String(response.statusCode)));
      response.on('error', (error) => resolve(failure(error)));
    });
    request.end(body);
  });
}

/**
 * An upload on its own connection whose headers go out at once and whose body the caller
 * writes (or does not). Its outcome is counted once: the gateway's answer, or how the
 * connection ended without one. An answer ends it: this attacker does not retry.
 */
export function heldUpload(attackers: Attackers, url: string, headers: Record<string, string>): http.ClientRequest {
  attackers.requests++;
  const request = http.request(url, { method: 'PUT', agent: false, headers, signal: attackers.signal });
  const end = countedOnce(attackers);
  request.on('socket', (socket) => attackers.track(socket));
  request.on('response', (response) => {
    end(String(response.statusCode));
    response.resume();
    request.destroy();
  });
  request.on('error', (error) => end(failure(error)));
  request.on('close', () => end('cut'));
  request.flushHeaders();
  return request;
}

/** Writes one byte to each upload still under way, every `ms`. */
export function trickle(attackers: Attackers, uploads: http.ClientRequest[], ms: number): void {
  attackers.every(ms, () => {
    for (const upload of uploads) if (!upload.destroyed) upload.write('t');
  });
}

/**
 * A raw connection that sends `head` at once, then one character of `drip(n)` per tick of
 * its group; the first status line the gateway sends back is its outcome.
 */
export function slowConnection(attackers: Attackers, port: number, head: string, drip: (n: number) => string): () => void {
  attackers.requests++;
  const socket = net.connect({ host: '127.0.0.1', port });
  attackers.track(socket);
  const end = countedOnce(attackers);
  socket.on('data', (chunk: Buffer) => {
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1'))?.[1];
    end(status ?? 'garbled');
  });
  socket.on('error', (error) => end(failure(error)));
  socket.on('close', () => end('cut'));
  if (head) socket.write(head);
  let sent = 0;
  return () => {
    if (!socket.destroyed && socket.writable) socket.write(drip(sent++));
  };
}

/** Calls `open(i)` `count` times, `batch` at a time with a pause between, so the listen backlog keeps up. */
export async function ramp(attackers: Attackers, count: number, batch: number, open: (i: number) => void): Promise<void> {
  for (let i = 0; i < count && !attackers.stopped; i++) {
    open(i);
    if ((i + 1) % batch === 0) await attackers.pause(50);
  }
}
