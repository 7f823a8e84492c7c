/**
 * The status page in a real headless Chromium: the server renders the node's view into the first
 * response (shown even with JavaScript off), and the page follows changes live. Needs Debian's `chromium` package (or WIRERELAY_CHROMIUM pointing at a binary);
 * without it these tests fail rather than skip, so a CI image that lacks it is noticed.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdminServer } from '../../src/admin/http-server.js';
import { makeFlow, MemoryBackend } from './memory-backend.js';

const CHROMIUM = process.env.WIRERELAY_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Several 1 s refreshes; generous for a loaded 2-core CI box. */
const UPDATE_TIMEOUT_MS = 15_000;

let browser: Browser;
let backend: MemoryBackend;
let server: AdminServer;
let page: Page;
let baseUrl: string;
let consoleErrors: string[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `status page browser tests need Chromium at ${CHROMIUM}, which does not exist: ` +
        `install it with "apt-get install -y chromium" (or set WIRERELAY_CHROMIUM to a Chromium binary)`,
    );
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  backend = new MemoryBackend();
  backend.addPeer('10.0.0.1:8333', { banScore: 7, rttMs: 31, minRttMs: 9, bytesIn: 3 * 1024 * 1024, permanent: true, whitelisted: true });
  backend.addPeer('[2001:db8::1]:8333', { direction: 'inbound', state: 'handshaking', rttMs: null, transport: 'v1', sessionId: null });
  backend.setHealth('10.0.0.1:8333', { uptimeRatio: 0.875, flapCount: 3, tier: 0 });
  // An inbound peer's health is kept by IP (its source port changes with every connection).
  backend.setHealth('2001:db8::1', { uptimeRatio: 0.125, flapCount: 40, tier: 1, online: false });
  backend.flowRows = [makeFlow('10.0.0.1:8333', '[2001:db8::1]:8333', 9000, 512)];
  server = new AdminServer({ backend, dataDir: null });
  const { port } = await server.start('127.0.0.1', 0);
  baseUrl = `http://127.0.0.1:${port}/`;
  page = await browser.newPage();
  consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
});

afterEach(async () => {
  await page?.close();
  await server?.close();
});

const peerRow = (addr: string): string => `#peers tbody tr[data-peer="${addr}"]`;
const cell = (table: string, key: string, col: string): string =>
  `#${table} tbody tr[data-peer="${key}"] td[data-col="${col}"]`;

describe('status page', () => {
  it('is rendered on the server: with JavaScript off it shows status, rates, peers, bans and warnings', async () => {
    backend.banMap.set('10.0.0.66', { target: '10.0.0.66', createdAt: 1_700_000_000_000, until: 1_900_000_000_000, reason: 'manual: spam' });
    backend.warnings = ['no outbound peers: the node hears only from peers that dial it'];
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const bare = await context.newPage();
      await bare.goto(baseUrl);
      expect(await bare.textContent('#status [data-field="version"]')).toBe('0.1.0');
      expect(await bare.textContent('#status [data-field="user-agent"]')).toBe('/wirerelay:0.1.0/');
      expect(await bare.textContent('#status [data-field="data-dir"]')).toBe('/var/lib/wirerelay');
      expect(await bare.textContent('#status [data-field="listen"]')).toBe('127.0.0.1:18444');
      expect(await bare.textContent('#status [data-field="admin"]')).toBe('off');
      expect(await bare.textContent('#status [data-field="rate-10s-bytes-in"]')).toBe('4.0 KiB/s');
      expect(await bare.textContent('#status [data-field="rate-1m-bytes-in"]')).toBe('2.0 KiB/s');
      expect(await bare.textContent('#status [data-field="rate-10s-msgs-in"]')).toBe('12.5');
      expect(await bare.textContent('#status [data-field="rate-10s-bytes-relayed"]')).toBe('8.0 KiB/s');
      expect(await bare.textContent('#status [data-field="cpu"]')).toBe('12.5%');
      expect(await bare.textContent('#status [data-field="rss"]')).toBe('80.0 MiB');
      expect(await bare.getAttribute('svg[data-spark="bytes-in"] polyline', 'points')).toBe('113.9,23.0 115.9,15.7 118.0,8.3 120.0,1.0');
      expect(await bare.locator('#peers tbody tr[data-peer]').count()).toBe(2);
      expect(await bare.textContent(cell('peers', '10.0.0.1:8333', 'flags'))).toBe('perm,wl');
      expect(await bare.textContent(cell('peers', '10.0.0.1:8333', 'services'))).toBe('NETWORK WITNESS NETWORK_LIMITED');
      expect(await bare.textContent(cell('peers', '10.0.0.1:8333', 'min-rtt'))).toBe('9 ms');
      expect(await bare.textContent(cell('peers', '10.0.0.1:8333', 'transport'))).toBe('v2');
      expect(await bare.textContent(cell('peers', '10.0.0.1:8333', 'session'))).toBe('ab'.repeat(32));
      expect(await bare.textContent(cell('peers', '[2001:db8::1]:8333', 'transport'))).toBe('v1');
      expect(await bare.textContent(cell('peers', '[2001:db8::1]:8333', 'session'))).toBe('');
      expect(await bare.getAttribute(cell('peers', '10.0.0.1:8333', 'bytes-out'), 'title')).toBe('sent: inv 7.6 KiB, version 126 B');
      const ban = '#bans tbody tr[data-ban="10.0.0.66"]';
      expect(await bare.textContent(`${ban} td[data-col="created"]`)).toBe('2023-11-14T22:13:20Z');
      expect(await bare.textContent(`${ban} td[data-col="expires"]`)).toMatch(/^2030-03-17T17:46:40Z \(in \d+d \d+h\)$/);
      expect(await bare.textContent(`${ban} td[data-col="reason"]`)).toBe('manual: spam');
      expect(await bare.locator('#warnings li').allTextContents()).toEqual(backend.warnings);
      expect(await bare.getAttribute('body', 'data-refreshes')).toBe('0');
    } finally {
      await context.close();
    }
  });

  it('renders status, peers, health and flows, then keeps refreshing them', async () => {
    await page.goto(baseUrl);
    await page.waitForSelector('body:not([data-refreshes="0"])', { timeout: UPDATE_TIMEOUT_MS });

    expect(await page.textContent('#status [data-field="network"]')).toBe('regtest');
    expect(await page.textContent('#status [data-field="inbound"]')).toBe('1');
    expect(await page.textContent('#status [data-field="established"]')).toBe('1');

    expect(await page.locator('#peers tbody tr[data-peer]').count()).toBe(2);
    expect(await page.textContent(cell('peers', '10.0.0.1:8333', 'direction'))).toBe('outbound');
    expect(await page.textContent(cell('peers', '10.0.0.1:8333', 'state'))).toBe('established');
    expect(await page.textContent(cell('peers', '10.0.0.1:8333', 'score'))).toBe('7');
    expect(await page.textContent(cell('peers', '10.0.0.1:8333', 'rtt'))).toBe('31 ms');
    expect(await page.textContent(cell('peers', '10.0.0.1:8333', 'bytes-in'))).toBe('3.0 MiB');
    expect(await page.textContent(cell('peers', '[2001:db8::1]:8333', 'rtt'))).toBe('-');
    expect(await page.textContent(cell('peers', '10.0.0.1:8333', 'transport'))).toBe('v2');
    expect(await page.textContent(cell('peers', '10.0.0.1:8333', 'session'))).toBe('ab'.repeat(32));
    expect(await page.textContent(cell('peers', '[2001:db8::1]:8333', 'transport'))).toBe('v1');

    expect(await page.textContent(cell('health', '10.0.0.1:8333', 'uptime-ratio'))).toBe('87.5%');
    expect(await page.textContent(cell('health', '2001:db8::1', 'flaps'))).toBe('40');
    expect(await page.textContent(cell('health', '2001:db8::1', 'tier'))).toBe('1');
    expect(await page.textContent(cell('health', '2001:db8::1', 'online'))).toBe('no');

    const flow = '#flows tbody tr[data-flow="10.0.0.1:8333>[2001:db8::1]:8333"]';
    expect(await page.textContent(`${flow} td[data-col="rate"]`)).toBe('512 B/s');
    expect(await page.textContent('#error')).toBe('');
    // Nothing blocked by the CSP, no script errors.
    expect(consoleErrors).toEqual([]);
  });

  it('follows the node live: new peers, state changes, departures, health and status', async () => {
    await page.goto(baseUrl);
    await page.waitForSelector(peerRow('10.0.0.1:8333'), { timeout: UPDATE_TIMEOUT_MS });

    backend.addPeer('10.0.0.9:18444', { state: 'connecting', direction: 'outbound' });
    backend.peerMap.set('[2001:db8::1]:8333', { ...backend.peerMap.get('[2001:db8::1]:8333')!, state: 'established', banScore: 55 });
    backend.peerMap.delete('10.0.0.1:8333');
    backend.setHealth('2001:db8::1', { flapCount: 41, tier: 3, online: true });
    backend.banMap.set('10.0.0.1', { target: '10.0.0.1', createdAt: null, until: 1, reason: 'manual' });
    backend.warnings = ['backup file:///b is down; 3 changes not yet backed up'];

    await page.waitForSelector(peerRow('10.0.0.9:18444'), { timeout: UPDATE_TIMEOUT_MS });
    await page.waitForSelector(peerRow('10.0.0.1:8333'), { state: 'detached', timeout: UPDATE_TIMEOUT_MS });
    // Waits go through selectors: the page's CSP forbids the eval a string predicate would need.
    await page
      .locator(cell('peers', '[2001:db8::1]:8333', 'state'), { hasText: /^established$/ })
      .waitFor({ timeout: UPDATE_TIMEOUT_MS });
    expect(await page.textContent(cell('peers', '[2001:db8::1]:8333', 'score'))).toBe('55');
    expect(await page.textContent(cell('peers', '10.0.0.9:18444', 'state'))).toBe('connecting');
    expect(await page.textContent(cell('health', '2001:db8::1', 'tier'))).toBe('3');
    expect(await page.textContent(cell('health', '2001:db8::1', 'flaps'))).toBe('41');
    expect(await page.textContent('#status [data-field="bans"]')).toBe('1');
    await page.locator('#bans tbody tr[data-ban="10.0.0.1"]').waitFor({ timeout: UPDATE_TIMEOUT_MS });
    expect(await page.locator('#warnings li').allTextContents()).toEqual(backend.warnings);

    backend.peerMap.clear();
    await page.waitForSelector('#peers tbody tr.empty', { timeout: UPDATE_TIMEOUT_MS });
    expect(await page.locator('#peers tbody tr[data-peer]').count()).toBe(0);
    expect(Number(await page.getAttribute('body', 'data-refreshes'))).toBeGreaterThan(1);
  });

  it('shows endpoint errors and recovers when the node answers again', async () => {
    await page.goto(baseUrl);
    await page.waitForSelector(peerRow('10.0.0.1:8333'), { timeout: UPDATE_TIMEOUT_MS });
    backend.statusError = new Error('store offline');
    await page.locator('#error', { hasText: 'ERR_INTERNAL' }).waitFor({ timeout: UPDATE_TIMEOUT_MS });
    expect(await page.textContent('#error')).toBe('/status/view: ERR_INTERNAL: store offline');
    backend.statusError = null;
    await page.locator('#error:empty').waitFor({ timeout: UPDATE_TIMEOUT_MS });
    // The page itself logs failed fetches as console errors; only script errors would be a bug.
    expect(consoleErrors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });

  it('writes peer-supplied strings as text, server-side and in refreshes, so a hostile user agent cannot run script', async () => {
    const agent = '<img src=x onerror="document.body.dataset.pwned=1"><script>document.body.dataset.pwned=2</script>';
    backend.addPeer('10.6.6.6:8333', { userAgent: agent });
    backend.banMap.set('10.6.6.6', { target: '10.6.6.6', createdAt: null, until: 2e12, reason: agent });
    await page.goto(baseUrl);
    // As the server rendered it…
    expect(await page.textContent(cell('peers', '10.6.6.6:8333', 'agent'))).toBe(agent);
    expect(await page.textContent('#bans tbody tr[data-ban="10.6.6.6"] td[data-col="reason"]')).toBe(agent);
    // …and as the script wrote it after a refresh.
    await page.waitForSelector('body:not([data-refreshes="0"])', { timeout: UPDATE_TIMEOUT_MS });
    expect(await page.textContent(cell('peers', '10.6.6.6:8333', 'agent'))).toBe(agent);
    expect(await page.locator('#peers img, #peers script, #bans img, #bans script').count()).toBe(0);
    expect(await page.getAttribute('body', 'data-pwned')).toBeNull();
  });

  it('shows the error in the page when the node fails while rendering it', async () => {
    backend.statusError = new Error('store offline');
    await page.goto(baseUrl);
    expect(await page.textContent('#error')).toBe('/status/view: store offline');
    backend.statusError = null;
    await page.waitForSelector(peerRow('10.0.0.1:8333'), { timeout: UPDATE_TIMEOUT_MS });
    await page.locator('#error:empty').waitFor({ timeout: UPDATE_TIMEOUT_MS });
  });
});
