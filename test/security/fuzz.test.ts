/**
 * Hostile input at every route the gateway describes. The routes come from its own OpenAPI
 * document (plus the storage browser's static files); each operation gets a bounded set of
 * malformed, ambiguous and abusive requests, the same on every run (a seeded generator picks
 * the random bytes), written as an attacker writes them: node:http with the path as given, and
 * raw sockets for framing node:http refuses to write. Whatever arrives, the answer is below 500,
 * a refusal by the API is its JSON error, nothing is logged as an error, and the gateway goes
 * on serving. A 5xx is printed with the route, method and variant that reproduce it.
 */
import { createHmac } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SignJWT } from 'jose';
import { mintSignInTicket } from '../../src/auth/signInTickets';
import { createLogger } from '../../src/log';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { send, type Answer } from '../support/hostileHttp';

const SEED = 0x5eed_f022;
/** Requests in flight at once: enough to overlap the store's latency, few enough for two cores. */
const CONCURRENCY = 4;
const ANSWER_TIMEOUT_MS = 8_000;
/** A request that promises more body than it sends is given up after this: the gateway rightly waits. */
const STALL_TIMEOUT_MS = 800;

// ---- a seeded generator ------------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  return {
    int,
    bytes: (length: number) => Buffer.from(Array.from({ length }, () => int(256))),
    /** Every byte percent-encoded: any octet sequence, valid UTF-8 or not. */
    percentBytes: (length: number) => Array.from({ length }, () => `%${int(256).toString(16).padStart(2, '0')}`).join(''),
    /** Valid Unicode of every UTF-8 length, control characters included, encoded as a careful client would. */
    unicode: (length: number) =>
      encodeURIComponent(
        Array.from({ length }, () => {
          const longest = [0x7f, 0x7ff, 0xd7ff, 0x10ffff];
          let code = int((longest[int(longest.length)] ?? 0x7f) + 1);
          if (code >= 0xd800 && code <= 0xdfff) code = 0x2603;
          return String.fromCodePoint(code);
        }).join(''),
      ),
    /** Printable Latin-1 (what node:http lets through in a header value). */
    latin1: (length: number) =>
      Array.from({ length }, () => {
        const code = 0x20 + int(0xe0);
        return String.fromCharCode(code === 0x7f ? 0x7e : code);
      }).join(''),
  };
}
const rng = generator(SEED);

// ---- requests and answers ----------------------------------------------------------------------

interface Variant {
  /** The operation (operationId, or `console`) and what was done to it: enough to reproduce. */
  route: string;
  name: string;
  method: string;
  /** From the server root, exactly as written on the wire. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** Bytes written to a socket as they are, for what node:http will not write. */
  wire?: Buffer;
  /** Close our side after writing: the body ends early. */
  halfClose?: boolean;
  /** Promises bytes it never sends: no answer before the short timeout is right. */
  mayStall?: boolean;
  /** The storage browser's static files, which are not JSON. */
  staticFiles?: boolean;
}

type Outcome = { answer: Answer } | { noAnswer: string };

let sequence = 0;
const nextRequestId = () => `fuzz-${(++sequence).toString(36)}`;

async function exchange(variant: Variant): Promise<Outcome> {
  const timeoutMs = variant.mayStall ? STALL_TIMEOUT_MS : ANSWER_TIMEOUT_MS;
  if (variant.wire) return wireExchange(variant.wire, Boolean(variant.halfClose), variant.method === 'HEAD', timeoutMs);
  try {
    return {
      answer: await send(`${gw.url}${variant.path}`, { method: variant.method, headers: variant.headers, body: variant.body, timeoutMs }),
    };
  } catch (error) {
    return { noAnswer: (error as Error).message };
  }
}

/** One raw exchange: the bytes written, the first final answer read back (interim 1xx skipped). */
function wireExchange(bytes: Buffer, halfClose: boolean, head: boolean, timeoutMs: number): Promise<Outcome> {
  const { hostname, port } = new URL(gw.url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname);
    let settled = false;
    const finish = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const answer = parseAnswer(Buffer.concat(chunks), head);
      resolve(answer ? { answer } : { noAnswer: why });
    };
    const timer = setTimeout(() => finish('no answer in time'), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (parseAnswer(Buffer.concat(chunks), head)?.complete) finish('answered');
    });
    socket.on('error', (error) => finish(error.message));
    socket.on('close', () => finish('connection closed without an answer'));
    socket.write(bytes, () => {
      if (halfClose) socket.end();
    });
  });
}

function parseAnswer(data: Buffer, head: boolean): (Answer & { complete: boolean }) | undefined {
  let rest = data;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.subarray(end + 4);
    if (status >= 100 && status < 200) continue;
    let body = rest;
    let complete = true;
    if (head || status === 204 || status === 304) body = Buffer.alloc(0);
    else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      complete = rest.length >= length;
      body = rest.subarray(0, length);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      ({ body, complete } = dechunk(rest));
    } else complete = false;
    return { status, headers, body, text: body.toString('utf8'), complete };
  }
}

function dechunk(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** A request as bytes: the request line and headers verbatim, then the body as given. */
function wire(method: string, path: string, headerLines: string[], body: Buffer | string = ''): Buffer {
  const host = new URL(gw.url).host;
  return Buffer.concat([
    Buffer.from(
      `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${headerLines.map((l) => `${l}\r\n`).join('')}\r\n`,
      'latin1',
    ),
    Buffer.from(body),
  ]);
}

// ---- the gateway, its callers and what they stored ----------------------------------------------

let gw: TestGateway;
/** Error-level lines the gateway logged: there must be none. */
const errorLines: Record<string, unknown>[] = [];
const sourceBucket = `fuzz-src-${Date.now().toString(36)}`;
let operations: Operation[];

interface Callers {
  user: string;
  other: string;
  service: string;
  userNs: string;
  otherNs: string;
  uploadId: string;
  etag: string;
  /** Refusals of every kind a token can earn. */
  badTokens: [string, string | null][];
}
let callers: Callers;

/** The gateway's log: error lines kept for the assertion, all of it echoed when TEST_LOG_LEVEL is set. */
function fuzzLogger() {
  const echo = process.env.TEST_LOG_LEVEL;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (typeof parsed.level === 'number' && parsed.level >= 50) errorLines.push(parsed);
        if (echo) process.stderr.write(`${line}\n`);
      }
      done();
    },
  });
  return createLogger(echo && echo !== 'silent' ? echo : 'error', sink);
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const secret = new TextEncoder().encode(TEST_JWT_SECRET);

/** Authorization header values (null: none at all), each wrong in its own way but for two spellings. */
async function tokenVariants(): Promise<[string, string | null][]> {
  const unsigned = (header: unknown, payload: unknown, signature = '') => `${b64(header)}.${b64(payload)}.${signature}`;
  const claims = { sub: 'fuzz-user', exp: now() + 3600 };
  const hs256 = (header: Record<string, unknown>, payload: Record<string, unknown>) => {
    const input = `${b64({ alg: 'HS256', ...header })}.${b64(payload)}`;
    return `${input}.${createHmac('sha256', TEST_JWT_SECRET).update(input).digest('base64url')}`;
  };
  const valid = await gw.token('fuzz-user');
  const [validHeader, validPayload] = valid.split('.');
  return [
    ['none', null],
    ['empty', ''],
    ['Basic credentials', 'Basic ZnV6ejpmdXp6'],
    ['Bearer and nothing', 'Bearer'],
    ['Bearer and a space', 'Bearer '],
    ['Bearer garbage', `Bearer ${rng.latin1(40).replace(/\s/g, 'x')}`],
    ['Bearer of dots', 'Bearer ..'],
    ['Bearer a.b.c', 'Bearer a.b.c'],
    ['a token whose header is no JSON', `Bearer ${b64('not json')}.${b64(claims)}.x`],
    ['a token whose header is an array', `Bearer ${b64([])}.${b64(claims)}.x`],
    ['a token whose payload is no JSON', `Bearer ${validHeader}.${b64('{')}.x`],
    ['alg none', `Bearer ${unsigned({ alg: 'none', typ: 'JWT' }, claims)}`],
    ['alg None', `Bearer ${unsigned({ alg: 'None' }, claims)}`],
    ['HS256 with no signature', `Bearer ${validHeader}.${validPayload}.`],
    ['RS256 without a key set', `Bearer ${unsigned({ alg: 'RS256' }, claims, b64(rng.bytes(256)))}`],
    [
      'an expired token',
      `Bearer ${await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('fuzz-user')
        .setIssuedAt(now() - 7200)
        .setExpirationTime(now() - 3600)
        .sign(secret)}`,
    ],
    ['a token not valid yet', `Bearer ${hs256({}, { ...claims, nbf: now() + 3600 })}`],
    ['a token with no expiry', `Bearer ${hs256({}, { sub: 'fuzz-user' })}`],
    ['a token with a numeric subject', `Bearer ${hs256({}, { ...claims, sub: 42 })}`],
    ['a token with roles as an object', `Bearer ${hs256({}, { ...claims, roles: { 'storage:tasks': true } })}`],
    ['a token with a critical header', `Bearer ${hs256({ crit: ['exp'] }, claims)}`],
    ['an unencoded payload (b64 false)', `Bearer ${hs256({ b64: false, crit: ['b64'] }, claims)}`],
    ['a token with exp as text', `Bearer ${hs256({}, { ...claims, exp: 'tomorrow' })}`],
    ['a token living for centuries', `Bearer ${hs256({}, { ...claims, exp: 1e12 })}`],
    [
      'another secret',
      `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(40)))}`,
    ],
    ['a sign-in ticket as token', `Bearer ${await mintSignInTicket(TEST_JWT_SECRET, 'fuzz-user')}`],
    ['a huge token', `Bearer ${'a'.repeat(8000)}`],
    ['two Bearer tokens', `Bearer ${valid} Bearer ${valid}`],
    ['lowercase bearer', `bearer ${valid}`],
    ['a tab after Bearer', `Bearer\t${valid}`],
    ['Latin-1 bytes', `Bearer ${'\xff\xfe'.repeat(10)}`],
  ];
}

beforeAll(async () => {
  gw = await startTestGateway({ COPY_SOURCE_BUCKETS: sourceBucket }, fuzzLogger());
  await gw.s3.send(new CreateBucketCommand({ Bucket: sourceBucket }));
  await gw.s3.send(new PutObjectCommand({ Bucket: sourceBucket, Key: 'fuzz/source.txt', Body: 'copy me' }));
  const user = await gw.token('fuzz-user');
  const service = await gw.token('fuzz-service', { roles: ['storage:tasks'] });
  const userNs = gw.namespaceOf('fuzz-user');
  const put = async (path: string, headers: Record<string, string>, body: string) => {
    const response = await fetch(`${gw.apiUrl}${path}`, { method: 'PUT', headers, body });
    expect([path, response.status]).toEqual([path, 200]);
    return ((await response.json()) as { etag: string }).etag;
  };
  const auth = { authorization: `Bearer ${user}` };
  const etag = await put('/data/fuzz/known.txt', auth, 'known bytes');
  await put('/data/fuzz/dir/a.txt', auth, 'a');
  await put('/data/fuzz/deleted.txt', auth, 'to be deleted');
  await put('/tmp/fuzz/known.txt', auth, 'tmp bytes');
  await put('/result/fuzz/known.txt', { authorization: `Bearer ${service}`, 'x-storage-namespace': userNs }, 'result bytes');
  const started = await fetch(`${gw.apiUrl}/multipart/data/fuzz/upload.bin?size=10`, { method: 'POST', headers: auth });
  expect(started.status).toBe(201);
  const { uploadId } = (await started.json()) as { uploadId: string };
  callers = {
    user,
    other: await gw.token('fuzz-other'),
    service,
    userNs,
    otherNs: gw.namespaceOf('fuzz-other'),
    uploadId,
    etag,
    badTokens: await tokenVariants(),
  };
  const described = await fetch(`${gw.apiUrl}/openapi.json`);
  expect(described.status).toBe(200);
  operations = operationsOf((await described.json()) as OpenApiDocument);
});

afterAll(async () => {
  await gw.s3.send(new DeleteObjectCommand({ Bucket: sourceBucket, Key: 'fuzz/source.txt' }));
  await gw.s3.send(new DeleteBucketCommand({ Bucket: sourceBucket }));
  // Also the proof that no store call a hostile request began is left waiting: closing waits for them.
  await gw.close();
});

// ---- the routes, from the gateway's own description ----------------------------------------------

interface OpenApiParameter {
  in: string;
  name: string;
  $ref?: string;
}
interface OpenApiOperation {
  operationId: string;
  security?: unknown[];
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, unknown> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { parameters?: Record<string, OpenApiParameter> };
}

interface Operation {
  id: string;
  method: string;
  /** As documented: `/storage/v1/{type}/get/{key}`. */
  template: string;
  pathParams: string[];
  queryNames: string[];
  body: 'json' | 'stream' | 'none';
  public: boolean;
}

const HTTP_METHODS = ['get', 'head', 'put', 'post', 'delete', 'patch', 'options'];

function operationsOf(doc: OpenApiDocument): Operation[] {
  const resolve = (p: OpenApiParameter) =>
    p.$ref ? (doc.components?.parameters?.[p.$ref.replace('#/components/parameters/', '')] ?? p) : p;
  return Object.entries(doc.paths).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => {
        const parameters = (operation.parameters ?? []).map(resolve);
        const content = Object.keys(operation.requestBody?.content ?? {});
        return {
          id: operation.operationId,
          method: method.toUpperCase(),
          template,
          pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
          queryNames: parameters.filter((p) => p.in === 'query').map((p) => p.name),
          body: content.includes('application/json') ? 'json' : content.length > 0 ? 'stream' : 'none',
          public: Array.isArray(operation.security) && operation.security.length === 0,
        } satisfies Operation;
      }),
  );
}

/** A valid value for each path parameter the document names, already percent-encoded. */
function paramValue(op: Operation, name: string): string {
  const keyFor: Record<string, string> = {
    multipart_start: 'fuzz/upload.bin',
    multipart_sessions: 'fuzz/upload.bin',
    multipart_part_urls: 'fuzz/upload.bin',
    multipart_parts: 'fuzz/upload.bin',
    multipart_complete: 'fuzz/upload.bin',
    multipart_abort: 'fuzz/upload.bin',
    set: 'fuzz/put.bin',
    delete: 'fuzz/deleted.txt',
  };
  const values: Record<string, string> = {
    type: 'data',
    key: keyFor[op.id] ?? 'fuzz/known.txt',
    user_ns: callers.userNs,
    // The admin routes' namespace: the fuzzing caller's own (its token is no admin's: 403s).
    namespace: callers.userNs,
    src_bucket: sourceBucket,
    src: 'fuzz/source.txt',
    dest_type: 'data',
    dest: 'fuzz/copied.txt',
    // An abort would end the session the other operations are fuzzed on.
    uploadId: encodeURIComponent(op.id === 'multipart_abort' ? 'fuzz-no-such-upload' : callers.uploadId),
  };
  const value = values[name];
  if (value === undefined) throw new Error(`${op.method} ${op.template}: the fuzzer has no value for the path parameter {${name}}`);
  return value;
}

/** The query an ordinary call of the operation sends. */
function baseQuery(op: Operation): string {
  const queries: Record<string, string> = {
    multipart_part_urls: 'parts=1',
    list: 'prefix=fuzz/',
  };
  return queries[op.id] ?? '';
}

function baseBody(op: Operation): string | undefined {
  if (op.id === 'sign_in') return JSON.stringify({ ticket: 'not-a-ticket' });
  if (op.body === 'json') return JSON.stringify({ parts: [{ partNumber: 1, etag: '"0123456789abcdef"' }] });
  if (op.body === 'stream') return 'fuzz bytes';
  return undefined;
}

interface Changes {
  params?: Record<string, string>;
  /** Appended to the operation's own query. */
  query?: string;
  /** Leave out the operation's own query (part URLs then lack their part numbers). */
  bare?: boolean;
  /** Replaces the whole path (and query), as written. */
  path?: string;
  method?: string;
  /** `null` removes a header the ordinary call sends. */
  headers?: Record<string, string | null>;
  body?: Buffer | string | null;
}

function pathOf(op: Operation, changes: Changes = {}): string {
  if (changes.path !== undefined) return changes.path;
  const path = op.template.replace(/\{(\w+)\}/g, (_, name: string) => changes.params?.[name] ?? paramValue(op, name));
  const query = [changes.bare ? '' : baseQuery(op), changes.query].filter((q) => q !== undefined && q !== '').join('&');
  return query ? `${path}?${query}` : path;
}

function variant(op: Operation, name: string, changes: Changes = {}): Variant {
  const body = changes.body === null ? undefined : (changes.body ?? baseBody(op));
  const headers: Record<string, string | null> = {
    'x-request-id': nextRequestId(),
    ...(!op.public && { authorization: `Bearer ${callers.user}` }),
    ...(op.body === 'json' && body !== undefined && { 'content-type': 'application/json' }),
    ...(body !== undefined && { 'content-length': String(Buffer.byteLength(body)) }),
    ...changes.headers,
  };
  return {
    route: op.id,
    name,
    method: changes.method ?? op.method,
    path: pathOf(op, changes),
    headers: Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== null)),
    body,
  };
}

/** The same request written on a socket by hand, with `framing` in place of the body's own. */
function wireVariant(
  op: Operation,
  name: string,
  framing: { headers: string[]; body: Buffer | string },
  extra: Partial<Variant> = {},
): Variant {
  const base = variant(op, name, { body: null });
  const lines = Object.entries(base.headers).map(([header, value]) => `${header}: ${value}`);
  return { ...base, ...extra, wire: wire(base.method, base.path, [...lines, ...framing.headers], framing.body) };
}

// ---- the hostile variants ----------------------------------------------------------------------

function authVariants(op: Operation): Variant[] {
  return callers.badTokens.map(([name, value]) => variant(op, `Authorization: ${name}`, { headers: { authorization: value } }));
}

function namespaceVariants(op: Operation): Variant[] {
  const { userNs, otherNs, service } = callers;
  const asService = { authorization: `Bearer ${service}` };
  const ns = (name: string, value: string, headers: Record<string, string> = {}) =>
    variant(op, `X-Storage-Namespace: ${name}`, { headers: { 'x-storage-namespace': value, ...headers } });
  return [
    ns('empty', ''),
    ns('own, uppercase hex', userNs.toUpperCase()),
    ns('39 characters', userNs.slice(1)),
    ns('41 characters', `${userNs}0`),
    ns("someone else's, user token", otherNs),
    ns("the user's, another user's token", userNs, { authorization: `Bearer ${callers.other}` }),
    ns('40 characters not hex', 'z'.repeat(40)),
    ns('Latin-1', '\xe9'.repeat(40)),
    ns('two values', `${userNs}, ${otherNs}`),
    ns('a path', `../${userNs}`),
    ns("the user's, service token", userNs, asService),
    ns('uppercase, service token', userNs.toUpperCase(), asService),
    ns('41 characters, service token', `${userNs}0`, asService),
    ns('random hex, service token', rng.bytes(20).toString('hex'), asService),
    variant(op, 'service token acting for itself', { headers: asService }),
    ...(op.pathParams.includes('type')
      ? [
          variant(op, "service token on the user's result", {
            params: { type: 'result' },
            headers: { ...asService, 'x-storage-namespace': userNs },
          }),
        ]
      : []),
  ];
}

function conditionVariants(op: Operation): Variant[] {
  const header = (name: string, values: string[]) =>
    values.map((value) => variant(op, `${name}: ${value.slice(0, 60)}`, { headers: { [name]: value } }));
  return [
    ...header('Range', [
      '',
      'bytes=',
      'bytes=5-1',
      'bytes=0-0,1-1',
      'bytes=-0',
      'bytes=0-',
      'bytes=1000000-',
      'bytes=9999999999999999999-',
      'bytes=9999999999999999999-9999999999999999999',
      'bytes=-9999999999999999999',
      'bytes=0-18446744073709551616',
      'items=0-1',
      'bytes=--1',
      'bytes = 0-1',
      `bytes=0-${rng.latin1(8)}`,
    ]),
    ...header('If-None-Match', [
      '',
      '*',
      '"x',
      'W/',
      '"a", W/"b"',
      `"${'a'.repeat(2000)}"`,
      callers.etag,
      `W/${callers.etag}`,
      rng.latin1(30),
    ]),
    ...header('If-Modified-Since', [
      'garbage',
      '0',
      '-1',
      'Thu, 01 Jan 1970 00:00:00 GMT',
      'Sat, 13 Sep 275760 00:00:00 GMT',
      'Mon, 31 Dec 9999 23:59:59 GMT',
      new Date(Date.now() + 86_400_000).toUTCString(),
      'x'.repeat(100),
      rng.latin1(30),
    ]),
    variant(op, 'If-None-Match of the object with a Range', { headers: { 'if-none-match': callers.etag, range: 'bytes=0-1' } }),
    variant(op, 'If-Modified-Since now with a Range', { headers: { 'if-modified-since': new Date().toUTCString(), range: 'bytes=0-1' } }),
  ];
}

function headerVariants(op: Operation): Variant[] {
  const header = (name: string, values: string[]) =>
    values.map((value) => variant(op, `${name}: ${value.slice(0, 60)}`, { headers: { [name]: value } }));
  return [
    ...header('X-NEXT', [
      'x',
      '%',
      'a'.repeat(5000),
      b64({ prefix: '../' }),
      b64('null'),
      b64('[]'),
      b64('{"__proto__":{"x":1}}'),
      '__proto__',
      rng.latin1(40),
    ]),
    ...header('Content-Type', [
      'garbage',
      '',
      'a/b; c',
      '\xff\xfe',
      'text/html',
      'x'.repeat(4000),
      'multipart/form-data; boundary=',
      rng.latin1(30),
    ]),
    ...header('Expect', ['100-continue', 'garbage']),
    ...header('X-Request-Id', ['x'.repeat(500), '../../etc', '\xff']),
    ...header('Accept', ['text/html', '*/*;q=x', rng.latin1(20)]),
    ...header('Accept-Encoding', ['gzip;q=2', 'x-unknown', '*;q=0']),
    ...header('Origin', ['https://evil.example', 'null']),
    ...header('Cookie', ['a=1; a=2; __proto__=x']),
  ];
}

const gzipBomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
const deep = (depth: number, open: string, close: string, inner = '1') => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/** Bodies for every operation, the ones that take none included. */
function bodyVariants(op: Operation): Variant[] {
  const json = 'application/json';
  const body = (name: string, headers: Record<string, string>, content: Buffer | string) =>
    variant(op, name, { headers: { 'content-type': json, ...headers }, body: content });
  const valid = baseBody(op) ?? '{"a":1}';
  const common = [
    body('invalid JSON', {}, '{"parts": ['),
    body('unknown Content-Encoding', { 'content-encoding': 'x-unknown' }, valid),
    body('gzip with bytes that are not gzip', { 'content-encoding': 'gzip' }, valid),
    body('charset=koi8-r', { 'content-type': `${json}; charset=koi8-r` }, valid),
    body('random bytes as octet-stream', { 'content-type': 'application/octet-stream' }, rng.bytes(1024)),
  ];
  if (op.body === 'none') return common.map((v) => ({ ...v, name: `${v.name} on ${op.method}` }));
  const shapes: [string, string][] =
    op.body === 'json'
      ? [
          ['null', 'null'],
          ['an array', '[]'],
          ['a string', '"x"'],
          ['a number', '1'],
          ['true', 'true'],
          ['an empty object', '{}'],
          ['parts as an object', '{"parts":{}}'],
          ['no parts', '{"parts":[]}'],
          ['parts of numbers', '{"parts":[1,2]}'],
          ['part fields of the wrong type', '{"parts":[{"partNumber":"1","etag":1}]}'],
          ['part number 0 and an empty etag', '{"parts":[{"partNumber":0,"etag":""}]}'],
          ['a part number of 1e400', '{"parts":[{"partNumber":1e400,"etag":"x"}]}'],
          ['a part number of -1e400', '{"parts":[{"partNumber":-1e400,"etag":"x"}]}'],
          ['a 30-digit part number', '{"parts":[{"partNumber":123456789012345678901234567890,"etag":"x"}]}'],
          ['a fractional part number', '{"parts":[{"partNumber":1.5,"etag":"x"}]}'],
          ['a part number of 1e-400', '{"parts":[{"partNumber":1e-400,"etag":"x"}]}'],
          ['10001 parts', JSON.stringify({ parts: Array.from({ length: 10_001 }, (_, i) => ({ partNumber: i + 1, etag: 'x' })) })],
          ['the same part twice', '{"parts":[{"partNumber":1,"etag":"x"},{"partNumber":1,"etag":"y"}]}'],
          ['parts out of order', '{"parts":[{"partNumber":2,"etag":"x"},{"partNumber":1,"etag":"y"}]}'],
          ['a 201-character etag', JSON.stringify({ parts: [{ partNumber: 1, etag: 'e'.repeat(201) }] })],
          ['an etag with NUL and newlines', JSON.stringify({ parts: [{ partNumber: 1, etag: '\u0000\r\n<x>' }] })],
          ['an etag with a lone surrogate', '{"parts":[{"partNumber":1,"etag":"\\ud800"}]}'],
          ['a numeric ticket', '{"ticket":123}'],
          ['an empty ticket', '{"ticket":""}'],
          ['a ticket array', '{"ticket":["x"]}'],
          ['a 5000-character ticket', JSON.stringify({ ticket: 't'.repeat(5000) })],
          ['a ticket with control characters', JSON.stringify({ ticket: '\u0000\u001b[31m' })],
          ['__proto__', '{"__proto__":{"polluted":true},"parts":[{"partNumber":1,"etag":"x"}],"ticket":"x"}'],
          ['constructor.prototype', '{"constructor":{"prototype":{"polluted":true}},"ticket":"x"}'],
          ['duplicate keys', '{"ticket":"a","ticket":{"x":1},"parts":[],"parts":{}}'],
          ['arrays nested 3000 deep', deep(3000, '[', ']')],
          ['objects nested 3000 deep', deep(3000, '{"a":', '}')],
          ['arrays nested 100000 deep', deep(100_000, '[', ']')],
          ['deep nesting inside parts', `{"parts":[{"partNumber":1,"etag":"x","extra":${deep(50_000, '[', ']')}}]}`],
          ['a 3 MiB string', JSON.stringify({ parts: 'x'.repeat(3 * 1024 * 1024) })],
          ['truncated', '{"parts":[{"partNumber":1,'],
          ['single quotes', "{'ticket':'x'}"],
          ['NaN', '{"parts":[{"partNumber":NaN}]}'],
          ['a BOM first', '\ufeff{}'],
          ['trailing garbage', '{}garbage'],
          ['only whitespace', ' \r\n\t '],
          ['empty', ''],
        ]
      : [
          ['empty', ''],
          ['a 3 MiB body', 'x'.repeat(3 * 1024 * 1024)],
        ];
  const mutated = Array.from({ length: 6 }, (_, i) => {
    const text = Buffer.from(valid);
    for (let flips = 0; flips <= i; flips++) text[rng.int(text.length)] = rng.int(256);
    return body(`the ordinary body with ${i + 1} random byte(s) changed`, {}, text);
  });
  const encoded = (name: string, encoding: string, content: Buffer | string) =>
    body(`Content-Encoding: ${name}`, { 'content-encoding': encoding }, content);
  const charset = (name: string, content: Buffer | string = valid, label = name) =>
    body(`charset=${label}`, { 'content-type': `${json}; charset=${name}` }, content);
  const typed = (type: string, content: Buffer | string = valid) => body(`Content-Type: ${type}`, { 'content-type': type }, content);
  return [
    ...common,
    ...shapes.map(([name, content]) => body(`JSON: ${name}`, {}, content)),
    ...mutated,
    encoded('deflate with garbage', 'deflate', rng.bytes(64)),
    encoded('br with garbage', 'br', rng.bytes(64)),
    encoded('zstd with garbage', 'zstd', rng.bytes(64)),
    encoded('gzip of the body', 'gzip', gzipSync(valid)),
    encoded('deflate of the body', 'deflate', deflateSync(valid)),
    encoded('br of the body', 'br', brotliCompressSync(valid)),
    encoded('gzip of invalid JSON', 'gzip', gzipSync('{"parts":')),
    encoded('gzip cut short', 'gzip', gzipSync(valid).subarray(0, 12)),
    encoded('a gzip bomb (8 MiB of spaces)', 'gzip', gzipBomb),
    encoded('GZIP in capitals', 'GZIP', gzipSync(valid)),
    encoded('gzip, gzip', 'gzip, gzip', gzipSync(gzipSync(valid))),
    encoded('identity, x-unknown', 'identity, x-unknown', valid),
    encoded('an empty value', '', valid),
    encoded('Latin-1', '\xe9', valid),
    charset('utf-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')])),
    charset('utf-16be', Buffer.from(valid, 'utf16le').swap16()),
    charset('utf-16', valid, 'utf-16 with UTF-8 bytes'),
    charset('utf-7'),
    charset('utf-32'),
    charset('utf-xyz'),
    charset('"utf-8"'),
    charset('UTF-8'),
    charset('latin1'),
    charset('koi8-r', Buffer.from([0x7b, 0x22, 0xd4, 0xc9, 0x22, 0x3a, 0x31, 0x7d])),
    charset(''),
    typed('text/plain'),
    typed('application/x-www-form-urlencoded', 'ticket=x&parts[0][partNumber]=1'),
    typed('multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="ticket"\r\n\r\nx\r\n--x--\r\n'),
    typed('application/vnd.api+json'),
    typed('application/json-patch+json'),
    typed('APPLICATION/JSON'),
    typed('application/json;;'),
    typed('application/json; charset'),
    typed('*/*'),
    variant(op, 'no Content-Type with a JSON body', { headers: { 'content-type': null } }),
    variant(op, 'Content-Type JSON with no body', { body: null, headers: { 'content-type': json } }),
  ];
}

/** Query strings as a hostile client writes them: appended to the operation's own, and alone. */
function queryVariants(op: Operation): Variant[] {
  const query = (name: string, q: string) => [
    variant(op, `query ${name}`, { query: q }),
    ...(baseQuery(op) ? [variant(op, `query ${name}, without ${baseQuery(op).split('=')[0]}`, { query: q, bare: true })] : []),
  ];
  const generic: [string, string][] = [
    ['a=1&a=2', 'a=1&a=2'],
    ['a[]=1', 'a[]=1'],
    ['a[b]=1', 'a[b]=1'],
    ['%', '%'],
    ['%zz', '%zz=1'],
    ['%00', '%00=%00'],
    ['overlong UTF-8', 'a=%c0%af'],
    ['a lone surrogate', 'a=%ed%a0%80'],
    ['=', '='],
    ['&&&', '&&&=&'],
    ['__proto__', '__proto__=x&__proto__[polluted]=1'],
    ['constructor.prototype', 'constructor[prototype][polluted]=1'],
    ['60 parameters', Array.from({ length: 60 }, (_, i) => `p${i}=1`).join('&')],
    ['an 8000-character value', `a=${'x'.repeat(8000)}`],
    ['a second ?', '?a=1'],
    ['; as separator', 'a=1;b=2'],
    ['+', '+=+'],
    ['random bytes', `a=${rng.percentBytes(24)}`],
  ];
  const perName = op.queryNames.flatMap((n): [string, string][] => [
    [`${n} twice`, `${n}=1&${n}=2`],
    [`${n}[]`, `${n}[]=1`],
    [`${n}[b]`, `${n}[b]=1`],
    [`${n}=%`, `${n}=%`],
    [`${n}=%zz`, `${n}=%zz`],
    [`${n}=%00`, `${n}=%00`],
    [`${n} overlong UTF-8`, `${n}=%c0%af`],
    [`${n} lone surrogate`, `${n}=%ed%a0%80`],
    [`${n} CR LF`, `${n}=a%0d%0aX-Injected:%201`],
    [`${n} empty`, `${n}=`],
    [`${n} without =`, n],
    [`${n} long`, `${n}=${'9'.repeat(6000)}`],
    [`${n}=-1`, `${n}=-1`],
    [`${n} 20 digits`, `${n}=99999999999999999999`],
    [`${n}=1e3`, `${n}=1e3`],
    [`${n} spaces`, `${n}=%20%201%20`],
    [`${n} ..`, `${n}=..%2f..%2f`],
    [`${n} random bytes`, `${n}=${rng.percentBytes(16)}`],
    [`${n} random Unicode`, `${n}=${rng.unicode(8)}`],
  ]);
  return [...generic, ...perName].flatMap(([name, q]) => query(name, q));
}

const KEY_GARBAGE: [string, string][] = [
  ['%', '%'],
  ['%zz', '%zz'],
  ['%0', 'a%0'],
  ['%00', 'a%00b'],
  ['%2e%2e', '%2e%2e'],
  ['%2e%2e/%2e%2e/x', '%2e%2e/%2e%2e/x'],
  ['..', '..'],
  ['.', '.'],
  ['a/../b', 'a/../b'],
  ['../../x', '../../x'],
  ['%2e%2e%2f%2e%2e%2fx', '%2e%2e%2f%2e%2e%2fx'],
  ['overlong /', 'a%c0%afb'],
  ['overlong ..', '%c0%ae%c0%ae'],
  ['a lone high surrogate', 'a%ed%a0%80'],
  ['a lone low surrogate', 'a%ed%b0%80'],
  ['%ff', '%ff'],
  ['%fe%ff', '%fe%ff'],
  ['%2F inside', 'a%2Fb'],
  ['%2F alone', '%2F'],
  ['a leading %2F', '%2Fa'],
  ['an empty segment', 'a//b'],
  ['a trailing /', 'a/'],
  ['backslash ..', '%5c..%5cx'],
  ['%01', 'a%01'],
  ['an escape sequence', '%1b%5b31m'],
  ['DEL', 'a%7f'],
  ['CR LF', 'a%0d%0aX-Injected:%201'],
  ['right-to-left override', 'a%e2%80%aeb'],
  ['an emoji', '%F0%9F%98%80'],
  ['U+FFFF', '%ef%bf%bf'],
  [';', 'a;b=1'],
  ['%3b', 'a%3bb'],
  ['%3f', 'a%3fb'],
  ['%23', 'a%23b'],
  ['*', '*'],
  ['%252e%252e', '%252e%252e'],
  ['a 300-byte segment', `a/${'s'.repeat(300)}`],
  ['a 1001-byte key', `${'a/'.repeat(500)}b`],
  ['a 4000-byte key', 'k'.repeat(4000)],
  ['a 12000-byte key', 'k'.repeat(12_000)],
  ['empty', ''],
];
const STORAGE_TYPES = ['data', 'tmp', 'products', 'result', 'logs'];
const TYPE_GARBAGE = [
  'DATA',
  'Data',
  '%64ata',
  'nope',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '',
  '%00',
  'data%00',
  '..',
  'x'.repeat(300),
  '%ff',
];
const NAMESPACE_GARBAGE = ['', 'z'.repeat(40), '..', '%2e%2e', '0'.repeat(40), '%00', 'A'.repeat(40), '0'.repeat(41), 'x'.repeat(3000)];
const BUCKET_GARBAGE = ['', '..', 'UPPER', 'a', 'x'.repeat(300), '%00', '%2e%2e', 'storage-data', 'a..b', '-a-', '192.168.0.1', '%ff'];

function pathVariants(op: Operation): Variant[] {
  const garbageFor = (param: string): [string, string][] => {
    if (param === 'type' || param === 'dest_type') {
      return [
        ...STORAGE_TYPES.map((type): [string, string] => [`the type ${type}`, type]),
        ...TYPE_GARBAGE.map((value): [string, string] => [value.slice(0, 30), value]),
      ];
    }
    if (param === 'user_ns') return NAMESPACE_GARBAGE.map((value) => [value.slice(0, 30), value]);
    if (param === 'src_bucket') return BUCKET_GARBAGE.map((value) => [value.slice(0, 30), value]);
    return [
      ...KEY_GARBAGE,
      ['random bytes', rng.percentBytes(12)],
      ['random bytes', `a/${rng.percentBytes(30)}`],
      ['random Unicode', rng.unicode(12)],
      ['random Unicode', `${rng.unicode(4)}/${rng.unicode(20)}`],
    ];
  };
  const plain = pathOf(op);
  const [bare = '', query] = plain.split('?');
  const withQuery = (path: string) => (query ? `${path}?${query}` : path);
  return [
    ...op.pathParams.flatMap((param) =>
      garbageFor(param).map(([name, value]) => variant(op, `{${param}} ${name}`, { params: { [param]: value } })),
    ),
    variant(op, 'a trailing /', { path: withQuery(`${bare}/`) }),
    variant(op, '/.. at the end', { path: withQuery(`${bare}/..`) }),
    variant(op, 'a /../ detour', { path: withQuery(bare.replace('/storage/v1/', '/storage/v1/../v1/')) }),
    variant(op, 'a %2e%2e detour', { path: withQuery(bare.replace('/storage/v1/', '/storage/%2e%2e/storage/v1/')) }),
    variant(op, 'a /./', { path: withQuery(bare.replace(/^\//, '/./')) }),
    variant(op, 'double slashes', { path: withQuery(bare.replace(/\//g, '//')) }),
    variant(op, 'in capitals', { path: withQuery(bare.toUpperCase()) }),
    variant(op, 'a ;param', { path: withQuery(`${bare};jsessionid=x`) }),
    rawTarget(op, 'an absolute URL as target', `http://evil.example${plain}`),
  ];
}

/** Framing node:http will not write: lengths that lie, bad chunks, smuggling shapes, bytes in the target. */
function wireVariants(op: Operation): Variant[] {
  const body = baseBody(op) ?? '{"a":1}';
  const type = ['content-type: application/json'];
  const takesBody = op.body !== 'none';
  const path = pathOf(op);
  return [
    wireVariant(op, 'Content-Length shorter than the body', {
      headers: [...type, 'content-length: 5'],
      body: `${body}GET / HTTP/1.1\r\n\r\n`,
    }),
    wireVariant(
      op,
      'Content-Length longer than the body, then EOF',
      { headers: [...type, `content-length: ${body.length + 100}`], body },
      { halfClose: true },
    ),
    ...(takesBody
      ? [
          wireVariant(
            op,
            'Content-Length longer than the body, then silence',
            { headers: [...type, `content-length: ${body.length + 100}`], body },
            { mayStall: true },
          ),
        ]
      : []),
    wireVariant(op, 'a chunk size that is no number', {
      headers: [...type, 'transfer-encoding: chunked'],
      body: `zz\r\n${body}\r\n0\r\n\r\n`,
    }),
    wireVariant(op, 'a chunk longer than its size', {
      headers: [...type, 'transfer-encoding: chunked'],
      body: `2\r\n${body}\r\n0\r\n\r\n`,
    }),
    wireVariant(
      op,
      'chunks cut short, then EOF',
      { headers: [...type, 'transfer-encoding: chunked'], body: `ff\r\n${body}` },
      { halfClose: true },
    ),
    wireVariant(op, 'a chunk extension with a NUL', {
      headers: [...type, 'transfer-encoding: chunked'],
      body: `${body.length.toString(16)};x="\0"\r\n${body}\r\n0\r\n\r\n`,
    }),
    wireVariant(op, 'a chunk size of 2^64', {
      headers: [...type, 'transfer-encoding: chunked'],
      body: `10000000000000000\r\n${body}\r\n0\r\n\r\n`,
    }),
    wireVariant(op, 'Transfer-Encoding and Content-Length both', {
      headers: [...type, 'transfer-encoding: chunked', 'content-length: 3'],
      body: `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    }),
    wireVariant(op, 'two different Content-Lengths', { headers: [...type, 'content-length: 3', `content-length: ${body.length}`], body }),
    wireVariant(op, 'a negative Content-Length', { headers: [...type, 'content-length: -1'], body }),
    wireVariant(op, 'a Content-Length with letters', { headers: [...type, 'content-length: 1e3'], body }),
    wireVariant(op, 'Transfer-Encoding gzip alone', { headers: [...type, 'transfer-encoding: gzip'], body }),
    wireVariant(op, 'Transfer-Encoding chunked twice', { headers: [...type, 'transfer-encoding: chunked, chunked'], body: `0\r\n\r\n` }),
    wireVariant(op, 'a control character in a header value', { headers: ['x-storage-namespace: a\x01b'], body: '' }),
    wireVariant(op, 'a folded header', { headers: ['x-storage-namespace: a', ' b'], body: '' }),
    wireVariant(op, 'a header name with a space', { headers: ['X Bad: 1'], body: '' }),
    wireVariant(op, 'X-Storage-Namespace twice', {
      headers: [`x-storage-namespace: ${callers.userNs}`, `x-storage-namespace: ${callers.otherNs}`],
      body: '',
    }),
    wireVariant(op, 'Expect: 100-continue, body after', {
      headers: [...type, 'expect: 100-continue', `content-length: ${body.length}`],
      body,
    }),
    rawTarget(op, 'raw UTF-8 in the target', inPath(path, Buffer.from('/füzé', 'utf8').toString('latin1'))),
    rawTarget(op, 'raw control bytes in the target', inPath(path, '\x01\xff')),
    rawTarget(op, 'a space in the target', inPath(path, ' x')),
    {
      ...variant(op, 'HTTP/1.0 without Host'),
      wire: Buffer.from(`${op.method} ${path} HTTP/1.0\r\nauthorization: Bearer ${callers.user}\r\n\r\n`, 'latin1'),
    },
  ];
}

/** `extra` at the end of the path, before any query. */
function inPath(target: string, extra: string): string {
  const at = target.indexOf('?');
  return at < 0 ? `${target}${extra}` : `${target.slice(0, at)}${extra}${target.slice(at)}`;
}

function rawTarget(op: Operation, name: string, target: string): Variant {
  const v = variant(op, name, { body: null });
  const lines = Object.entries(v.headers).map(([header, value]) => `${header}: ${value}`);
  return { ...v, wire: wire(v.method, target, lines) };
}

/** Methods the document does not list for the path. */
function methodVariants(op: Operation): Variant[] {
  return ['PATCH', 'OPTIONS', 'PROPFIND'].map((method) => variant(op, `method ${method}`, { method }));
}

/** The storage browser's static files: not described by the document, served beside it. */
function consoleVariants(): Variant[] {
  const console: Operation = {
    id: 'console',
    method: 'GET',
    template: '/console/',
    pathParams: [],
    queryNames: [],
    body: 'none',
    public: true,
  };
  const get = (name: string, path: string, changes: Changes = {}) => ({
    ...variant(console, name, { path, ...changes }),
    staticFiles: true,
  });
  return [
    get('the root', '/'),
    get('/console', '/console'),
    get('/console/', '/console/'),
    get('index.html', '/console/index.html'),
    get('HEAD /console/', '/console/', { method: 'HEAD' }),
    get('POST /console/', '/console/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' }),
    get('%2e%2e out of the folder', '/console/%2e%2e/%2e%2e/package.json'),
    get('.. out of the folder', '/console/../../package.json'),
    get('..%2f out of the folder', '/console/..%2f..%2fpackage.json'),
    get('%00', '/console/index.html%00.js'),
    get('%zz', '/console/%zz'),
    get('overlong UTF-8', '/console/%c0%af'),
    get('a dot file', '/console/.env'),
    get('a folder', '/console/assets/'),
    get('a file as a folder', '/console/index.html/'),
    get('double slash', '/console//index.html'),
    get('a long path', `/console/${'p'.repeat(8000)}`),
    get('Range garbage', '/console/index.html', { headers: { range: 'bytes=9-1,x' } }),
    get('Range past the end', '/console/index.html', { headers: { range: 'bytes=99999999-' } }),
    get('If-None-Match garbage', '/console/index.html', { headers: { 'if-none-match': '"x' } }),
    get('If-Modified-Since garbage', '/console/index.html', { headers: { 'if-modified-since': 'Sat, 13 Sep 275760 00:00:00 GMT' } }),
    get('If-Match no tag of it', '/console/index.html', { headers: { 'if-match': '"nope"' } }),
    get('If-Unmodified-Since 1970', '/console/index.html', { headers: { 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' } }),
    get('a body on GET', '/console/', { headers: { 'content-encoding': 'x-unknown', 'content-type': 'application/json' }, body: '{}' }),
  ];
}

function variantsOf(op: Operation): Variant[] {
  return [
    variant(op, 'the ordinary call'),
    ...authVariants(op),
    ...(op.public ? [] : namespaceVariants(op)),
    ...conditionVariants(op),
    ...headerVariants(op),
    ...bodyVariants(op),
    ...queryVariants(op),
    ...pathVariants(op),
    ...methodVariants(op),
    ...wireVariants(op),
  ];
}

// ---- judging an answer ---------------------------------------------------------------------------

/** What is wrong with an answer, or undefined when nothing is. */
function judge(v: Variant, outcome: Outcome): string | undefined {
  if ('noAnswer' in outcome) {
    // A lying Content-Length or a cut body may leave nothing to answer; any other request is answered.
    return v.mayStall || v.halfClose ? undefined : `no answer (${outcome.noAnswer})`;
  }
  const { status, headers, text } = outcome.answer;
  if (status >= 500) return `answered ${status}: ${text.slice(0, 200)}`;
  if (status < 100) return `answered no status: ${text.slice(0, 200)}`;
  if (/node_modules|\n\s+at /.test(text)) return `answered ${status} with a stack trace`;
  if (status < 400) return undefined;
  if (headers['x-request-id'] === undefined) {
    // Node's HTTP parser refused it before the app saw a request: a bare 4xx, no body.
    return [400, 413, 417, 431].includes(status) && text === '' ? undefined : `answered ${status} outside the app: ${text.slice(0, 200)}`;
  }
  if (v.method === 'HEAD' || v.staticFiles) return undefined;
  if (!/^application\/json/.test(String(headers['content-type'])))
    return `answered ${status} as ${String(headers['content-type'])}: ${text.slice(0, 200)}`;
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof error?.code === 'string' && typeof error.message === 'string' && error.code && error.message) return undefined;
  } catch {
    // reported below
  }
  return `answered ${status} without { error: { code, message } }: ${text.slice(0, 200)}`;
}

/** One line that reproduces a variant: the route, the method, what was done, the request as sent. */
function reproduction(v: Variant, problem: string): string {
  const sent = v.wire ? JSON.stringify(v.wire.toString('latin1').slice(0, 300)) : `${v.method} ${v.path.slice(0, 200)}`;
  const id = v.headers['x-request-id'];
  const logged = errorLines
    .filter((line) => (line.req as { id?: string } | undefined)?.id === id)
    .map((line) => String((line.err as { message?: string } | undefined)?.message ?? line.msg));
  return `${v.route} ${v.method} [${v.name}] ${problem} | sent: ${sent}${logged.length ? ` | logged: ${logged.join('; ')}` : ''}`;
}

async function run(variants: Variant[]): Promise<{ problems: string[]; statuses: Map<number, number> }> {
  const problems: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < variants.length) {
      const v = variants[next++] as Variant;
      const outcome = await exchange(v);
      if ('answer' in outcome) statuses.set(outcome.answer.status, (statuses.get(outcome.answer.status) ?? 0) + 1);
      const problem = judge(v, outcome);
      if (problem) {
        const line = reproduction(v, problem);
        problems.push(line);
        process.stderr.write(`fuzz: ${line}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { problems, statuses };
}

// ---- the tests -----------------------------------------------------------------------------------

it('finds every route in the gateway’s own description', () => {
  const ids = operations.map((op) => `${op.method} ${op.template}`);
  expect(ids).toEqual(
    expect.arrayContaining([
      'POST /storage/v1/sign-in',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
      'GET /storage/v1/openapi.json',
      'GET /storage/v1/{type}/get/{key}',
      'HEAD /storage/v1/{type}/get/{key}',
      'PUT /storage/v1/{type}/{key}',
      'DELETE /storage/v1/{type}/{key}',
      'POST /storage/v1/multipart/{type}/{key}',
      'POST /storage/v1/multipart/sessions/{uploadId}/complete/{type}/{key}',
      'DELETE /storage/v1/multipart/sessions/{uploadId}/{type}/{key}',
    ]),
  );
  expect(operations.length).toBeGreaterThanOrEqual(20);
});

it('answers every hostile variant of every route below 500, refusals as JSON errors', async () => {
  // FUZZ_ONLY=<regular expression> runs the variants whose `route METHOD [name]` it matches.
  const only = process.env.FUZZ_ONLY ? new RegExp(process.env.FUZZ_ONLY) : undefined;
  const variants = [...operations.flatMap(variantsOf), ...consoleVariants()].filter(
    (v) => !only || only.test(`${v.route} ${v.method} [${v.name}]`),
  );
  const { problems, statuses } = await run(variants);
  // The variants reached the routes: most are refused, and some are still served.
  if (!only) {
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
  }
  expect(problems).toEqual([]);
  expect(errorLines.map((line) => line.msg)).toEqual([]);
}, 120_000);

it('stays ready when callers cut their own uploads short', async () => {
  // A body that ends before its Content-Length is the caller's failure, not the store's: the
  // store endpoint must not be marked down for it (with every node so marked, /readyz says 503).
  const put = operations.find((op) => op.id === 'set') as Operation;
  const ready: number[] = [];
  for (let i = 0; i < 6; i++) {
    const body = baseBody(put) ?? '';
    await exchange(
      wireVariant(
        put,
        'Content-Length longer than the body, then EOF',
        { headers: [`content-length: ${body.length + 100}`], body },
        { halfClose: true },
      ),
    );
    ready.push((await send(`${gw.url}/readyz`)).status);
  }
  expect(ready).toEqual([200, 200, 200, 200, 200, 200]);
});

it('still answers /healthz and an ordinary read afterwards', async () => {
  expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  const read = await fetch(`${gw.apiUrl}/data/get/fuzz/dir/a.txt`, { headers: { authorization: `Bearer ${callers.user}` } });
  expect([read.status, await read.text()]).toEqual([200, 'a']);
});

describe('JSON bodies the body parser refuses', () => {
  const target = (route: string): { url: string; headers: Record<string, string> } =>
    route === 'sign-in'
      ? { url: `${gw.apiUrl}/sign-in`, headers: {} }
      : {
          url: `${gw.apiUrl}/multipart/sessions/${encodeURIComponent(callers.uploadId)}/complete/data/fuzz/upload.bin`,
          headers: { authorization: `Bearer ${callers.user}` },
        };
  const cases: [string, number, string, Record<string, string>, string, RegExp][] = [
    [
      'an unknown Content-Encoding',
      415,
      'unsupported_media_type',
      { 'content-encoding': 'x-unknown' },
      '{}',
      /identity, gzip, deflate, br/,
    ],
    ['two Content-Encodings', 415, 'unsupported_media_type', { 'content-encoding': 'gzip, gzip' }, '{}', /Content-Encoding/],
    ['charset=koi8-r', 415, 'unsupported_media_type', { 'content-type': 'application/json; charset=koi8-r' }, '{}', /UTF-8/],
    ['charset=utf-xyz', 415, 'unsupported_media_type', { 'content-type': 'application/json; charset=utf-xyz' }, '{}', /UTF-8/],
    ['gzip that is not gzip', 400, 'bad_request', { 'content-encoding': 'gzip' }, '{}', /malformed/],
    ['a body over the limit', 413, 'bad_request', {}, JSON.stringify({ parts: 'x'.repeat(3 * 1024 * 1024) }), /too large/],
  ];
  it.each(['sign-in', 'multipart completion'].flatMap((route) => cases.map((c) => [route, ...c] as const)))(
    '%s with %s answers %i %s',
    async (route, _what, status, code, headers, body, message) => {
      const { url, headers: auth } = target(route);
      const id = nextRequestId();
      const answer = await send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth, ...headers, 'content-length': String(body.length), 'x-request-id': id },
        body,
      });
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      const { error } = JSON.parse(answer.text) as { error: { code: string; message: string } };
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      // The caller's own words (the charset, the coding) are not echoed back.
      expect(error.message).not.toMatch(/koi8|xyz|x-unknown/i);
      if (headers['content-encoding'] === 'x-unknown') expect(answer.headers['accept-encoding']).toMatch(/gzip/);
      expect(errorLines.filter((line) => (line.req as { id?: string } | undefined)?.id === id)).toEqual([]);
    },
  );
});
