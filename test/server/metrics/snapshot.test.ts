import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProxyMetrics, mergeSnapshots, type MetricSnapshot, Registry, renderSnapshots } from '../../../src/server/metrics/index.js';

/** A registry like a worker's: the proxy's metrics, with a few series of every type set. */
function workerRegistry(connections: number, pings: number, fetchSeconds: readonly number[]): Registry {
  const r = new Registry();
  const m = createProxyMetrics(r);
  m.connectionsOpen.labels('r1').set(connections);
  m.connectionsTotal.labels('r1').inc(connections);
  m.commands.labels('r1', 'ping', 'ok').inc(pings);
  for (const s of fetchSeconds) m.kafkaRequestDuration.labels('fetch').observe(s);
  m.routes.labels().set(3);
  m.stop();
  return r;
}

/** Sample lines by series, without process gauges (they are sampled at each render). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || /^(process_|nodejs_)/.test(line)) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

test('one snapshot renders exactly what the registry renders (every type, labels escaped, histograms)', () => {
  const r = new Registry();
  const c = r.counter({ name: 'a_total', help: 'A \\ with\nnewline.', labelNames: ['x', 'y'] });
  c.labels('q"uote', 'back\\slash').inc(2);
  c.labels('line\nbreak', '').inc();
  r.gauge({ name: 'b', help: 'B.' }).labels().set(-1.5);
  const h = r.histogram({ name: 'c_seconds', help: 'C.', labelNames: ['op'], buckets: [0.01, 0.1, 1] });
  h.labels('f').observe(0.005);
  h.labels('f').observe(5);
  h.labels('g').observe(0.05);
  r.histogram({ name: 'd_seconds', help: 'D.', buckets: [1] }).labels().observe(2);
  r.gauge({ name: 'e', help: 'E.', collect: (g) => g.labels().set(42) });
  const rendered = r.render();
  assert.match(rendered, /^e 42$/m);
  assert.equal(renderSnapshots(mergeSnapshots([r.snapshot()])), rendered);
  // And for the proxy's own metrics (the event-loop gauge resets when read, so it is left out).
  const w = workerRegistry(2, 5, [0.001, 3]);
  assert.deepEqual(samples(renderSnapshots(mergeSnapshots([w.snapshot()]))), samples(w.render()));
});

test('merged snapshots sum counters, gauges and histograms; kwp_routes and the event-loop delay take the maximum', () => {
  const a = workerRegistry(2, 5, [0.001, 3]);
  const b = workerRegistry(3, 7, [0.001]);
  const merged = samples(renderSnapshots(mergeSnapshots([a.snapshot(), b.snapshot()])));
  assert.equal(merged.get('kwp_connections_open{route="r1"}'), 5);
  assert.equal(merged.get('kwp_connections_total{route="r1"}'), 5);
  assert.equal(merged.get('kwp_commands_total{route="r1",command="ping",result="ok"}'), 12);
  assert.equal(merged.get('kwp_kafka_request_duration_seconds_count{operation="fetch"}'), 3);
  assert.equal(merged.get('kwp_kafka_request_duration_seconds_bucket{operation="fetch",le="0.001"}'), 2);
  assert.equal(merged.get('kwp_kafka_request_duration_seconds_bucket{operation="fetch",le="+Inf"}'), 3);
  assert.equal(merged.get('kwp_kafka_request_duration_seconds_sum{operation="fetch"}'), 3.002);
  assert.equal(merged.get('kwp_routes'), 3, 'every worker has the same routes: not 6');
  const loop = mergeSnapshots([a.snapshot(), b.snapshot()]).find((m) => m.name === 'nodejs_eventloop_delay_seconds');
  assert.equal(loop?.aggregate, 'max');
  const rss = mergeSnapshots([a.snapshot(), b.snapshot()]).find((m) => m.name === 'process_resident_memory_bytes');
  assert.equal(rss?.aggregate, 'sum');
});

test('series only one process has are kept; metrics keep the first process order, new ones follow', () => {
  const one: MetricSnapshot[] = [
    { type: 'counter', name: 'x_total', help: 'X.', labelNames: ['k'], aggregate: 'sum', series: [{ values: ['a'], value: 1 }] },
  ];
  const two: MetricSnapshot[] = [
    { type: 'gauge', name: 'y', help: 'Y.', labelNames: [], aggregate: 'max', series: [{ values: [], value: 4 }] },
    { type: 'counter', name: 'x_total', help: 'X.', labelNames: ['k'], aggregate: 'sum', series: [{ values: ['b'], value: 2 }, { values: ['a'], value: 3 }] },
  ];
  assert.equal(renderSnapshots(mergeSnapshots([one, two])), [
    '# HELP x_total X.', '# TYPE x_total counter', 'x_total{k="a"} 4', 'x_total{k="b"} 2',
    '# HELP y Y.', '# TYPE y gauge', 'y 4', '',
  ].join('\n'));
  assert.deepEqual(one[0]!.series, [{ values: ['a'], value: 1 }], 'the inputs are not changed');
});

test('a metric whose type, labels or buckets differ from the first of its name is left out, never summed wrongly', () => {
  const first: MetricSnapshot[] = [
    { type: 'histogram', name: 'h', help: 'H.', labelNames: [], aggregate: 'sum', buckets: [1, 2], series: [{ values: [], counts: [1, 0, 0], sum: 0.5, count: 1 }] },
    { type: 'counter', name: 'c_total', help: 'C.', labelNames: ['a'], aggregate: 'sum', series: [{ values: ['x'], value: 1 }] },
  ];
  const skewed: MetricSnapshot[] = [
    { type: 'histogram', name: 'h', help: 'H.', labelNames: [], aggregate: 'sum', buckets: [1, 5], series: [{ values: [], counts: [0, 0, 9], sum: 90, count: 9 }] },
    { type: 'gauge', name: 'c_total', help: 'C.', labelNames: ['a'], aggregate: 'sum', series: [{ values: ['x'], value: 100 }] },
  ];
  const text = renderSnapshots(mergeSnapshots([first, skewed]));
  assert.match(text, /^h_count 1$/m);
  assert.match(text, /^c_total\{a="x"\} 1$/m);
});
