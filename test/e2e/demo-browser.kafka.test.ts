import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createDemoTokens, type DemoTokens } from '../../src/server/demo/token.js';
import { bootstrap, ensureBroker, ensureTopic, readTopic, stopBroker, type BrokerInfo } from '../harness/kafka.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';

/**
 * The demo page in Debian's Chromium, subscribed live to every partition of a real Kafka topic
 * through the proxy: what the page shows is what was produced (per partition in order; keys,
 * values, headers), each message's produce-to-page latency and their percentiles are shown, the
 * lag per partition comes down to 0, and it continues without gaps or duplicates after a
 * broker outage and after a route update that makes it resubscribe. A second page reads one
 * partition only. Then a message sent from the page's own box (client.produce) appears in the
 * live view where the reply said, and Kafka's Java consumer finds it there. A route that checks
 * tokens: the page gets one from the demo's token endpoint for the name it is given and streams
 * on across a refresh; without a name it is refused and says so.
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

const PARTITIONS = 3;
let info: BrokerInfo;
let p: RunningProxy;
let browser: Browser;
let producer: Producer;
const topic = `e2e-${Date.now().toString(36)}`;
const authTopic = `e2e-auth-${Date.now().toString(36)}`;
/** Short-lived, so the SDK refreshes the page's token while the test watches. */
const TOKEN_TTL_MS = 6000;
let tokens: DemoTokens;

before(async () => {
  info = await ensureBroker('4');
  await ensureTopic('4', topic, PARTITIONS);
  await ensureTopic('4', authTopic, PARTITIONS);
  producer = (await import(pathToFileURL(join(process.cwd(), 'scripts/demo/producer.mjs')).href)) as Producer;
  tokens = createDemoTokens({ ttlMs: TOKEN_TTL_MS });
  p = await startProxy({ demo: true, demoTokens: tokens });
  // Through the admin API, not the options: the test updates it later, and configured routes are read-only.
  const put = await p.admin('PUT', '/apisix/admin/routes/e2e', kafkaRoute('/e2e', [bootstrap(info)], { plugin: { produce: { topics: [topic] } } }));
  assert.equal(put.status, 201, JSON.stringify(put.body));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await p?.close();
});

/** Round-robin over the partitions, stamped with sent-at (epoch ms) as the demo producer does. */
function records(from: number, n: number): Input[] {
  const sentAt = String(Date.now());
  return Array.from({ length: n }, (_, i) => ({
    partition: (from + i) % PARTITIONS,
    key: `order-${from + i}`,
    value: JSON.stringify({ n: from + i, item: `widget ${from + i}`, note: 'é漢 <b>not html</b>' }),
    headers: [{ key: 'source', value: 'e2e' }, { key: 'trace-id', value: `t${from + i}` }, { key: 'sent-at', value: sentAt }],
  }));
}

function produce(from: number, n: number, to = topic): Promise<Produced[]> {
  return producer.produceBatch({ bootstrap: bootstrap(info), topic: to, records: records(from, n) });
}

// The page code runs in the browser; the project compiles without the DOM library, so it is passed as text.
const ROWS_JS = `Array.from(document.querySelectorAll('tr[data-testid="message"]')).map((tr) => {
  const out = { offset: tr.getAttribute('data-offset') || '', rowPartition: tr.getAttribute('data-partition') || '' };
  for (const td of tr.querySelectorAll('[data-field]')) {
    out[td.getAttribute('data-field')] = (td.textContent || '').trim();
    if (td.hasAttribute('data-ms')) out.ms = td.getAttribute('data-ms');
  }
  return out;
})`;
const PARTITION_ROWS_JS = `Array.from(document.querySelectorAll('[data-testid="partitions"] tr[data-testid="partition-row"]')).map((tr) => {
  const out = { rowPartition: tr.getAttribute('data-partition') || '' };
  for (const td of tr.querySelectorAll('[data-field]')) out[td.getAttribute('data-field')] = (td.textContent || '').trim();
  return out;
})`;

type Row = Record<string, string>;

async function rows(page: Page): Promise<Row[]> {
  return (await page.evaluate(ROWS_JS)) as Row[];
}

// Locator waits run in Playwright's isolated world, so they work under the page's CSP.
async function waitForRows(page: Page, n: number, timeoutMs: number): Promise<void> {
  await page.locator('tr[data-testid="message"]').nth(n - 1).waitFor({ timeout: timeoutMs });
}

/** Every produced message once, in offset order within its partition, as produced. */
function checkRows(got: Row[], want: Produced[]): void {
  assert.equal(got.length, want.length, 'as many rows as messages produced');
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const mine = got.filter((r) => r['partition'] === String(partition));
    const wanted = want.filter((w) => w.partition === partition);
    assert.ok(wanted.length > 0, `messages were produced to partition ${partition}`);
    assert.deepEqual(mine.map((r) => r['offset']), wanted.map((w) => String(w.offset)), `partition ${partition}: offsets shown, in order, without gaps or duplicates`);
    mine.forEach((r, i) => {
      const w = wanted[i]!;
      assert.equal(r['rowPartition'], String(partition), `data-partition at ${partition}/${w.offset}`);
      assert.equal(r['key'], w.key, `key at ${partition}/${w.offset}`);
      assert.equal(r['value'], w.value, `value at ${partition}/${w.offset}`);
      for (const h of w.headers) assert.ok(r['headers']!.includes(`${h.key}=${h.value}`), `header ${h.key} at ${partition}/${w.offset}: ${r['headers']}`);
    });
  }
}

/** Each row's latency: whole milliseconds, its cell saying the same, from its sent-at to when the page got it. */
function checkLatencies(got: Row[], want: Produced[], pageTimeBefore: number, pageTimeAfter: number): void {
  for (const r of got) {
    const w = want.find((x) => x.partition === Number(r['partition']) && String(x.offset) === r['offset'])!;
    const sentAt = Number(w.headers.find((h) => h.key === 'sent-at')!.value);
    assert.match(r['ms'] ?? '', /^-?\d+$/, `latency of ${r['partition']}/${r['offset']} is a whole number of ms`);
    assert.equal(r['latency'], `${r['ms']} ms`);
    const ms = Number(r['ms']);
    assert.ok(ms >= pageTimeBefore - sentAt && ms <= pageTimeAfter - sentAt, `latency ${ms} ms of ${r['partition']}/${r['offset']}: received between ${pageTimeBefore} and ${pageTimeAfter}, sent at ${sentAt}`);
  }
}

async function msOf(page: Page, testid: string): Promise<number> {
  const el = page.getByTestId(testid);
  const ms = await el.getAttribute('data-ms');
  assert.match(ms ?? '', /^-?\d+$/, `${testid} data-ms`);
  assert.equal(await el.textContent(), `${ms} ms`, `${testid} text`);
  return Number(ms);
}

/** The partition table: one row per partition, the messages shown, and lag 0 once all are shown. */
async function checkPartitions(page: Page, want: Produced[]): Promise<void> {
  const got = (await page.evaluate(PARTITION_ROWS_JS)) as Row[];
  assert.deepEqual(got.map((r) => r['partition']), Array.from({ length: PARTITIONS }, (_, i) => String(i)), 'a row per partition, in order');
  for (const r of got) {
    const mine = want.filter((w) => String(w.partition) === r['partition']);
    const end = String(mine.at(-1)!.offset + 1n);
    assert.deepEqual(
      { partition: r['rowPartition'], count: r['count'], next: r['next-offset'], hw: r['high-watermark'], lag: r['lag'] },
      { partition: r['partition'], count: String(mine.length), next: end, hw: end, lag: '0' },
      `partition ${r['partition']}`,
    );
  }
  assert.equal(await page.getByTestId('lag').textContent(), '0');
}

const now = (page: Page): Promise<number> => page.evaluate('Date.now()') as Promise<number>;

/**
 * Polls `js` from here until it is true: page.waitForFunction evaluates its predicate with eval
 * inside the page, which the page's CSP refuses, while page.evaluate does not go through eval.
 */
async function until(page: Page, js: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await page.evaluate(js) !== true) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${js}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the demo page shows every partition live, with latency and lag, and continues without gaps or duplicates after a broker outage and a resubscription', async () => {
  const first = await produce(0, 30);
  // The page keeps its strict Content-Security-Policy (no 'unsafe-eval'): the SDK must run under it.
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // No partition parameter: all of them.
  await page.goto(`${p.url}/?route=/e2e&topic=${topic}&from=earliest&autostart=1`);
  await waitForRows(page, 30, 20_000);
  checkRows(await rows(page), first);
  await page.locator('[data-testid="status"][data-state="connected"]').waitFor({ timeout: 10_000 });

  // Sent after the page subscribed: these are the live ones the percentiles are taken over.
  const before = await now(page);
  const live = await produce(30, 10);
  await waitForRows(page, 40, 20_000);
  const afterLive = await now(page);
  const shown = await rows(page);
  checkRows(shown, [...first, ...live]);
  checkLatencies(shown.slice(30), live, before, afterLive);
  // Only messages sent after Start count: the 30 from the log would have counted their age.
  const p50 = await msOf(page, 'latency-p50');
  const p99 = await msOf(page, 'latency-p99');
  const liveMs = shown.slice(30).map((r) => Number(r['ms'])).sort((a, b) => a - b);
  assert.equal(p50, liveMs[4], 'p50 of the 10 live messages (nearest rank)');
  assert.equal(p99, liveMs[9], 'p99 of the 10 live messages (nearest rank)');
  await until(page, `document.querySelector('[data-testid="lag"]').textContent === '0'`, 10_000);
  await checkPartitions(page, [...first, ...live]);
  assert.equal(await page.getByTestId('count').textContent(), '40');
  await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: false });

  // One partition only, from the URL.
  const one = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  one.on('pageerror', (e) => errors.push(e.message));
  await one.goto(`${p.url}/?route=/e2e&topic=${topic}&partition=1&from=earliest&autostart=1`);
  const ofOne = [...first, ...live].filter((r) => r.partition === 1);
  await waitForRows(one, ofOne.length, 20_000);
  await one.waitForTimeout(500);
  const oneRows = await rows(one);
  assert.deepEqual(oneRows.map((r) => [r['partition'], r['offset'], r['key']]), ofOne.map((r) => ['1', String(r.offset), r.key]), 'partition 1 only, in order');
  assert.deepEqual(((await one.evaluate(PARTITION_ROWS_JS)) as Row[]).map((r) => r['partition']), ['1']);
  await one.close();

  // The page's status over time, as the user would have seen it.
  await page.evaluate(`window.__states = [];
    new MutationObserver(() => window.__states.push(document.querySelector('[data-testid="status"]').dataset.state))
      .observe(document.querySelector('[data-testid="status"]'), { attributes: true, attributeFilter: ['data-state'] });`);

  // A broker outage: the proxy keeps the subscription open and retries Kafka on its own (a live
  // subscription has no word for "Kafka is unreachable"), so the page stays connected and quiet,
  // then continues without a gap or a duplicate.
  await stopBroker('4');
  await assert.rejects(produce(40, 1), 'the broker is down');
  await page.waitForTimeout(3000);
  assert.equal(await page.getByTestId('status').getAttribute('data-state'), 'connected');
  assert.equal(await page.getByTestId('error').textContent(), '');
  info = await ensureBroker('4');
  const later = await produce(40, 15);
  await waitForRows(page, 55, 60_000);
  checkRows(await rows(page), [...first, ...live, ...later]);

  // A route update ends the subscription (route_changed) and closes the socket: the page shows it
  // reconnecting and resubscribes from its cursor, again without a gap or a duplicate.
  const put = await p.admin('PUT', '/apisix/admin/routes/e2e', { ...kafkaRoute('/e2e', [bootstrap(info)], { plugin: { produce: { topics: [topic] } } }), desc: 'updated by the browser test' });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await until(page, `window.__states.includes('reconnecting') && document.querySelector('[data-testid="status"]').dataset.state === 'connected'`, 30_000);
  const last = await produce(55, 6);
  await waitForRows(page, 61, 30_000);
  await page.waitForTimeout(500);
  const all = [...first, ...live, ...later, ...last];
  checkRows(await rows(page), all);
  await until(page, `document.querySelector('[data-testid="lag"]').textContent === '0'`, 10_000);
  await checkPartitions(page, all);
  assert.equal(await page.getByTestId('status').getAttribute('data-state'), 'connected');

  // The page's own box: the message goes out with client.produce on the page's connection and
  // comes back in the live view, where the reply says it was written.
  await page.getByTestId('send-key').fill('from-the-page');
  await page.getByTestId('send-value').fill('hello from Chromium é漢');
  await page.getByTestId('send').click();
  await page.locator('[data-testid="send-result"][data-state="ok"]').waitFor({ timeout: 20_000 });
  const result = page.getByTestId('send-result');
  const [sentPartition, sentOffset] = [await result.getAttribute('data-partition'), await result.getAttribute('data-offset')];
  assert.equal(await result.textContent(), `written to partition ${sentPartition} at offset ${sentOffset}`);
  assert.equal(await page.getByTestId('send-value').inputValue(), '', 'the box is cleared once written');
  await waitForRows(page, all.length + 1, 20_000);
  const mine = (await rows(page)).filter((r) => r['key'] === 'from-the-page');
  assert.equal(mine.length, 1, 'shown once');
  assert.deepEqual([mine[0]!['partition'], mine[0]!['offset'], mine[0]!['value']], [sentPartition, sentOffset, 'hello from Chromium é漢']);
  assert.match(mine[0]!['headers']!, /source=demo page/);
  assert.match(mine[0]!['ms'] ?? '', /^-?\d+$/, 'it carries sent-at: its latency shows');
  const java = (await readTopic('4', topic)).filter((r) => r.key?.toString() === 'from-the-page');
  assert.deepEqual(java.map((r) => [String(r.partition), String(r.offset), r.value?.toString()]), [[sentPartition, sentOffset, 'hello from Chromium é漢']]);
  assert.deepEqual(errors, []);
  assert.equal(await page.getByTestId('error').textContent(), '');
  await page.close();
});

test('a route that checks tokens: the page gets one for its name from the demo and streams across a token refresh; without a name it is refused and shows why', async () => {
  const plugin = { auth: tokens.auth, authorize: { consume: ['e2e-auth-*'] } };
  const put = await p.admin('PUT', '/apisix/admin/routes/e2e-auth', kafkaRoute('/e2e-auth', [bootstrap(info)], { plugin }));
  assert.equal(put.status, 201, JSON.stringify(put.body));
  const first = await produce(0, 9, authTopic);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const minted: number[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/demo/token') && r.method() === 'POST') minted.push(Date.now());
  });
  await page.goto(`${p.url}/?route=/e2e-auth&topic=${authTopic}&from=earliest&name=alice&autostart=1`);
  // The page applies its parameters once it has listed the routes (a request after the load event).
  await until(page, `document.querySelector('[data-testid="name"]').value !== ''`, 20_000);
  assert.equal(await page.getByTestId('name').inputValue(), 'alice');
  assert.equal(await page.locator('#name-field').isVisible(), true, 'the name field shows for a route that checks tokens');
  await waitForRows(page, 9, 20_000);
  checkRows(await rows(page), first);
  assert.equal(minted.length, 1, 'one token for the connection');
  // Past the first token's exp: the SDK has called the page's token function again, in band.
  await page.waitForTimeout(Math.max(0, minted[0]! + TOKEN_TTL_MS + 1000 - Date.now()));
  const later = await produce(9, 9, authTopic);
  await waitForRows(page, 18, 20_000);
  checkRows(await rows(page), [...first, ...later]);
  assert.ok(minted.length >= 2, `the token was refreshed (${minted.length} tokens minted)`);
  assert.equal(await page.getByTestId('status').getAttribute('data-state'), 'connected');
  assert.equal(await page.getByTestId('error').textContent(), '');
  await page.screenshot({ path: join(ARTIFACTS, 'demo-auth.png'), fullPage: false });
  await page.close();

  // No name, no token: the proxy refuses the subscription, and the page says why.
  const refused = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  refused.on('pageerror', (e) => errors.push(e.message));
  await refused.goto(`${p.url}/?route=/e2e-auth&topic=${authTopic}&from=earliest&autostart=1`);
  await until(refused, `document.querySelector('[data-testid="error"]').textContent !== ''`, 20_000);
  assert.match(await refused.getByTestId('error').textContent() ?? '', /authentication required/);
  assert.equal(await refused.getByTestId('status').getAttribute('data-state'), 'error');
  assert.equal((await rows(refused)).length, 0, 'nothing streamed');
  await refused.screenshot({ path: join(ARTIFACTS, 'demo-auth-refused.png'), fullPage: false });
  // A route without auth hides the name field.
  await refused.selectOption('[data-testid="route"]', '/e2e');
  assert.equal(await refused.locator('#name-field').isVisible(), false);
  await refused.close();
  assert.deepEqual(errors, []);
});
