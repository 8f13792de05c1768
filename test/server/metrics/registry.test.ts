import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, PROMETHEUS_CONTENT_TYPE, Registry } from '../../../src/server/metrics/index.js';

test('a small registry renders exactly the text format 0.0.4', () => {
  const r = new Registry();
  const requests = r.counter({ name: 'app_requests_total', help: 'Requests handled.', labelNames: ['route', 'result'] });
  const up = r.gauge({ name: 'app_up', help: 'Whether the app is up.' });
  const latency = r.histogram({ name: 'app_latency_seconds', help: 'Latency.', labelNames: ['op'], buckets: [0.1, 1] });
  requests.labels('r1', 'ok').inc();
  requests.labels('r1', 'ok').inc(2);
  requests.inc({ route: 'r2', result: 'error' });
  up.labels().set(1);
  latency.labels('fetch').observe(0.05);
  latency.observe({ op: 'fetch' }, 3);
  assert.equal(
    r.render(),
    [
      '# HELP app_requests_total Requests handled.',
      '# TYPE app_requests_total counter',
      'app_requests_total{route="r1",result="ok"} 3',
      'app_requests_total{route="r2",result="error"} 1',
      '# HELP app_up Whether the app is up.',
      '# TYPE app_up gauge',
      'app_up 1',
      '# HELP app_latency_seconds Latency.',
      '# TYPE app_latency_seconds histogram',
      'app_latency_seconds_bucket{op="fetch",le="0.1"} 1',
      'app_latency_seconds_bucket{op="fetch",le="1"} 1',
      'app_latency_seconds_bucket{op="fetch",le="+Inf"} 2',
      'app_latency_seconds_sum{op="fetch"} 3.05',
      'app_latency_seconds_count{op="fetch"} 2',
      '',
    ].join('\n'),
  );
  assert.equal(PROMETHEUS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
});

test('metrics without labels show zero from the start; labelled ones only their header', () => {
  const r = new Registry();
  r.counter({ name: 'a_total', help: 'A.' });
  r.histogram({ name: 'h', help: 'H.', buckets: [1] });
  r.gauge({ name: 'g', help: 'G.', labelNames: ['x'] });
  assert.equal(
    r.render(),
    '# HELP a_total A.\n# TYPE a_total counter\na_total 0\n' +
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 0\nh_bucket{le="+Inf"} 0\nh_sum 0\nh_count 0\n' +
      '# HELP g G.\n# TYPE g gauge\n',
  );
  assert.equal(new Registry().render(), '');
});

test('label values escape backslash, quote and newline; help escapes backslash and newline', () => {
  const r = new Registry();
  const c = r.counter({ name: 'c_total', help: 'Path C:\\x\nsecond "line"', labelNames: ['v'] });
  c.labels('a\\b"c\nd').inc();
  assert.equal(r.render(), '# HELP c_total Path C:\\\\x\\nsecond "line"\n# TYPE c_total counter\nc_total{v="a\\\\b\\"c\\nd"} 1\n');
});

test('histogram buckets are cumulative, bounds inclusive, NaN ignored', () => {
  const h = new Histogram({ name: 'd_seconds', help: 'D.', buckets: [0.1, 1, 10] });
  const child = h.labels();
  for (const v of [0.05, 0.1, 0.5, 1, 5, 50, Number.NaN]) child.observe(v);
  const out: string[] = [];
  h.render(out);
  assert.deepEqual(out.slice(2), [
    'd_seconds_bucket{le="0.1"} 2',
    'd_seconds_bucket{le="1"} 4',
    'd_seconds_bucket{le="10"} 5',
    'd_seconds_bucket{le="+Inf"} 6',
    'd_seconds_sum 56.65',
    'd_seconds_count 6',
  ]);
  assert.throws(() => new Histogram({ name: 'x', help: 'x', buckets: [1, 1] }), TypeError);
  assert.throws(() => new Histogram({ name: 'x', help: 'x', buckets: [] }), TypeError);
  assert.throws(() => new Histogram({ name: 'x', help: 'x', buckets: [1, Infinity] }), TypeError);
  assert.throws(() => new Histogram({ name: 'x', help: 'x', labelNames: ['le'], buckets: [1] }), /invalid label name "le"/);
});

test('children are cached per label values, and lists of values never collide', () => {
  const c = new Counter({ name: 'c', help: 'c', labelNames: ['a', 'b'] });
  assert.equal(c.labels('x', 'y'), c.labels('x', 'y'));
  assert.notEqual(c.labels('x', 'y'), c.labels('y', 'x'));
  assert.notEqual(c.labels('a,b', 'c'), c.labels('a', 'b,c'));
  assert.notEqual(c.labels('a"', 'b'), c.labels('a', '"b'));
  const g = new Gauge({ name: 'g', help: 'g', labelNames: ['only'] });
  assert.equal(g.labels('v'), g.with({ only: 'v' }));
});

test('remove drops one label set; removeMatching every set with a label value', () => {
  const r = new Registry();
  const c = r.counter({ name: 'cmd_total', help: 'C.', labelNames: ['route', 'command'] });
  const kept = c.labels('r1', 'fetch');
  kept.inc();
  c.labels('r1', 'ping').inc();
  c.labels('r2', 'fetch').inc(5);
  assert.equal(c.remove('r1', 'fetch'), true);
  assert.equal(c.remove('r1', 'fetch'), false);
  kept.inc(); // a child kept after removal no longer shows
  assert.doesNotMatch(r.render(), /command="fetch"} 2/);
  assert.match(r.render(), /cmd_total\{route="r1",command="ping"\} 1\n/);
  assert.equal(c.removeMatching({ route: 'r1' }), 1);
  assert.equal(r.render(), '# HELP cmd_total C.\n# TYPE cmd_total counter\ncmd_total{route="r2",command="fetch"} 5\n');
  assert.equal(c.labels('r1', 'fetch').value, 0, 'a new child starts at zero');
  c.reset();
  assert.equal(r.render(), '# HELP cmd_total C.\n# TYPE cmd_total counter\n');
});

test('misuse is caught: arity, negative increments, bad and duplicate names', () => {
  const c = new Counter({ name: 'c', help: 'c', labelNames: ['a', 'b'] });
  // @ts-expect-error: two labels need two values, and the compiler says so too.
  assert.throws(() => c.labels('only-one'), /1 label values for 2 labels/);
  assert.throws(() => c.labels('x', 'y').inc(-1), RangeError);
  assert.throws(() => new Counter({ name: '9bad', help: '' }), /invalid metric name/);
  assert.throws(() => new Counter({ name: 'ok', help: '', labelNames: ['__x'] }), /invalid label name/);
  assert.throws(() => new Counter({ name: 'ok', help: '', labelNames: ['a', 'a'] }), /declared twice/);
  const r = new Registry();
  r.counter({ name: 'dup', help: '' });
  assert.throws(() => r.gauge({ name: 'dup', help: '' }), /registered already/);
});

test('gauges go up and down, and collect runs before each render', () => {
  const r = new Registry();
  let calls = 0;
  const g = r.gauge({ name: 'open', help: 'Open.', labelNames: ['route'], collect: (self) => self.labels('sampled').set(++calls) });
  g.inc({ route: 'r' }, 3);
  g.dec({ route: 'r' });
  g.labels('r').dec();
  assert.equal(g.labels('r').value, 1);
  g.set({ route: 'r' }, -2.5);
  assert.match(r.render(), /open\{route="r"\} -2.5\nopen\{route="sampled"\} 1\n/);
  assert.match(r.render(), /open\{route="sampled"\} 2\n/);
});
