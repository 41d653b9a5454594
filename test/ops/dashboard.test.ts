/**
 * The dashboard in a real browser (issue 14): Playwright drives Debian's chromium (never a
 * downloaded browser). The page loads without console errors, shows a topic the test creates,
 * a group's lag that grows while its consumer is paused and falls after it resumes, and an actor
 * restart after `broker.crashActor`. With UPDATE_SCREENSHOT=1 it saves docs/dashboard.png, the
 * README's screenshot.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { commitThrough, countingConsumer, produce, waitFor } from './helpers.js';

/** The page's document, as the functions evaluated in the browser use it (no DOM lib here). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`the dashboard tests need Debian's chromium at ${chromiumPath}: ` +
      'install it with `apt-get install chromium` (or set CHROMIUM_PATH); ' +
      'Playwright must not download a browser');
  }
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless=new'] });
});

afterAll(async () => {
  await browser?.close();
});

/** Waits until the element's text is `expected` (the page updates once a second). */
async function textBecomes(page: Page, selector: string, expected: string): Promise<void> {
  await page.waitForFunction(([s, e]) => document.querySelector(s)?.textContent === e,
    [selector, expected], { timeout: 20_000 });
}

describe('the dashboard', () => {
  it('shows topics, a lag that grows and falls, and an actor restart', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 2 });
    const page = await browser.newPage({ viewport: { width: 1300, height: 1200 } });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await broker.createTopic('orders', { partitions: 3 });
      await broker.createTopic('payments', { partitions: 1 });
      const reader = await countingConsumer(broker, 'billing', 'payments');
      await produce(broker, 'payments', 20);
      await waitFor(() => reader.processed() === 20, 'the first 20 records');
      await commitThrough(broker, reader.consumer, 'payments');
      const server = await broker.listenHttp({ port: 0 });
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await textBecomes(page, '#status', 'live');
      await page.waitForSelector('[data-topic="orders"]');
      expect(await page.locator('[data-topic="orders"] tbody tr').count()).toBe(3);

      const lag = '[data-lag="billing/payments/0"]';
      await textBecomes(page, lag, '0');
      reader.consumer.pause([{ topic: 'payments' }]);
      await produce(broker, 'payments', 40);
      await textBecomes(page, lag, '40');
      reader.consumer.resume([{ topic: 'payments' }]);
      await waitFor(() => reader.processed() === 60, 'the consumer to catch up');
      await commitThrough(broker, reader.consumer, 'payments');
      await textBecomes(page, lag, '0');
      await textBecomes(page, '[data-hw="payments-0"]', '60');

      await textBecomes(page, '[data-actor-restarts="1"]', '0');
      await broker.crashActor(1, 'throw');
      await broker.settled();
      await textBecomes(page, '[data-actor-restarts="1"]', '1');
      await textBecomes(page, '#restarts-total', '1');

      // Traffic for the charts while the README's screenshot is taken.
      const producer = broker.producer({ acks: 'all' });
      let producing = true;
      const traffic = (async () => {
        while (producing) {
          await Promise.all(Array.from({ length: 100 },
            (_, i) => producer.send('orders', { key: `k${i}`, value: `v${i}` })));
        }
      })();
      await page.waitForFunction(() => {
        const text = document.querySelector('#produce-rate')?.textContent ?? '–';
        return text !== '–' && Number(text.replace(/,/g, '')) > 0;
      }, undefined, { timeout: 20_000 });
      await page.waitForFunction(() => document.querySelector('#ack-p99')?.textContent !== '–',
        undefined, { timeout: 20_000 });
      // The README's screenshot is refreshed on request, so a test run leaves the tree clean.
      const screenshot = process.env.UPDATE_SCREENSHOT === '1'
        ? path.join(root, 'docs/dashboard.png') : path.join(tempDir(), 'dashboard.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(10_000);
      producing = false;
      await traffic;
      await producer.close();
      await reader.consumer.close();
      await reader.running;
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await broker.close();
    }
  });
});
