/**
 * The storage browser in a real Chromium (Debian's package, driven by playwright-core) against
 * the real gateway and store: sign in by link (only once the page has asked, and never switching
 * accounts silently, a link pasted into an open tab too) and by pasting a token, browse folders,
 * load more, filter, sort by name, size or date, see a key's details, download and share through signed URLs fetched without a token,
 * delete after confirming, see the rules of products, and errors in plain words. Key names are
 * hostile text and stay text. Screenshots of each main view go to test-output/screenshots/.
 * Skipped, saying so, where /usr/bin/chromium is absent (`.ci/run` installs it).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { mintSignInTicket } from '../../src/auth/signInTickets';
import type { AnswerOf } from '../../src/protocol/answers';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { until } from '../support/wait';

const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(__dirname, '..', '..');
const shots = path.join(root, 'test-output', 'screenshots');
const present = existsSync(CHROMIUM);
/** What a predicate run in the page reads; the tests are compiled without the DOM's types. */
interface PageGlobals {
  document: { querySelector(selector: string): { complete: boolean; naturalWidth: number } | null };
}

type UsageAnswer = AnswerOf<'usage'>;

const HOSTILE = '<img src=x onerror="document.title=1">&amp;.txt';
const MiB = 1024 * 1024;
/** A 1 x 1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const GEOJSON = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: {},
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [8, 47],
            [9, 47],
            [9, 48],
            [8, 48],
            [8, 47],
          ],
        ],
      },
    },
    {
      type: 'Feature',
      properties: {},
      geometry: {
        type: 'LineString',
        coordinates: [
          [8.1, 47.1],
          [8.9, 47.9],
        ],
      },
    },
    { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [8.5, 47.5] } },
  ],
};

if (!present) {
  process.stderr.write(`\nSKIPPED: the storage browser tests need Chromium at ${CHROMIUM} (apt-get install -y chromium)\n`);
}

(present ? describe : describe.skip)(`the storage browser in Chromium${present ? '' : ` (SKIPPED: no ${CHROMIUM})`}`, () => {
  let gw: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  let auth: Record<string, string>;
  /** Every URL the page asked for, and the problems the page reported (CSP violations among them). */
  const requested: string[] = [];
  /** Uploads the page sent to the store, as `PUT <url>`. */
  const storePuts: string[] = [];
  const problems: string[] = [];

  const api = (p: string) => `${gw.apiUrl}${p}`;
  const put = async (type: string, key: string, body: string, contentType = 'text/plain') => {
    const response = await fetch(api(`/${type}/${key.split('/').map(encodeURIComponent).join('/')}`), {
      method: 'PUT',
      headers: { ...auth, 'content-type': contentType },
      body,
    });
    expect(response.status).toBe(200);
  };
  const putBytes = async (type: string, key: string, body: Buffer, contentType: string) => {
    const response = await fetch(api(`/${type}/${key}`), { method: 'PUT', headers: { ...auth, 'content-type': contentType }, body });
    expect(response.status).toBe(200);
  };
  const shot = (name: string, tab: Page = page) => tab.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  /** Runs `run` with the page's uploads held to `bytesPerSecond` (Chromium's network emulation), then at full speed again. */
  const atUploadRate = async (bytesPerSecond: number, run: () => Promise<void>) => {
    const cdp = await context.newCDPSession(page);
    const emulate = (uploadThroughput: number) =>
      cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput });
    await emulate(bytesPerSecond);
    try {
      await run();
    } finally {
      await emulate(-1);
      await cdp.detach();
    }
  };
  /** A tab with a sessionStorage of its own, and the API requests it sent, with the Authorization each carried. */
  const freshTab = async () => {
    const fresh = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const tab = await fresh.newPage();
    const seen: Promise<{ url: string; authorization: string | undefined }>[] = [];
    tab.on('request', (request) => {
      const url = request.url();
      requested.push(url);
      if (!url.startsWith(gw.apiUrl)) return;
      seen.push(
        request.allHeaders().then(
          (headers) => ({ url, authorization: headers.authorization }),
          () => ({ url, authorization: undefined }),
        ),
      );
    });
    tab.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    tab.on('pageerror', (error) => problems.push(error.message));
    return { fresh, tab, apiCalls: () => Promise.all(seen) };
  };

  beforeAll(async () => {
    // The page as `npm run build` makes it, fresh.
    execFileSync(process.execPath, [path.join(root, 'console', 'build.mjs')], { cwd: root });
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    gw = await startTestGateway({ LIST_PAGE_SIZE: '4' });
    token = await gw.token('browser-user');
    auth = { authorization: `Bearer ${token}` };
    await put('data', 'docs/readme.txt', 'Hello Storage');
    await put('data', 'docs/notes/todo.txt', 'todo');
    await put('data', 'docs/report.csv', 'a,b\n1,2\n', 'text/csv');
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) await put('data', `folder-${name}/x.txt`, name);
    await put('data', 'top.txt', 'top');
    for (const name of ['y.txt', 'z.txt']) await put('data', `folder-alpha/${name}`, name);
    await put('data', HOSTILE, 'hostile');
    await put('products', 'scenes/scene.tif', 'raster', 'image/tiff');
    await put('data', 'previews/table.csv', 'name,<b>count</b>\n"a, quoted",1\nb,2\n', 'text/csv');
    await put('data', 'previews/notes.json', '{"a":[1,2],"b":"<script>x</script>"}', 'application/json');
    await put('data', 'previews/map.geojson', JSON.stringify(GEOJSON), 'application/geo+json');
    await putBytes('data', 'previews/pixel.png', Buffer.from(PNG, 'base64'), 'image/png');

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
    });
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    page = await context.newPage();
    page.on('request', (request) => {
      requested.push(request.url());
      if (request.method() === 'PUT' && !request.url().startsWith(gw.url)) storePuts.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('asks before signing in from a #token= link: nothing is signed in until confirmed, and Cancel leaves the sign-in form', async () => {
    const { fresh, tab, apiCalls } = await freshTab();
    await tab.goto(`${gw.url}/console/#token=${token}`);
    const dialog = tab.getByRole('dialog', { name: 'Sign in as browser-user?' });
    await dialog.waitFor();
    expect(tab.url()).toBe(`${gw.url}/console/`);
    await dialog.getByText(gw.namespaceOf('browser-user'), { exact: true }).waitFor();
    await dialog.getByText(/Files you upload after that go into that account’s storage/).waitFor();
    expect(await dialog.locator(':focus').textContent()).toBe('Sign in as browser-user');
    expect(await tab.evaluate('sessionStorage.length')).toBe(0);
    await shot('00-sign-in-link', tab);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await tab.getByLabel('Your access token').waitFor();
    expect(await tab.evaluate('sessionStorage.length')).toBe(0);
    expect(await tab.getByRole('alert').count()).toBe(0);
    expect(await apiCalls()).toEqual([]);
    await fresh.close();
  });

  it('signs in from the link printed by npm start once confirmed, and takes the token out of the address bar', async () => {
    await page.goto(`${gw.url}/console/#token=${token}`);
    await page.getByRole('dialog', { name: 'Sign in as browser-user?' }).getByRole('button', { name: 'Sign in as browser-user' }).click();
    await page.getByText('Signed in as').waitFor();
    expect(page.url()).toBe(`${gw.url}/console/`);
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    await page.getByRole('tab', { name: 'Data' }).waitFor();
    expect(await page.getByRole('tab').allTextContents()).toEqual(['Data', 'Temporary', 'Products', 'Results', 'Logs']);
    await page.getByText('4 entries so far').waitFor();
    await shot('01-signed-in');
  });

  it('lists the folder shown afresh when its own tab or breadcrumb is clicked, instead of emptying it', async () => {
    // The tab of the folder shown: the same place, listed again, not an empty panel.
    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByText('4 entries so far').waitFor();
    await page.getByRole('button', { name: 'docs (folder)' }).waitFor();
    // The last breadcrumb is the folder shown: the same.
    await page.getByRole('button', { name: 'docs (folder)' }).click();
    await page.getByRole('button', { name: 'readme.txt' }).waitFor();
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('button', { name: 'docs' }).click();
    await page.getByText('3 entries', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'readme.txt' }).waitFor();
    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByText('4 entries so far').waitFor();
  });

  it('pages with "Load more", browses folders by breadcrumbs, filters and sorts', async () => {
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByRole('button', { name: 'top.txt' }).waitFor();
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    // The hostile name is text: no element was made from it.
    await page.getByRole('button', { name: HOSTILE }).waitFor();
    expect(await page.locator('.entries img').count()).toBe(0);
    expect(await page.title()).toBe('Storage');

    await page.getByRole('button', { name: 'docs (folder)' }).click();
    await page.getByRole('button', { name: 'readme.txt' }).waitFor();
    await page.getByRole('button', { name: 'notes (folder)' }).click();
    await page.getByRole('button', { name: 'todo.txt' }).waitFor();
    const crumbs = page.getByRole('navigation', { name: 'Folder path' });
    expect(await crumbs.getByRole('button').allTextContents()).toEqual(['Data', 'docs', 'notes']);
    // The folder is in the address fragment: Back and Forward move between folders, a reload stays.
    expect(new URL(page.url()).hash).toBe('#/data/docs/notes/');
    await page.goBack();
    await page.getByRole('button', { name: 'readme.txt' }).waitFor();
    await page.goForward();
    await page.reload();
    await page.getByRole('button', { name: 'todo.txt' }).waitFor();
    await crumbs.getByRole('button', { name: 'docs' }).click();
    await page.getByRole('button', { name: 'report.csv' }).waitFor();

    await page.getByLabel('Filter').fill('READ');
    await page.getByText('1 of 3 loaded entries match').waitFor();
    await page.getByLabel('Filter').fill('');
    await page.getByRole('button', { name: /Sort by name/ }).click();
    const names = await page.locator('.entries .name').allTextContents();
    expect(names).toEqual(['notes', 'report.csv', 'readme.txt']);
    await shot('02-folder');
  });

  it('shows each key its size and date from the listing alone, and sorts by size and date with folders first', async () => {
    const rows = page.locator('.entries li:has(.entry.file)');
    await rows.first().waitFor();
    const sizes = Object.fromEntries(
      await Promise.all(
        (await rows.all()).map(async (row) => [await row.locator('.name').textContent(), await row.locator('.size').textContent()]),
      ),
    ) as Record<string, string>;
    expect(sizes).toEqual({ 'readme.txt': '13 bytes', 'report.csv': '8 bytes' });
    expect(await rows.first().locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The sizes came with the listing: the page sent no HEAD for them.
    const heads = requested.filter((url) => url.includes('/get/docs/'));
    expect(heads).toEqual([]);

    const names = () => page.locator('.entries .name').allTextContents();
    await page.getByRole('button', { name: 'Sort by size' }).click();
    await page.getByRole('button', { name: 'Sort by size, largest first' }).waitFor();
    expect(await names()).toEqual(['notes', 'readme.txt', 'report.csv']);
    await page.getByRole('button', { name: 'Sort by size, largest first' }).click();
    expect(await names()).toEqual(['notes', 'report.csv', 'readme.txt']);
    await page.getByRole('button', { name: 'Sort by modified' }).click();
    await page.getByRole('button', { name: 'Sort by modified, newest first' }).waitFor();
    expect((await names())[0]).toBe('notes');
    await page.getByRole('button', { name: 'Sort by name' }).click();
    expect(await names()).toEqual(['notes', 'readme.txt', 'report.csv']);
    await shot('02b-sorted');
  });

  it("shows a key's size, type, modified time and ETag", async () => {
    await page.getByRole('button', { name: 'readme.txt' }).click();
    const details = page.getByRole('complementary');
    await details.getByText('13 bytes').waitFor();
    expect(await details.locator('dd').allTextContents()).toEqual([
      '13 bytes',
      'text/plain',
      expect.stringMatching(/\d{4}/) as unknown as string,
      expect.stringMatching(/^"[0-9a-f]{32}"$/) as unknown as string,
    ]);
    await shot('03-details');
  });

  it('previews text, JSON, CSV, GeoJSON and images from the store, content always as text', async () => {
    const details = page.getByRole('complementary');
    const preview = details.getByRole('region', { name: 'Preview' });
    await preview.getByText('Hello Storage').waitFor();

    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByRole('button', { name: 'previews (folder)' }).click();
    await page.getByRole('button', { name: 'table.csv' }).click();
    await preview.getByRole('columnheader', { name: '<b>count</b>' }).waitFor();
    expect(await preview.getByRole('cell').allTextContents()).toEqual(['a, quoted', '1', 'b', '2']);

    await page.getByRole('button', { name: 'notes.json' }).click();
    await preview.getByText('"<script>x</script>"', { exact: false }).waitFor();
    expect(await preview.locator('pre').textContent()).toBe(JSON.stringify({ a: [1, 2], b: '<script>x</script>' }, null, 2));

    await page.getByRole('button', { name: 'map.geojson' }).click();
    const map = preview.getByRole('img', { name: 'Outline of 1 area, 1 line and 1 point' });
    await map.waitFor();
    expect(await map.locator('path').count()).toBe(2);
    await shot('03b-geojson');

    await page.getByRole('button', { name: 'pixel.png' }).click();
    const image = preview.getByRole('img', { name: 'Preview of previews/pixel.png' });
    await image.waitFor();
    // A function, not a string: Playwright evals a string predicate again on every poll, which
    // the page's CSP refuses once the first check (run over the protocol) has not succeeded.
    await page.waitForFunction(() => {
      const image = (globalThis as unknown as PageGlobals).document.querySelector('.preview img');
      return image?.complete === true && image.naturalWidth === 1;
    });
    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByRole('button', { name: 'docs (folder)' }).click();
    await page.getByRole('button', { name: 'readme.txt' }).click();
    await preview.getByText('Hello Storage').waitFor();
  });

  it('downloads through a signed URL, which works without a token', async () => {
    const opened = context.waitForEvent('page');
    await page.getByRole('button', { name: 'Download' }).click();
    const tab = await opened;
    const url = tab.url() === 'about:blank' ? (await tab.waitForEvent('framenavigated')).url() : tab.url();
    await tab.close();
    expect(url).toMatch(/X-Amz-Signature=/);
    const fetched = await fetch(url);
    expect(fetched.status).toBe(200);
    expect(await fetched.text()).toBe('Hello Storage');
  });

  it('shares a link with the chosen lifetime, fetched without a token', async () => {
    await page.getByLabel('Link works for').selectOption({ label: '7 days' });
    await page.getByRole('button', { name: 'Create link' }).click();
    const field = page.getByLabel(/Link \(anyone with it/);
    await field.waitFor();
    const link = await field.inputValue();
    expect(new URL(link).searchParams.get('X-Amz-Expires')).toBe(String(7 * 24 * 3600));
    const fetched = await fetch(link);
    expect(await fetched.text()).toBe('Hello Storage');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(link);
    await shot('04-share');
  });

  it('deletes a key after confirmation', async () => {
    await page.getByRole('button', { name: 'report.csv' }).click();
    await page.getByRole('complementary').getByText('text/csv').waitFor();
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this key?' });
    await dialog.waitFor();
    await shot('05-confirm-delete');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await fetch(api('/data/get/docs/report.csv'), { headers: auth })).status).toBe(200);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'report.csv' }).waitFor({ state: 'detached' });
    expect((await fetch(api('/data/get/docs/report.csv'), { headers: auth })).status).toBe(404);
  });

  // Needs GET /usage on the gateway: without it the line is simply not shown.
  it("shows the tab's usage, and counts again after a delete", async () => {
    const line = page.locator('.usage');
    const shown = async () => Number(/(\d+) objects?\b/.exec((await line.textContent()) ?? '')?.[1]);
    const counted = async () => ((await (await fetch(api('/usage'), { headers: auth })).json()) as UsageAnswer).types.data.objects;
    await put('data', 'docs/counted.txt', 'count me');
    // The gateway counts a write within a second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await page.getByRole('button', { name: 'Refresh' }).click();
    await line.getByText(/ used, \d+ objects?/).waitFor();
    const before = await counted();
    expect(await until(async () => (await shown()) === before, 10_000)).toBe(true);
    await page.getByRole('button', { name: 'counted.txt' }).click();
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog', { name: 'Delete this key?' }).getByRole('button', { name: 'Delete', exact: true }).click();
    expect(await until(async () => (await shown()) === before - 1, 10_000)).toBe(true);
  });

  it('deletes the ticked keys of a folder together, after one confirmation', async () => {
    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByRole('button', { name: 'folder-alpha (folder)' }).click();
    await page.getByLabel('Select x.txt').check();
    await page.getByLabel('Select y.txt').check();
    await page.getByText('2 selected').waitFor();
    await page.getByRole('button', { name: 'Delete selected…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete 2 keys?' });
    expect(await dialog.getByRole('listitem').allTextContents()).toEqual(['folder-alpha/x.txt', 'folder-alpha/y.txt']);
    await dialog.getByRole('button', { name: 'Delete 2' }).click();
    await page.getByRole('button', { name: 'y.txt' }).waitFor({ state: 'detached' });
    expect(await page.locator('.entries .name').allTextContents()).toEqual(['z.txt']);
    for (const key of ['x.txt', 'y.txt']) expect((await fetch(api(`/data/get/folder-alpha/${key}`), { headers: auth })).status).toBe(404);
    expect((await fetch(api('/data/get/folder-alpha/z.txt'), { headers: auth })).status).toBe(200);
    // Back to where the next tests start.
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('button', { name: 'Data' }).click();
    await page.getByRole('button', { name: 'docs (folder)' }).click();
  });

  it('uploads files straight to the store, a large one in parallel parts, with progress bars that move', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-upload-'));
    const big = randomBytes(64 * MiB);
    const files = { 'small.txt': Buffer.from('small file'), 'empty.bin': Buffer.alloc(0), 'big.bin': big };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
    // Slow the page's uploads down (about 4 s for the large file) so the bars are seen moving.
    try {
      await atUploadRate(16 * MiB, async () => {
        await page.locator('input[type=file]:not([webkitdirectory])').setInputFiles(Object.keys(files).map((name) => path.join(dir, name)));
        const total = page.locator('#upload-total');
        await total.waitFor();
        const seen = new Set<string>();
        let shown = false;
        for (let i = 0; i < 200 && (await total.count()) > 0; i++) {
          const value = (await total.getAttribute('value').catch(() => null)) ?? '';
          seen.add(value);
          if (!shown && Number(value) > 10 * MiB) {
            shown = true;
            await shot('06-uploading');
          }
          await page.waitForTimeout(25);
        }
        // The bar took several values on the way, not only its start and end.
        expect(seen.size).toBeGreaterThan(3);
        for (const name of Object.keys(files)) await page.getByText(`docs/${name}`).waitFor();
        await page
          .getByText(/^Uploaded/)
          .nth(2)
          .waitFor();
        expect(await page.getByText(/^Uploaded/).count()).toBe(3);
        // The folder shows them without a manual refresh.
        await page.getByRole('button', { name: 'big.bin', exact: true }).waitFor();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const head = await fetch(api('/data/get/docs/big.bin'), { method: 'HEAD', headers: auth });
    expect(head.headers.get('content-length')).toBe(String(64 * MiB));
    expect(head.headers.get('etag')).toMatch(/-4"$/); // four parts of 16 MiB
    const stored = Buffer.from(await (await fetch(api('/data/get/docs/big.bin'), { headers: auth })).arrayBuffer());
    expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    expect(await (await fetch(api('/data/get/docs/small.txt'), { headers: auth })).text()).toBe('small file');
    expect((await fetch(api('/data/get/docs/empty.bin'), { method: 'HEAD', headers: auth })).headers.get('content-length')).toBe('0');
    const open = (await (await fetch(api('/multipart/data/docs/big.bin'), { headers: auth })).json()) as { uploads: unknown[] };
    expect(open.uploads).toEqual([]);
    await shot('07-uploaded');
    // Finished rows can be put away, one or all; what was stored stays.
    await page.getByRole('button', { name: 'Dismiss docs/small.txt' }).click();
    await page.getByText('docs/small.txt').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Dismiss all finished' }).click();
    await page.getByRole('list', { name: 'Upload progress' }).waitFor({ state: 'detached' });
    expect(await (await fetch(api('/data/get/docs/small.txt'), { headers: auth })).text()).toBe('small file');
  });

  it('cancels an upload, leaving no object and no open session', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-upload-'));
    writeFileSync(path.join(dir, 'cancelled.bin'), randomBytes(48 * MiB));
    try {
      await atUploadRate(4 * MiB, async () => {
        await page.locator('input[type=file]:not([webkitdirectory])').setInputFiles(path.join(dir, 'cancelled.bin'));
        await page.getByText(/^[1-9]\d*% of 48 MiB/).waitFor();
        await page.getByRole('button', { name: 'Cancel upload of docs/cancelled.bin' }).click();
        await page.getByText('Cancelled', { exact: true }).waitFor();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await fetch(api('/data/get/docs/cancelled.bin'), { method: 'HEAD', headers: auth })).status).toBe(404);
    const sessions = async () =>
      ((await (await fetch(api('/multipart/data/docs/cancelled.bin'), { headers: auth })).json()) as { uploads: unknown[] }).uploads;
    expect(await until(async () => (await sessions()).length === 0, 5000)).toBe(true);
  });

  it('resumes an upload cut by a page reload, sending only the parts the store lacks', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-upload-'));
    const file = path.join(dir, 'resumed.bin');
    const bytes = randomBytes(80 * MiB);
    writeFileSync(file, bytes);
    const sessionsOf = async () =>
      ((await (await fetch(api('/multipart/data/docs/resumed.bin'), { headers: auth })).json()) as { uploads: { uploadId: string }[] })
        .uploads;
    const partsOf = async (uploadId: string) =>
      (
        (await (
          await fetch(api(`/multipart/data/docs/resumed.bin?uploadId=${encodeURIComponent(uploadId)}`), { headers: auth })
        ).json()) as {
          parts: unknown[];
        }
      ).parts;
    let uploadId = '';
    await atUploadRate(24 * MiB, async () => {
      await page.locator('input[type=file]:not([webkitdirectory])').first().setInputFiles(file);
      // Five parts of 16 MiB, four at a time: reload once the first four are stored.
      expect(await until(async () => (uploadId = (await sessionsOf())[0]?.uploadId ?? '') !== '', 10_000)).toBe(true);
      expect(await until(async () => (await partsOf(uploadId)).length >= 4, 20_000, 50)).toBe(true);
      await page.reload();
    });
    const interrupted = page.getByRole('heading', { name: 'Interrupted uploads' });
    await interrupted.waitFor();
    await page.getByText(/^docs\/resumed\.bin \(80 MiB, data\)/).waitFor();
    await shot('08-interrupted');
    // Another file is not taken for it.
    await page
      .getByLabel('Choose resumed.bin again to resume its upload')
      .setInputFiles({ name: 'resumed.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('not it') });
    await page
      .getByRole('alert')
      .getByText(/is not the file that was being uploaded/)
      .waitFor();
    // The same file: only the fifth part is sent, in the same session.
    const before = storePuts.length;
    await page.getByLabel('Choose resumed.bin again to resume its upload').setInputFiles(file);
    await page.getByText(/^Uploaded \(80 MiB\)/).waitFor();
    const resumed = storePuts.slice(before).map((url) => new URL(url).searchParams);
    expect(resumed.map((query) => [query.get('partNumber'), query.get('uploadId')])).toEqual([['5', uploadId]]);
    rmSync(dir, { recursive: true, force: true });
    expect(await interrupted.count()).toBe(0);
    const head = await fetch(api('/data/get/docs/resumed.bin'), { method: 'HEAD', headers: auth });
    expect(head.headers.get('etag')).toMatch(/-5"$/);
    const stored = Buffer.from(await (await fetch(api('/data/get/docs/resumed.bin'), { headers: auth })).arrayBuffer());
    expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await sessionsOf()).toEqual([]);
    expect(await page.evaluate("sessionStorage.getItem('storage-console-uploads')")).toBe('[]');
  });

  it('uploads files dropped on the zone', async () => {
    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByRole('button', { name: 'folder-beta (folder)' }).click();
    const dropped = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['first drop'], 'dropped-1.txt', { type: 'text/plain' }));
      transfer.items.add(new File(['second drop'], 'dropped-2.txt', { type: 'text/plain' }));
      return transfer;
    })()`);
    await page.dispatchEvent('.uploads', 'dragover', { dataTransfer: dropped });
    await page.dispatchEvent('.uploads', 'drop', { dataTransfer: dropped });
    for (const name of ['dropped-1.txt', 'dropped-2.txt']) {
      await page
        .locator('.uploads-area li', { hasText: `folder-beta/${name}` })
        .getByText(/^Uploaded/)
        .waitFor();
    }
    await page.getByRole('button', { name: 'dropped-2.txt', exact: true }).waitFor();
    expect(await (await fetch(api('/data/get/folder-beta/dropped-1.txt'), { headers: auth })).text()).toBe('first drop');
  });

  it('shows a file uploaded into the folder shown, though the queue it waited in was started in another folder', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-upload-'));
    writeFileSync(path.join(dir, 'slow.bin'), randomBytes(24 * MiB));
    try {
      await atUploadRate(8 * MiB, async () => {
        await page.getByRole('tab', { name: 'Data' }).click();
        await page.getByRole('button', { name: 'folder-alpha (folder)' }).click();
        await page.locator('input[type=file]:not([webkitdirectory])').setInputFiles(path.join(dir, 'slow.bin'));
        await page.getByText(/^[1-9]\d*% of 24 MiB/).waitFor();
        // While it is sent, another file into another folder: it waits its turn.
        await page.getByRole('tab', { name: 'Data' }).click();
        await page.getByRole('button', { name: 'folder-beta (folder)' }).click();
        await page.getByRole('button', { name: 'x.txt' }).waitFor();
        await page
          .locator('input[type=file]:not([webkitdirectory])')
          .setInputFiles({ name: 'late.txt', mimeType: 'text/plain', buffer: Buffer.from('late') });
        await page
          .locator('.uploads-area li', { hasText: 'folder-beta/late.txt' })
          .getByText(/^Uploaded/)
          .waitFor({ timeout: 20_000 });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The file finished after the move, in the folder shown: the listing has it without Refresh.
    await page.getByRole('button', { name: 'late.txt', exact: true }).waitFor({ timeout: 5000 });
  });

  it('offers no download or delete on products, and says why', async () => {
    await page.getByRole('tab', { name: 'Products' }).click();
    await page.getByRole('button', { name: 'scenes (folder)' }).click();
    await page.getByRole('button', { name: 'scene.tif' }).click();
    const details = page.getByRole('complementary');
    await details.getByText('image/tiff').waitFor();
    expect(await details.getByRole('button', { name: 'Download' }).count()).toBe(0);
    expect(await details.getByRole('button', { name: 'Delete…' }).count()).toBe(0);
    await details.getByText(/upload-only/).waitFor();
    // The tab says what the type is for and what this caller may do, before anything is refused.
    const about = page.getByRole('tabpanel').locator('.about');
    expect(await about.textContent()).toMatch(/^Products for the catalog.*You may browse and upload here\./);
    expect(await page.getByRole('tabpanel', { name: 'Products' }).getAttribute('aria-describedby')).toBe('about-products');
    // Products only create: uploading over a stored one is refused, in the API's words.
    await page
      .locator('input[type=file]:not([webkitdirectory])')
      .setInputFiles({ name: 'scene.tif', mimeType: 'image/tiff', buffer: Buffer.from('again') });
    await page.getByText(/^Failed: A product is already stored at this key/).waitFor();
    await shot('09-products');
  });

  it('shows API errors in plain words in an alert', async () => {
    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByRole('button', { name: 'docs (folder)' }).click();
    await page.getByRole('button', { name: 'readme.txt' }).click();
    // Deleted behind the page's back: Refresh shows the folder as it is now.
    await fetch(api('/data/docs/readme.txt'), { method: 'DELETE', headers: auth });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('button', { name: 'readme.txt' }).waitFor({ state: 'detached' });
    // A token that is no longer accepted: back to sign-in, with the reason.
    await page.evaluate("sessionStorage.setItem('storage-console-token', 'not-a-token')");
    await page.reload();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/token/i);
    await page.getByLabel('Your access token').waitFor();
    await shot('10-signed-out-with-error');
  });

  it('signs in with a pasted token, and works 360 px wide', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByLabel('Your access token').fill(`Bearer ${token}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as').waitFor();
    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByRole('button', { name: 'docs (folder)' }).click();
    await page
      .getByRole('button', { name: 'todo.txt' })
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    await page.getByRole('button', { name: 'notes (folder)' }).click();
    await page.getByRole('button', { name: 'todo.txt' }).click();
    await page.getByRole('complementary').getByText('4 bytes').waitFor();
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(360);
    await shot('11-narrow');
    // Keyboard: the tabs move with the arrow keys.
    await page.getByRole('tab', { name: 'Data' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Temporary' }).getAttribute('aria-selected')).toBe('true');
  });

  it('switches a signed-in tab to the account of a link only when asked to: Cancel keeps the account it had', async () => {
    const other = await gw.token('other-user');
    const { fresh, tab, apiCalls } = await freshTab();
    await tab.goto(`${gw.url}/console/#token=${token}`);
    await tab.getByRole('button', { name: 'Sign in as browser-user' }).click();
    const who = tab.locator('.who');
    await who.getByText('browser-user').waitFor();
    // Opened in the same tab, the link changes only the fragment: the page is not reloaded.
    await tab.goto(`${gw.url}/console/#token=${other}`);
    const dialog = tab.getByRole('dialog', { name: 'You are signed in as browser-user. Switch to other-user?' });
    await dialog.waitFor();
    expect(tab.url()).toBe(`${gw.url}/console/`);
    await dialog.getByText(gw.namespaceOf('other-user'), { exact: true }).waitFor();
    expect(await dialog.locator(':focus').textContent()).toBe('Sign in as other-user');
    await shot('12-switch-account', tab);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await who.textContent()).toBe('Signed in as browser-user');
    expect(await tab.evaluate("sessionStorage.getItem('storage-console-token')")).toBe(token);
    await tab.getByRole('button', { name: 'docs (folder)' }).waitFor();

    // Opened afresh, the same link asks the same; confirmed, the tab is the other account's.
    await tab.goto('about:blank');
    await tab.goto(`${gw.url}/console/#token=${other}`);
    await dialog.waitFor();
    expect((await apiCalls()).filter((call) => call.authorization === `Bearer ${other}`)).toEqual([]);
    await dialog.getByRole('button', { name: 'Sign in as other-user' }).click();
    await who.getByText('other-user', { exact: true }).waitFor();
    expect(await tab.evaluate("sessionStorage.getItem('storage-console-token')")).toBe(other);
    // The other account's storage: empty, none of the first one's files.
    await tab.getByText('0 entries', { exact: true }).waitFor();
    expect((await apiCalls()).some((call) => call.authorization === `Bearer ${other}`)).toBe(true);
    await fresh.close();
  });

  it('takes up a link pasted into an open tab once confirmed: the tab, not reloaded, is then the other account', async () => {
    const other = await gw.token('pasted-user');
    const { fresh, tab } = await freshTab();
    await tab.goto(`${gw.url}/console/#token=${token}`);
    await tab.getByRole('button', { name: 'Sign in as browser-user' }).click();
    await tab.locator('.who').getByText('browser-user').waitFor();
    await tab.getByRole('button', { name: 'docs (folder)' }).waitFor();
    await tab.evaluate('window.notReloaded = true');
    await tab.evaluate(`location.hash = '#token=${other}'`);
    const dialog = tab.getByRole('dialog', { name: 'You are signed in as browser-user. Switch to pasted-user?' });
    await dialog.getByRole('button', { name: 'Sign in as pasted-user' }).click();
    await tab.locator('.who').getByText('pasted-user', { exact: true }).waitFor();
    await tab.getByText('0 entries', { exact: true }).waitFor();
    expect(await tab.evaluate('window.notReloaded')).toBe(true);
    expect(await tab.evaluate("sessionStorage.getItem('storage-console-token')")).toBe(other);
    expect(tab.url()).toBe(`${gw.url}/console/`);
    await fresh.close();
  });

  it('has a favicon, served beside the page', async () => {
    const icon = await page.evaluate(
      "fetch(document.querySelector('link[rel=icon]').href).then((r) => [r.status, r.headers.get('content-type')])",
    );
    expect(icon).toEqual([200, 'image/svg+xml']);
  });

  it('trades a one-time link (as npm start prints) only once confirmed: a cancelled one still works, a used one says so', async () => {
    const ticket = await mintSignInTicket(TEST_JWT_SECRET, 'browser-user');
    const open = async () => {
      const opened = await freshTab();
      await opened.tab.goto(`${gw.url}/console/#ticket=${ticket}`);
      return { ...opened, dialog: opened.tab.getByRole('dialog', { name: 'Sign in as browser-user?' }) };
    };
    const cancelled = await open();
    await cancelled.dialog.waitFor();
    expect(cancelled.tab.url()).toBe(`${gw.url}/console/`);
    await cancelled.dialog.getByText(gw.namespaceOf('browser-user'), { exact: true }).waitFor();
    await cancelled.dialog.getByRole('button', { name: 'Cancel' }).click();
    await cancelled.tab.getByLabel('Your access token').waitFor();
    expect(await cancelled.apiCalls()).toEqual([]);
    await cancelled.fresh.close();

    const first = await open();
    await first.dialog.getByRole('button', { name: 'Sign in as browser-user' }).click();
    await first.tab.getByText('Signed in as').waitFor();
    expect(first.tab.url()).toBe(`${gw.url}/console/`);
    expect((await first.apiCalls()).map((call) => call.url)).toContain(`${gw.apiUrl}/sign-in`);
    await first.fresh.close();

    const again = await open();
    await again.dialog.getByRole('button', { name: 'Sign in as browser-user' }).click();
    const alert = again.tab.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/used already/);
    expect(again.tab.url()).toBe(`${gw.url}/console/`);
    await again.tab.getByLabel('Your access token').waitFor();
    await again.fresh.close();
  });

  it('says a sign-in link it cannot read was not used, instead of failing', async () => {
    const { fresh, tab, apiCalls } = await freshTab();
    await tab.goto(`${gw.url}/console/#token=not.a-jwt`);
    const alert = tab.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/could not be read/);
    expect(tab.url()).toBe(`${gw.url}/console/`);
    await tab.getByLabel('Your access token').waitFor();
    expect(await tab.getByRole('dialog').count()).toBe(0);
    expect(await apiCalls()).toEqual([]);
    await fresh.close();
  });

  it('never put the token in a URL, and the page broke no rule of its policy (CSP, Trusted Types) nor threw', () => {
    expect(requested.length).toBeGreaterThan(10);
    for (const url of requested) expect(url).not.toContain(token);
    // The only errors the page may report are the refusals it was made to meet (401, 404, 409...).
    expect(problems.filter((p) => !/^Failed to load resource: the server responded with a status of 4\d\d/.test(p))).toEqual([]);
  });
});
