/**
 * Docs that run: every shell and TypeScript example in README.md and docs/*.md works as
 * written, so a newcomer can paste them. Each fenced block of a kind below is either checked
 * here or marked in the markdown, on the line right before its fence, with the reason it is not:
 *
 *   <!-- example: not run (needs Docker) -->    never run here; the reason is required
 *   <!-- example: needs aws -->                 run when that command is on PATH, else like "not run"
 *   <!-- example: seaweedfs only -->            run when the test store is SeaweedFS, else like "not run"
 *
 * - ```ts / ```typescript: type-checked (strict) with the repository's TypeScript against the
 *   project's own client: `storage-gateway-client` maps to src/client/index.ts. The blocks of
 *   one file form one program in their order, as a reader reads them (a later block may use
 *   the `storage` an earlier one made); every name must be imported or defined before use.
 * - ```sh / ```bash: every block gets `bash -n` and a check that each $VARIABLE it uses is
 *   assigned in it, exported by an earlier block of the same file, or documented (TOKEN, the
 *   token npm start prints; the configuration and CLI variables). Unmarked blocks then run,
 *   in file order, under `bash -euo pipefail` against a real gateway on the test store, with
 *   what an earlier block exported kept (a reader's terminal keeps it too). The only stand-ins:
 *   the gateway's and the store's addresses replace 127.0.0.1:8080 and 127.0.0.1:9000, the
 *   working folder holds a `big.tif` and a `filename` to upload and a `.data/secrets.json`
 *   as npm start writes it (with the test store's credentials), and `npx storage` runs this
 *   checkout's built CLI (node_modules is shared between checkouts here, and a temporary
 *   folder has none). A run fails on a non-zero exit, and on a gateway or store error in its
 *   output (`{"error":` or `<Error>`), as curl without -f exits 0 on a 4xx.
 * Other blocks (json, plain text, diagrams) are not examples to run and are left alone; an
 * unknown shell or script language fails, so nothing is skipped by accident.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import ts from 'typescript';
import { operatorClient, removeBuckets, startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { testStore } from '../support/testStore';

const ROOT = path.resolve(__dirname, '..', '..');
const DOCS = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const SHELL = new Set(['sh', 'bash']);
const TYPESCRIPT = new Set(['ts', 'typescript']);
/** Languages that look runnable but are not checked: a block in one of them fails the test. */
const UNCHECKED_CODE = new Set(['shell', 'zsh', 'console', 'js', 'javascript', 'tsx', 'jsx', 'mjs']);
/** The subject of the token npm start prints; the examples' namespace is its SHA-1. */
const SUBJECT = 'local-user';
/** The bucket the README's copy example reads from (COPY_SOURCE_BUCKETS). */
const COPY_SOURCE = 'landing';
const COPY_SOURCE_KEY = '2024/a.tif';
const BLOCK_TIMEOUT_MS = 20_000;

interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  marker?: { kind: 'not run'; reason: string } | { kind: 'needs'; command: string } | { kind: 'seaweedfs only' };
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1] ?? '';
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i] ?? ''); i++) body.push((lines[i] ?? '').slice(indent.length));
    const before = lines[start - 1] ?? '';
    const comment = /^\s*<!--\s*example:\s*(.*?)\s*-->\s*$/.exec(before);
    const block: Block = { file, line: start + 1, lang: (open[2] ?? '').toLowerCase(), code: body.join('\n') };
    if (comment) block.marker = parseMarker(comment[1] ?? '', `${file}:${start}`);
    blocks.push(block);
  }
  return blocks;
}

function parseMarker(text: string, where: string): NonNullable<Block['marker']> {
  const notRun = /^not run \((.+)\)$/.exec(text);
  if (notRun) return { kind: 'not run', reason: notRun[1] ?? '' };
  const needs = /^needs ([a-z0-9-]+)$/.exec(text);
  if (needs) return { kind: 'needs', command: needs[1] ?? '' };
  if (text === 'seaweedfs only') return { kind: 'seaweedfs only' };
  throw new Error(`${where}: unknown example marker "${text}" (not run (reason) | needs <command> | seaweedfs only)`);
}

const all = DOCS.flatMap(blocksOf);
const shellBlocks = all.filter((b) => SHELL.has(b.lang));
const tsBlocks = all.filter((b) => TYPESCRIPT.has(b.lang));
const where = (b: Block) => `${b.file}:${b.line}`;

/** Variables a reader has without any block: documented in the README. */
function documentedEnvironment(): Set<string> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const config = readme.slice(readme.indexOf('\n## Configuration'));
  const names = new Set<string>();
  // The configuration table's first column: `NAME` or `NAME`, `OTHER`.
  for (const row of config.split('\n').filter((l) => l.startsWith('| `'))) {
    for (const m of (row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1] ?? '');
  }
  // The token npm start prints (Quick start), the CLI's variables (docs/client.md), the shell's own.
  for (const name of ['TOKEN', 'STORAGE_URL', 'STORAGE_TOKEN', 'STORAGE_NAMESPACE', 'STORAGE_RETRY_SECONDS', 'HOME', 'PATH', 'PWD']) {
    names.add(name);
  }
  return names;
}

/** Without comments and single-quoted text (an awk program's $1 is not the shell's). */
function shellWords(code: string): string {
  return code
    .split('\n')
    .map((line) => line.replace(/'[^']*'/g, "''").replace(/(^|\s)#.*$/, ''))
    .join('\n');
}

function assignedIn(code: string): Set<string> {
  const text = shellWords(code);
  const names = new Set<string>();
  for (const m of text.matchAll(/(?:^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)=/g)) names.add(m[1] ?? '');
  for (const m of text.matchAll(/\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b/g)) names.add(m[1] ?? '');
  for (const m of text.matchAll(/\bread\s+(?:-\w+\s+)*([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1] ?? '');
  return names;
}

function exportedBy(code: string): string[] {
  const names: string[] = [];
  for (const line of shellWords(code).split('\n')) {
    const exported = /^\s*export\s+(.*)$/.exec(line);
    if (!exported) continue;
    for (const m of (exported[1] ?? '').matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)) names.push(m[1] ?? '');
  }
  return names;
}

function usedIn(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of shellWords(code).matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1] ?? '');
  return names;
}

/** Should this block run here, and if not, why. */
function runDecision(b: Block): { run: true } | { run: false; reason: string } {
  if (!b.marker) return { run: true };
  if (b.marker.kind === 'not run') return { run: false, reason: b.marker.reason };
  if (b.marker.kind === 'needs') {
    const found = spawnSync('bash', ['-c', `command -v ${b.marker.command}`]).status === 0;
    return found ? { run: true } : { run: false, reason: `needs ${b.marker.command}, not installed here` };
  }
  return testStore().engine === 'seaweedfs' ? { run: true } : { run: false, reason: 'SeaweedFS only; the test store is MinIO' };
}

describe('every example block is checked or marked with a reason', () => {
  it('finds the blocks, and no runnable-looking block of an unchecked language', () => {
    expect(shellBlocks.length).toBeGreaterThan(5);
    expect(tsBlocks.length).toBeGreaterThan(2);
    const unchecked = all.filter((b) => UNCHECKED_CODE.has(b.lang)).map((b) => `${where(b)} (${b.lang})`);
    expect(unchecked).toEqual([]);
    // A marker only means something before a block this test checks.
    const strayMarkers = all.filter((b) => b.marker && !SHELL.has(b.lang) && !TYPESCRIPT.has(b.lang)).map(where);
    expect(strayMarkers).toEqual([]);
    const notRun = all.filter((b) => b.marker?.kind === 'not run' && b.marker.reason.trim().length < 5).map(where);
    expect(notRun).toEqual([]);
  });
});

describe('TypeScript examples compile against the project client', () => {
  it('type-checks each file’s blocks, in order, as one program', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'doc-ts-'));
    try {
      const sources = new Map<string, { block: Block; from: number }[]>();
      const files: string[] = [];
      for (const file of DOCS) {
        const blocks = tsBlocks.filter((b) => b.file === file && runDecision(b).run);
        if (blocks.length === 0) continue;
        const name = path.join(dir, `${file.replace(/[/.]/g, '_')}.ts`);
        let text = '';
        const spans: { block: Block; from: number }[] = [];
        for (const block of blocks) {
          spans.push({ block, from: text.split('\n').length - 1 });
          text += `${block.code}\n`;
        }
        writeFileSync(name, `${text}export {};\n`);
        sources.set(name, spans);
        files.push(name);
      }
      const program = ts.createProgram(files, {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2022.d.ts'],
        types: ['node'],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        esModuleInterop: true,
        skipLibCheck: true,
        paths: { 'storage-gateway-client': [path.join(ROOT, 'src', 'client', 'index.ts')] },
      });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => {
        const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        if (!d.file || d.start === undefined) return message;
        const line = d.file.getLineAndCharacterOfPosition(d.start).line;
        const span = [...(sources.get(d.file.fileName) ?? [])].reverse().find((s) => s.from <= line);
        return span
          ? `${span.block.file}:${span.block.line + 1 + line - span.from}: ${message}`
          : `${d.file.fileName}:${line + 1}: ${message}`;
      });
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shell examples run against a real gateway', () => {
  const documented = documentedEnvironment();
  let gw: TestGateway;
  let work: string;
  let state: string;
  let env: Record<string, string>;
  let substitute: (code: string) => string;

  beforeAll(async () => {
    const store = testStore();
    // npm start's bucket names (storage-data, ...), as the examples name them; never over buckets already there.
    const existing = (await testS3Buckets()).filter((n) => n.startsWith('storage-') || n === COPY_SOURCE);
    if (existing.length > 0)
      throw new Error(`the test store already holds ${existing.join(', ')}; the docs test needs those names for itself`);
    gw = await startTestGateway({ STORAGE_BUCKET_PREFIX: 'storage', COPY_SOURCE_BUCKETS: COPY_SOURCE });
    await gw.s3.send(new CreateBucketCommand({ Bucket: COPY_SOURCE }));
    await gw.s3.send(new PutObjectCommand({ Bucket: COPY_SOURCE, Key: COPY_SOURCE_KEY, Body: 'a scene' }));

    work = mkdtempSync(path.join(tmpdir(), 'doc-sh-'));
    state = path.join(work, '.exported.sh');
    writeFileSync(state, '');
    writeFileSync(path.join(work, 'big.tif'), Buffer.alloc(256 * 1024, 7));
    writeFileSync(path.join(work, 'filename'), 'a file\n');
    mkdirSync(path.join(work, '.data'), { mode: 0o700 });
    const credentials = { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey };
    writeFileSync(
      path.join(work, '.data', 'secrets.json'),
      JSON.stringify({ minio: credentials, seaweedfs: { ...credentials, stsSigningKey: 'unused' }, jwtSecret: TEST_JWT_SECRET }),
      { mode: 0o600 },
    );
    const gatewayHost = new URL(gw.apiUrl).host;
    const storeHost = new URL(store.endpoint).host;
    substitute = (code) => code.replaceAll('127.0.0.1:8080', gatewayHost).replaceAll('127.0.0.1:9000', storeHost);
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? work,
      ...(process.env.PYENV_ROOT && { PYENV_ROOT: process.env.PYENV_ROOT }),
      LANG: 'C.UTF-8',
      TOKEN: await gw.token(SUBJECT),
      // The aws cli reads no profile of the machine's.
      AWS_CONFIG_FILE: path.join(work, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-aws-credentials'),
      ...(store.filerUrl && { SEAWEEDFS_FILER_URL: store.filerUrl }),
    };
  });

  afterAll(async () => {
    await removeBuckets(gw.s3, 'storage');
    await gw.s3.send(new DeleteObjectCommand({ Bucket: COPY_SOURCE, Key: COPY_SOURCE_KEY }));
    await gw.s3.send(new DeleteBucketCommand({ Bucket: COPY_SOURCE }));
    await gw.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function testS3Buckets(): Promise<string[]> {
    const s3 = operatorClient();
    try {
      return ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '');
    } finally {
      s3.destroy();
    }
  }

  for (const file of DOCS) {
    const blocks = shellBlocks.filter((b) => b.file === file);
    if (blocks.length === 0) continue;
    it(`${file}: every block parses and uses only variables it has; unmarked blocks run`, async () => {
      const exported = new Set<string>();
      const failures: string[] = [];
      const summary: string[] = [];
      for (const block of blocks) {
        const syntax = spawnSync('bash', ['-n'], { input: block.code, encoding: 'utf8', env: {} });
        if (syntax.status !== 0) failures.push(`${where(block)}: bash -n: ${syntax.stderr.trim()}`);
        const have = new Set([...documented, ...exported, ...assignedIn(block.code)]);
        const missing = [...usedIn(block.code)].filter((name) => !have.has(name));
        if (missing.length > 0) failures.push(`${where(block)}: uses ${missing.map((n) => `$${n}`).join(', ')}, defined nowhere before`);
        const names = exportedBy(block.code);
        names.forEach((n) => exported.add(n));

        const decision = runDecision(block);
        if (!decision.run) {
          summary.push(`${where(block)}: not run (${decision.reason})`);
          continue;
        }
        // Exports of earlier blocks in, this block's exports out: one reader's terminal.
        const keep = names.length > 0 ? `\ndeclare -p ${names.join(' ')} >> ${JSON.stringify(state)}` : '';
        const script = `source ${JSON.stringify(state)}\nnpx() { if [ "$1" = storage ]; then shift; node ${JSON.stringify(
          path.join(ROOT, 'dist', 'cli', 'main.js'),
        )} "$@"; else echo "npx $1: only npx storage is provided here" >&2; return 127; fi; }\n${substitute(block.code)}${keep}\n`;
        // Asynchronous: the gateway answering the block runs in this process.
        const run = await runBash(script, { cwd: work, env });
        const output = `${run.stdout}`;
        if (run.status !== 0 || /\{"error":|<Error>/.test(output)) {
          failures.push(`${where(block)}: exit ${run.status ?? run.signal}\n--- stdout\n${output}\n--- stderr\n${run.stderr}`);
        } else {
          summary.push(`${where(block)}: ran`);
        }
      }
      process.stdout.write(`${summary.join('\n')}\n`);
      expect(failures).toEqual([]);
    });
  }
});

/**
 * bash with stdin from /dev/null: on a socket (node's pipes are socket pairs) Debian's bash
 * takes itself for a remote shell and reads /etc/bash.bashrc. Killed past BLOCK_TIMEOUT_MS.
 */
function runBash(
  script: string,
  options: { cwd: string; env: Record<string, string> },
): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), BLOCK_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

// Fails loudly when the built CLI the shell blocks use is missing (npm test builds first).
beforeAll(() => {
  execFileSync('node', [path.join(ROOT, 'dist', 'cli', 'main.js'), '--help'], { stdio: 'ignore' });
});
