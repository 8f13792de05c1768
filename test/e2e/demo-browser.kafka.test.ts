import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { bootstrap, ensureBroker, ensureTopic, stopBroker, type BrokerInfo } from '../harness/kafka.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';
import { startProxy, type RunningProxy } from '../support/proxy-fixture.js';

/**
 * The demo page in Debian's Chromium, consuming a real Kafka through the proxy: what the page shows
 * is what was produced (order, keys, values, headers), and it recovers from a broker outage
 * without gaps or duplicates.
 */
interface Input {
  partition: number;
  key: string;
  value: string;
  headers: Array<{ key: string; value: string }>;
}
interface Produced extends Input {
  offset: bigint;
}
/** scripts/demo/producer.mjs: Produce requests from our own kafka-wire, acks=-1. */
interface Producer {
  produceBatch(o: { bootstrap: string; topic: string; records: Input[] }): Promise<Produced[]>;
}

let info: BrokerInfo;
let p: RunningProxy;
let browser: Browser;
let producer: Producer;
const topic = `e2e-${Date.now().toString(36)}`;

before(async () => {
  info = await ensureBroker('4');
  await ensureTopic('4', topic, 1);
  producer = (await import(pathToFileURL(join(process.cwd(), 'scripts/demo/producer.mjs')).href)) as Producer;
  p = await startProxy({ demo: true, routes: [{ id: 'e2e', uri: '/e2e', upstream: { nodes: { [bootstrap(info)]: 1 }, type: 'none', scheme: 'kafka' } }] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await p?.close();
});

function records(from: number, n: number): Input[] {
  return Array.from({ length: n }, (_, i) => ({
    partition: 0,
    key: `order-${from + i}`,
    value: JSON.stringify({ n: from + i, item: `widget ${from + i}`, note: 'é漢 <b>not html</b>' }),
    headers: [{ key: 'source', value: 'e2e' }, { key: 'trace-id', value: `t${from + i}` }],
  }));
}

// The page code runs in the browser; the project compiles without the DOM library, so it is passed as text.
const ROWS_JS = `Array.from(document.querySelectorAll('tr[data-testid="message"]')).map((tr) => {
  const out = { offset: tr.getAttribute('data-offset') || '' };
  for (const td of tr.querySelectorAll('[data-field]')) out[td.getAttribute('data-field')] = (td.textContent || '').trim();
  return out;
})`;

async function rows(page: Page): Promise<Array<Record<string, string>>> {
  return (await page.evaluate(ROWS_JS)) as Array<Record<string, string>>;
}

// Locator waits run in Playwright's isolated world, so they work under the page's CSP.
async function waitForRows(page: Page, n: number, timeoutMs: number): Promise<void> {
  await page.locator('tr[data-testid="message"]').nth(n - 1).waitFor({ timeout: timeoutMs });
}

function checkRows(got: Array<Record<string, string>>, want: Produced[]): void {
  assert.deepEqual(got.map((r) => r['offset']), want.map((w) => String(w.offset)), 'offsets shown, in order, without gaps or duplicates');
  got.forEach((r, i) => {
    const w = want[i]!;
    assert.equal(r['key'], w.key, `key at ${w.offset}`);
    assert.equal(r['value'], w.value, `value at ${w.offset}`);
    for (const h of w.headers) assert.ok(r['headers']!.includes(`${h.key}=${h.value}`), `header ${h.key} at ${w.offset}: ${r['headers']}`);
  });
}

test('the demo page shows what was produced, live, and recovers from a broker outage without gaps or duplicates', async () => {
  const first = await producer.produceBatch({ bootstrap: bootstrap(info), topic, records: records(0, 30) });
  // The page keeps its strict Content-Security-Policy (no 'unsafe-eval'): the SDK must run under it.
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${p.url}/?route=/e2e&topic=${topic}&partition=0&from=earliest&autostart=1`);
  await waitForRows(page, 30, 20_000);
  checkRows(await rows(page), first);
  const live = await producer.produceBatch({ bootstrap: bootstrap(info), topic, records: records(30, 10) });
  await waitForRows(page, 40, 20_000);
  checkRows(await rows(page), [...first, ...live]);
  assert.match(await page.getByTestId('lag').textContent() ?? '', /\b0\b/);
  await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: false });

  await stopBroker('4');
  await page.locator('[data-testid="status"][data-state="retrying"], [data-testid="status"][data-state="reconnecting"]').waitFor({ timeout: 30_000 });
  info = await ensureBroker('4');
  const after = await producer.produceBatch({ bootstrap: bootstrap(info), topic, records: records(40, 15) });
  await waitForRows(page, 55, 60_000);
  checkRows(await rows(page), [...first, ...live, ...after]);
  assert.equal(await page.getByTestId('status').getAttribute('data-state'), 'connected');
  assert.deepEqual(errors, []);
  assert.equal(await page.getByTestId('error').textContent(), '');
  await page.close();
});
