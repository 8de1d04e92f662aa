// The dashboard and chat page (GET /) in a real browser: Debian's chromium, headless, driven by
// puppeteer-core, against the built binary and the upstream emulator.
//   SWITCHYARD_SCREENSHOTS=1 also writes docs/screenshots/{overview,chat}.png for the README.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { API_KEY, repoRoot, startEmulator, startGateway, chat, user, rawRequest, sleep } from '../e2e/harness.mjs';

const ADMIN_KEY = 'admin-key-for-the-browser';
const chromium = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const screenshots = process.env.SWITCHYARD_SCREENSHOTS === '1';
let emulator, gateway, browser;

before(async () => {
  assert.ok(chromium, 'chromium is not installed (scripts/install-deps.sh installs it)');
  emulator = await startEmulator();
  gateway = await startGateway({ emulator, env: { ADMIN_KEY } });
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // As root (CI, containers) Chromium's sandbox cannot start; the page is our own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--window-size=1280,900'],
    defaultViewport: { width: 1280, height: 900 },
  });
});
after(async () => {
  await browser?.close();
  await gateway?.stop();
  await emulator?.stop();
});

/// A page with every console error, uncaught exception and failed response collected.
async function openPage() {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return { page, problems };
}

async function signIn(page, { admin = true } = {}) {
  await page.goto(`${gateway.url}/`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#sign-in:not([hidden])');
  await page.type('#api-key', API_KEY);
  if (admin) await page.type('#admin-key', ADMIN_KEY);
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#overview:not([hidden])');
  await page.waitForSelector('#models tbody tr td:not(.empty)');
}

const operator = { authorization: `Bearer ${ADMIN_KEY}` };

test('the pages load without console errors, and the operator views need the admin key', async () => {
  const { page, problems } = await openPage();
  try {
    await signIn(page);
    await page.waitForSelector('#credentials tbody tr[data-credential]');
    assert.equal(await page.$eval('#operator-note', (n) => n.hidden), true);
    await page.click('nav button[data-view=chat]');
    await page.waitForSelector('#chat:not([hidden]) #model option');
    await page.click('nav button[data-view=overview]');
    await page.waitForSelector('#overview:not([hidden])');
    await sleep(5500); // one refresh more
    assert.deepEqual(problems, []);
    const csp = (await rawRequest(gateway.url, { method: 'GET', path: '/' })).headers['content-security-policy'];
    assert.match(csp, /default-src 'none'; script-src 'self'/);
  } finally {
    await page.close();
  }
  // With only an API key, the operator views say what they need; the rest works.
  const { page: plain } = await openPage();
  try {
    await signIn(plain, { admin: false });
    await plain.waitForSelector('#operator-note:not([hidden])');
    assert.equal(await plain.$eval('#operator-views', (n) => n.hidden), true);
  } finally {
    await plain.close();
  }
});

test('a credential the test made fail shows as cooling', async () => {
  const limited = await chat(gateway.url, { messages: user('[scenario:429] slow down') });
  assert.equal(limited.status, 429);
  const { page, problems } = await openPage();
  try {
    await signIn(page);
    const row = await page.waitForSelector('#credentials tr[data-credential="flowgpt:0"][data-state="cooling"]', { timeout: 5000 });
    const text = await row.evaluate((r) => r.textContent);
    assert.match(text, /cooling/);
    assert.match(text, /rate_limited/);
    // The operator resets it from the page; the row turns healthy.
    const reset = await page.$$('#credentials tr[data-credential="flowgpt:0"] button');
    await reset[1].click();
    await page.waitForSelector('#credentials tr[data-credential="flowgpt:0"][data-state="healthy"]', { timeout: 5000 });
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('the usage chart reflects the requests the test made', async () => {
  const before = (await rawRequest(gateway.url, { method: 'GET', path: '/admin/usage', headers: operator })).body;
  const counted = JSON.parse(before).total.requests;
  for (let i = 0; i < 3; i++) assert.equal((await chat(gateway.url, { messages: user(`count ${i}`) })).status, 200);
  const { page, problems } = await openPage();
  try {
    await signIn(page);
    const hour = new Date();
    hour.setUTCMinutes(0, 0, 0);
    const bar = `#usage-chart g.hour[data-hour="${hour.toISOString()}"]`;
    await page.waitForFunction((sel, n) => Number(document.querySelector(sel)?.dataset.requests) === n, { timeout: 8000 }, bar, counted + 3);
    assert.equal(await page.$eval('#requests-total', (n) => n.textContent), String(counted + 3));
    // Stacked by key and model: this test's requests are key1's on `default`, named in the legend.
    const heights = await page.$$eval(`${bar} rect.bar:not(.errors)`, (all) => all.map((r) => Number(r.getAttribute('height'))));
    assert.ok(heights.length >= 1 && heights.every((h) => h > 0), String(heights));
    assert.ok(await page.$('#usage-legend [data-series="key1 · default"]'), 'the legend names the series');
    if (screenshots) {
      mkdirSync(join(repoRoot, 'docs/screenshots'), { recursive: true });
      await page.screenshot({ path: join(repoRoot, 'docs/screenshots/overview.png'), fullPage: true });
    }
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('a chat streams an answer from the emulator, and the conversation can be resumed', async () => {
  const { page, problems } = await openPage();
  try {
    await signIn(page);
    await page.click('nav button[data-view=chat]');
    await page.waitForSelector('#model option[value=default]');
    await page.select('#model', 'default');
    await page.type('#prompt', 'hello from the browser');
    await page.click('#send');
    const answer = await page.waitForSelector('.message.assistant[data-done=true]', { timeout: 10000 });
    assert.match(await answer.evaluate((n) => n.textContent), /^echo: hello from the browser \| context: 1 messages/);
    await page.waitForSelector('#conversations li.active');
    const id = await page.$eval('#conversations li.active', (li) => li.dataset.conversation);
    assert.match(id, /^conv_/);
    if (screenshots) await page.screenshot({ path: join(repoRoot, 'docs/screenshots/chat.png') });

    // A second turn continues the stored conversation.
    await page.type('#prompt', 'and again');
    await page.click('#send');
    await page.waitForFunction(() => document.querySelectorAll('.message.assistant[data-done=true]').length === 2, { timeout: 10000 });
    const second = await page.$$eval('.message.assistant', (all) => all[1].textContent);
    assert.match(second, /^echo: and again/);

    // Reloaded, the list remembers it, and opening it shows the turns from the store.
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.click('nav button[data-view=chat]');
    await page.click(`#conversations li[data-conversation="${id}"]`);
    await page.waitForFunction(() => document.querySelectorAll('#messages .message').length === 4, { timeout: 5000 });
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});
