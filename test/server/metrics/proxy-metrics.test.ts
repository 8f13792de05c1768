import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProxyMetrics, KAFKA_DURATION_BUCKETS, Registry } from '../../../src/server/metrics/index.js';

function types(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

test('declares exactly the proxy metrics, with their types and labels', (t) => {
  const r = new Registry();
  const m = createProxyMetrics(r);
  t.after(() => m.stop());
  assert.deepEqual(types(r.render()), {
    kwp_connections_open: 'gauge',
    kwp_connections_total: 'counter',
    kwp_connections_rejected_total: 'counter',
    kwp_commands_total: 'counter',
    kwp_kafka_request_duration_seconds: 'histogram',
    kwp_bytes_out_total: 'counter',
    kwp_errors_total: 'counter',
    kwp_routes: 'gauge',
    kwp_reply_bytes: 'gauge',
    kwp_subscriptions: 'gauge',
    kwp_subscription_ends_total: 'counter',
    kwp_pushes_total: 'counter',
    kwp_auth_failures_total: 'counter',
    kwp_authentications_total: 'counter',
    kwp_tail_readers: 'gauge',
    kwp_tail_fetch_requests_total: 'counter',
    kwp_unsent_bytes: 'gauge',
    kwp_route_store_unavailable: 'gauge',
    kwp_produced_records_total: 'counter',
    kwp_produced_bytes_total: 'counter',
    kwp_produce_errors_total: 'counter',
    kwp_produce_repeats_total: 'counter',
    kwp_produce_bytes: 'gauge',
    process_resident_memory_bytes: 'gauge',
    nodejs_heap_used_bytes: 'gauge',
    nodejs_eventloop_delay_seconds: 'gauge',
  });
  assert.deepEqual(
    [m.connectionsOpen, m.connectionsTotal, m.connectionsRejected, m.commands, m.kafkaRequestDuration, m.bytesOut, m.errors, m.routes, m.subscriptions, m.subscriptionEnds, m.pushes, m.authFailures, m.authentications].map((x) => x.labelNames),
    [['route'], ['route'], ['reason'], ['route', 'command', 'result'], ['operation'], ['route'], ['code'], [], ['route'], ['route', 'reason'], ['route'], ['route', 'reason'], ['route', 'how']],
  );
  assert.deepEqual(m.kafkaRequestDuration.buckets, KAFKA_DURATION_BUCKETS);
  assert.equal(KAFKA_DURATION_BUCKETS[0], 0.0005);
  assert.equal(KAFKA_DURATION_BUCKETS.at(-1), 10);
});

test('process and event-loop gauges are sampled at render time', (t) => {
  const r = new Registry();
  const m = createProxyMetrics(r);
  t.after(() => m.stop());
  const text = r.render();
  const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1]);
  const heap = Number(/^nodejs_heap_used_bytes (\d+)$/m.exec(text)?.[1]);
  assert.ok(rss > 1_000_000, `rss ${rss}`);
  assert.ok(heap > 100_000 && heap < rss * 10, `heap ${heap}`);
  assert.match(text, /^nodejs_eventloop_delay_seconds\{quantile="0.5"\} [0-9.e-]+$/m);
  assert.match(text, /^nodejs_eventloop_delay_seconds\{quantile="0.99"\} [0-9.e-]+$/m);
});

test('event-loop delay leaves out the sampling timer\'s own 10 ms: an idle loop reads close to 0', async (t) => {
  const r = new Registry();
  const m = createProxyMetrics(r);
  t.after(() => m.stop());
  r.render();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const p50 = Number(/^nodejs_eventloop_delay_seconds\{quantile="0.5"\} ([0-9.e-]+)$/m.exec(r.render())?.[1]);
  assert.ok(p50 >= 0 && p50 < 0.005, `idle p50 ${p50} s`);
});

test('forgetRoute drops every series of a deleted route and keeps the others', (t) => {
  const r = new Registry();
  const m = createProxyMetrics(r);
  t.after(() => m.stop());
  for (const route of ['r1', 'r2']) {
    m.connectionsOpen.labels(route).inc();
    m.connectionsTotal.labels(route).inc();
    m.commands.labels(route, 'fetch', 'ok').inc();
    m.commands.labels(route, 'ping', 'error').inc();
    m.bytesOut.labels(route).inc(100);
  }
  m.errors.labels('KWIRE_ERR_KAFKA').inc();
  m.kafkaRequestDuration.labels('fetch').observe(0.003);
  m.forgetRoute('r1');
  const text = r.render();
  assert.doesNotMatch(text, /route="r1"/);
  assert.equal(text.match(/route="r2"/g)?.length, 5);
  assert.match(text, /^kwp_errors_total\{code="KWIRE_ERR_KAFKA"\} 1$/m);
  assert.match(text, /^kwp_kafka_request_duration_seconds_bucket\{operation="fetch",le="0.0025"\} 0$/m);
  assert.match(text, /^kwp_kafka_request_duration_seconds_bucket\{operation="fetch",le="0.005"\} 1$/m);
});
