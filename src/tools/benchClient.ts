/**
 * How `npm run bench` sends its small requests: one node:http client with keep-alive, used
 * alike for the gateway, the store direct and the bare proxies.
 */
import http from 'node:http';

/** A small keep-alive HTTP client whose requests resolve with the status once the body is read. */
export class Client {
  constructor(private readonly agent: http.Agent) {}

  send(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = http.request(url, {
        method,
        agent: this.agent,
        headers: { ...headers, ...(body && { 'content-length': String(body.length) }) },
      });
      request.setTimeout(30_000, () => request.destroy(new Error(`${method} timed out`)));
      request.on('error', reject);
      request.on('response', (response) => {
        response.on('data', () => undefined);
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      });
      request.end(body);
    });
  }

  async text(url: string, headers: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      http
        .get(url, { agent: this.agent, headers }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () =>
            response.statusCode === 200 ? resolve(text) : reject(new Error(`${url} answered ${response.statusCode}: ${text}`)),
          );
        })
        .on('error', reject);
    });
  }
}

/** A presigned URL from the gateway (`get_signed_url` or `new_resumable_url`): the store used directly. */
export async function urlFor(client: Client, api: string, auth: Record<string, string>, route: string, key: string): Promise<string> {
  return client.text(`${api}/data/${route}/${key}?expires_in=3600`, auth);
}

export async function expectStatus(answer: Promise<number>, status: number, what: string): Promise<void> {
  const got = await answer;
  if (got !== status) throw new Error(`${what} answered ${got}`);
}
