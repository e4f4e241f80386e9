/**
 * The storage browser in Firefox (Debian's firefox-esr, driven by puppeteer-core over WebDriver
 * BiDi), against the real gateway and store: the main paths once more (sorting by size and a
 * link pasted into an open tab among them), in the other engine the issue names. The full walk-through, with screenshots of each view, is the Chromium test.
 * Skipped, saying so, without /usr/bin/firefox-esr; `.ci/run` installs it as root.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { mintSignInTicket } from '../../src/auth/signInTickets';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';

const FIREFOX = '/usr/bin/firefox-esr';
const root = path.resolve(__dirname, '..', '..');
const shots = path.join(root, 'test-output', 'screenshots-firefox');
const present = existsSync(FIREFOX);

if (!present)
  process.stderr.write(`\nSKIPPED: the Firefox tests of the storage browser need ${FIREFOX} (apt-get install -y firefox-esr)\n`);

(present ? describe : describe.skip)(`the storage browser in Firefox${present ? '' : ` (SKIPPED: no ${FIREFOX})`}`, () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  let auth: Record<string, string>;
  const problems: string[] = [];
  const api = (p: string) => `${gw.apiUrl}${p}`;
  /** The first element with this accessible name (and role, when given). */
  const named = async (name: string, role?: string): Promise<ElementHandle> => {
    const found = await page.waitForSelector(`::-p-aria([name=${JSON.stringify(name)}]${role ? `[role="${role}"]` : ''})`, {
      timeout: 15_000,
    });
    if (!found) throw new Error(`nothing named ${name}`);
    return found;
  };
  const text = (words: string) => page.waitForSelector(`::-p-text(${words})`, { timeout: 15_000 });

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(root, 'console', 'build.mjs')], { cwd: root });
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    gw = await startTestGateway();
    auth = await gw.auth('firefox-user');
    for (const [type, key, body] of [
      ['data', 'docs/readme.txt', 'Hello Storage'],
      ['data', 'docs/notes/todo.txt', 'todo'],
      ['data', 'docs/tiny.txt', 'x'],
      ['products', 'scenes/scene.tif', 'raster'],
    ] as const) {
      expect(
        (await fetch(api(`/${type}/${key}`), { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body })).status,
      ).toBe(200);
    }
    const puppeteer = await import('puppeteer-core');
    browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, args: ['--no-remote'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 800 });
    page.on('pageerror', (error) => problems.push(String(error)));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('signs in from a one-time link once confirmed, and takes the ticket out of the address bar', async () => {
    await page.goto(`${gw.url}/console/#ticket=${await mintSignInTicket(TEST_JWT_SECRET, 'firefox-user')}`);
    await page.waitForSelector('::-p-aria([name="Sign in as firefox-user?"][role="dialog"])', { timeout: 15_000 });
    await (await named('Sign in as firefox-user', 'button')).click();
    await text('Signed in as');
    expect(page.url()).toBe(`${gw.url}/console/`);
    await named('Data', 'tab');
  });

  it('browses into a folder and shows a file’s details and preview', async () => {
    await (await named('docs (folder)')).click();
    await (await named('readme.txt')).click();
    await text('13 bytes');
    await text('Hello Storage');
    await page.screenshot({ path: path.join(shots, 'details.png') });
  });

  it('shows sizes from the listing and sorts by size, folders first', async () => {
    await page.waitForSelector('::-p-aria([name="Sort by size"])', { timeout: 15_000 });
    const names = () => page.$$eval('.entries .name', (all) => all.map((each) => each.textContent));
    await (await named('Sort by size')).click();
    await named('Sort by size, largest first');
    expect(await names()).toEqual(['notes', 'readme.txt', 'tiny.txt']);
    expect(await page.$$eval('.entries .size', (all) => all.map((each) => each.textContent))).toEqual(['13 bytes', '1 byte']);
    await (await named('Sort by size, largest first')).click();
    expect(await names()).toEqual(['notes', 'tiny.txt', 'readme.txt']);
    await (await named('Sort by name')).click();
  });

  it('shares a link fetched without a token', async () => {
    await (await named('Create link')).click();
    // The field labelled "Link (anyone with it can download until ...)".
    const field = await page.waitForSelector('input#share-link', { timeout: 15_000 });
    await text('anyone with it can download until');
    const link = (await field?.evaluate((input) => (input as unknown as { value: string }).value)) ?? '';
    expect(await (await fetch(link)).text()).toBe('Hello Storage');
  });

  it('uploads a file straight to the store', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'firefox-upload-'));
    try {
      writeFileSync(path.join(dir, 'from-firefox.txt'), 'sent by Firefox');
      const input = (await page.waitForSelector('input[type=file]:not([webkitdirectory])')) as ElementHandle<never>;
      await input.uploadFile(path.join(dir, 'from-firefox.txt'));
      await text('Uploaded (15 bytes)');
      expect(await (await fetch(api('/data/get/docs/from-firefox.txt'), { headers: auth })).text()).toBe('sent by Firefox');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deletes a key after confirmation', async () => {
    await (await named('readme.txt')).click();
    await text('13 bytes');
    await (await named('Delete…')).click();
    await page.waitForSelector('::-p-aria([name="Delete this key?"][role="dialog"])', { timeout: 15_000 });
    await (await named('Delete', 'button')).click();
    await page.waitForFunction("![...document.querySelectorAll('button')].some((b) => b.textContent.trim() === 'readme.txt')");
    expect((await fetch(api('/data/get/docs/readme.txt'), { headers: auth })).status).toBe(404);
  });

  it('lists the folder shown again when its own tab is clicked, instead of emptying it', async () => {
    await (await named('Data', 'tab')).click();
    await named('docs (folder)');
    await (await named('Data', 'tab')).click();
    await text('1 entry');
    await named('docs (folder)');
  });

  it('takes up a link pasted into the open tab once confirmed, without a reload', async () => {
    const other = await gw.token('firefox-other');
    await page.evaluate('window.notReloaded = true');
    await page.evaluate(`location.hash = '#token=${other}'`);
    await page.waitForSelector('::-p-aria([name="You are signed in as firefox-user. Switch to firefox-other?"][role="dialog"])', {
      timeout: 15_000,
    });
    await (await named('Sign in as firefox-other', 'button')).click();
    await text('0 entries');
    expect(await page.$eval('.who', (who) => who.textContent)).toBe('Signed in as firefox-other');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(page.url()).toBe(`${gw.url}/console/`);
    // Back to the first account, for the tests after this one.
    await page.evaluate(`location.hash = '#token=${await gw.token('firefox-user')}'`);
    await (await named('Sign in as firefox-user', 'button')).click();
    await text('Signed in as firefox-user');
  });

  it('offers no delete on products, and the page threw nothing', async () => {
    await (await named('Products', 'tab')).click();
    await (await named('scenes (folder)')).click();
    await (await named('scene.tif')).click();
    await text('upload-only');
    expect(await page.$('::-p-aria([name="Delete…"])')).toBeNull();
    expect(problems).toEqual([]);
  });
});
