import { randomBytes } from 'node:crypto';
/**
 * HTTP as an attacker writes it, with node:http: the path exactly as given (fetch resolves
 * `..`), any Latin-1 header value (fetch refuses some), bodies as bytes, and connections held
 * open on purpose: a download whose body is never read, an upload that trickles or stalls.
 * Every call is bounded by a timeout, and every socket it opens can be destroyed by the caller.
 */
import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
}

/** Splits an absolute URL without normalising its path: `/a/../b` stays `/a/../b`. */
function target(url: string): { hostname: string; port: string; path: string } {
  const { hostname, port, origin } = new URL(url);
  return { hostname, port, path: url.slice(origin.length) || '/' };
}

/** One request, sent as written, its whole answer read. */
export function send(url: string, options: SendOptions = {}): Promise<Answer> {
  const { hostname, port, path } = target(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent: false, hostname, port, path, method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text: body.toString('utf8') });
        });
      },
    );
    request.setTimeout(options.timeoutMs ?? 15_000, () =>
      request.destroy(new Error(`no answer from ${options.method ?? 'GET'} ${path.slice(0, 80)}`)),
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

export interface OpenResponse {
  status: number;
  request: http.ClientRequest;
  response: http.IncomingMessage;
}

/** Sends a GET and hands back the response with its body not read (paused). */
export function openResponse(url: string, headers: Record<string, string>, timeoutMs = 15_000): Promise<OpenResponse> {
  const { hostname, port, path } = target(url);
  return new Promise((resolve, reject) => {
    const request = http.request({ agent: false, hostname, port, path, headers }, (response) => {
      response.pause();
      clearTimeout(timer);
      resolve({ status: response.statusCode ?? 0, request, response });
    });
    const timer = setTimeout(() => request.destroy(new Error(`no response headers for GET ${path.slice(0, 80)}`)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end();
  });
}

/** Reads the rest of a response: its bytes, and whether it ended as complete (all of Content-Length). */
export function readRest(response: http.IncomingMessage, timeoutMs = 15_000): Promise<{ body: Buffer; complete: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ body: Buffer.concat(chunks), complete: response.complete });
    };
    const timer = setTimeout(() => {
      response.destroy();
      finish();
    }, timeoutMs);
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', finish);
    response.on('error', finish);
    response.on('close', finish);
    response.resume();
  });
}

/**
 * A PUT of `total` bytes (declared up front) written in `chunk`-byte pieces every `everyMs`:
 * slow, but never still for long.
 */
export function trickleUpload(url: string, headers: Record<string, string>, data: Buffer, chunk: number, everyMs: number): Promise<Answer> {
  const { hostname, port, path } = target(url);
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const request = http.request(
      { agent: false, hostname, port, path, method: 'PUT', headers: { ...headers, 'content-length': String(data.length) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text: body.toString('utf8') });
        });
      },
    );
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    let offset = 0;
    const next = () => {
      const piece = data.subarray(offset, offset + chunk);
      offset += piece.length;
      if (offset >= data.length) request.end(piece);
      else {
        request.write(piece);
        timer = setTimeout(next, everyMs);
      }
    };
    next();
  });
}

/**
 * A PUT declaring `declared` bytes that sends `sent` and then goes silent, socket open.
 * Resolves with how long after the last byte left the gateway closed the connection.
 */
export function stalledUpload(
  url: string,
  headers: Record<string, string>,
  declared: number,
  sent: number,
  giveUpMs: number,
): Promise<{ cutAfterMs: number; status: number | undefined }> {
  const { hostname, port, path } = target(url);
  return new Promise((resolve, reject) => {
    let wroteAt = Date.now();
    let status: number | undefined;
    const request = http.request(
      { agent: false, hostname, port, path, method: 'PUT', headers: { ...headers, 'content-length': String(declared) } },
      (response) => {
        status = response.statusCode;
        response.resume();
      },
    );
    const giveUp = setTimeout(() => {
      request.destroy();
      reject(new Error(`the gateway kept a stalled upload open for more than ${giveUpMs} ms`));
    }, giveUpMs);
    const cut = () => {
      clearTimeout(giveUp);
      resolve({ cutAfterMs: Date.now() - wroteAt, status });
    };
    request.on('error', cut);
    request.on('close', cut);
    request.write(Buffer.alloc(sent, 0x62), () => (wroteAt = Date.now()));
  });
}

/**
 * A PUT of `chunks` random MiB, one every `everyMs`: with a Content-Length, or chunked (a body
 * of unknown length). `onChunk` is told the count after each; resolves with the status, or
 * 'cut' when the connection broke first.
 */
export function pacedPut(
  url: string,
  token: string,
  options: { chunks: number; everyMs: number; chunked?: boolean; onChunk?: (sent: number) => void },
): Promise<number | 'cut'> {
  const { hostname, port, path } = target(url);
  const length = options.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(options.chunks * 1024 * 1024) };
  const request = http.request({
    agent: false,
    hostname,
    port,
    path,
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, ...length },
  });
  const answered = new Promise<number | 'cut'>((resolve) => {
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', () => resolve('cut'));
  });
  let sent = 0;
  const tick = () => {
    if (request.destroyed) return;
    request.write(randomBytes(1024 * 1024));
    // Counted apart from the call: `onChunk?.(++sent)` skips the increment when there is no onChunk.
    sent++;
    options.onChunk?.(sent);
    if (sent < options.chunks) setTimeout(tick, options.everyMs);
    else request.end();
  };
  tick();
  return answered;
}
