import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { E2eResults } from '../../bench/e2e/report.js';

/*
 * The end-to-end benchmark's smoke mode (bench/README.md), run as `npm run bench:smoke` runs it,
 * so the harness never rots: real Kafka, the proxy CLI in its own process, every client process.
 * Speed is not judged here (CI machines vary); the shape of the result is, and every
 * implementation must have delivered messages. The isolation floods are small in this mode
 * (options.ts): the code path is exercised, the 2× target is not judged. So is the fan-out phase: ten
 * sockets, a second of silence, 200 idle subscribed sockets; issue 17's targets are not judged. The
 * produce phase runs at 1 and 10 clients and a light offered load; issue 19's targets are not judged.
 * scripts/bench.mjs installs the benchmark package's peers first on a fresh machine.
 */
const ROOT = process.cwd();

function runSmoke(out: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/bench.mjs'), '--no-build', '--smoke', '--no-markdown', '--out', out], {
      cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

test('npm run bench:smoke measures every implementation and writes a well-formed result', { timeout: 600_000 }, async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'kwp-bench-smoke-'));
  ctx.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'e2e-smoke.json');
  const started = performance.now();
  const { code, stderr } = await runSmoke(out);
  assert.equal(code, 0, `smoke run failed:\n${stderr.slice(-4000)}`);
  const r = JSON.parse(readFileSync(out, 'utf8')) as E2eResults;
  process.stdout.write(`# smoke run: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  assert.equal(r.schema, 1);
  assert.equal(r.smoke, true);
  assert.ok(r.machine.cpus > 0 && r.machine.node.startsWith('v') && r.machine.kafka !== '');
  const t = r.throughput ?? [];
  assert.deepEqual([...new Set(t.map((p) => p.impl))].sort(), ['kafkajs', 'ours', 'platformatic', 'proxy']);
  for (const topic of r.topics) {
    for (const clients of r.options.clients) {
      for (const impl of ['proxy', 'ours', 'kafkajs', 'platformatic'] as const) {
        const p = t.find((x) => x.topic === topic.name && x.clients === clients && x.impl === impl);
        assert.ok(p !== undefined, `no point for ${topic.name} ${impl} x${clients}`);
        if (p.na !== undefined) {
          assert.ok(impl === 'kafkajs' && topic.codec === 'lz4', `${impl} on ${topic.name} not measured: ${p.na}`);
          continue;
        }
        assert.ok(p.messagesPerSec > 0 && p.mbPerSec > 0, `${topic.name} ${impl} x${clients}: nothing delivered`);
        assert.equal(p.errors, 0, `${topic.name} ${impl} x${clients}: ${p.firstError ?? ''}`);
        assert.ok(p.latency.count > 0 && p.latency.p50Ms > 0 && p.latency.p99Ms >= p.latency.p50Ms);
        if (impl === 'proxy') assert.ok(p.proxy !== undefined && p.proxy.cpuSecPerMillion > 0, 'proxy CPU sampled');
      }
    }
  }
  const l = r.latency!;
  assert.equal(l.loads.length, r.options.latency.clients.length);
  for (const x of l.loads) assert.ok(x.proxy.count > 0 && x.direct.count > 0 && x.errors === 0);
  assert.equal(l.produceToClient.error, undefined);
  assert.ok(l.produceToClient.proxy!.count === l.produceToClient.count && l.produceToClient.direct!.count === l.produceToClient.count);
  const f = r.footprint!;
  assert.equal(f.opened, f.connections);
  assert.equal(f.proxyConnections, f.connections);
  assert.ok(Number.isFinite(f.rssPerConnectionBytes));
  // Isolation: the victim was measured in every condition, each flood reached the proxy and was
  // answered in the way its frames call for, and every reply was a PubSubResp the client could walk.
  const iso = r.isolation!;
  assert.deepEqual(iso.conditions.map((c) => c.condition), ['quiet', 'pipelined', 'fuzz']);
  for (const c of iso.conditions) {
    assert.ok(c.victim.count > 0 && c.victim.p99Ms >= c.victim.p50Ms, `isolation ${c.condition}: no victim samples`);
    assert.equal(c.victimErrors, 0, `isolation ${c.condition}: ${c.victimFirstError ?? ''}`);
    assert.equal(c.flood === undefined, c.condition === 'quiet');
    if (c.flood === undefined) continue;
    assert.ok(c.flood.sent > 0 && c.flood.replies > 0, `isolation ${c.condition}: the flood sent ${c.flood.sent}, got ${c.flood.replies}`);
    assert.equal(c.flood.unreadable, 0, c.flood.firstError);
    assert.ok(c.proxy.cores > 0 && c.proxy.rssMaxBytes > 0, 'proxy sampled under the flood');
  }
  const [, pipelined, fuzz] = iso.conditions.map((c) => c.flood!);
  assert.ok(pipelined!.answered > 0 && pipelined!.undecodable === 0 && pipelined!.errors === 0, `pipelined fetches: ${JSON.stringify(pipelined)}`);
  assert.ok(fuzz!.undecodable > 0 && fuzz!.answered > 0, `fuzzed frames: ${JSON.stringify(fuzz)}`);
  assert.ok((iso.conditions[2]!.proxy.errors['PUBSUB_ERR_DECODE'] ?? 0) > 0, 'the proxy counted the undecodable frames');
  assert.ok(Number.isFinite(iso.p99Ratio.pipelined) && Number.isFinite(iso.p99Ratio.fuzz));
  assert.ok(r.targets.some((t) => t.target.includes('no more than 2×') && t.met !== null), 'the isolation target is judged');
  // Fan-out: on every point both paths delivered, with no error and every partition's offsets in
  // order (no gap, no repeat); a burst came coalesced; the first record after the (short) silence
  // reached every subscriber; every idle socket was subscribed and the proxy counted them.
  const fan = r.fanout!;
  assert.ok(fan.points.some((p) => p.partitions === 1) && fan.points.some((p) => p.partitions > 1), 'one and several partitions');
  for (const p of fan.points) {
    assert.equal(p.error, undefined, `fanout ${p.topic} x${p.clients}: ${p.error ?? ''}`);
    for (const m of [p.subscribe!, p.poll!]) {
      const at = `fanout ${p.topic} x${p.clients} ${m.mode}`;
      assert.ok(m.deliveries > 0 && m.latency.count === m.deliveries && m.latency.p99Ms >= m.latency.p50Ms, `${at}: nothing delivered`);
      assert.equal(m.errors, 0, `${at}: ${JSON.stringify(m.errorKinds)}`);
      assert.equal(m.gaps + m.duplicates, 0, `${at}: ${m.gaps} gaps, ${m.duplicates} repeats`);
      assert.equal(m.closes, 0, `${at}: sockets closed by the proxy`);
      assert.ok(m.proxyCores > 0 && m.fetchesPerSecPerPartition > 0, `${at}: proxy not sampled`);
    }
  }
  assert.ok(fan.points.some((p) => p.role === 'coalesced' && p.subscribe!.deliveriesPerFrame > 1), 'a burst is pushed in frames of several records');
  assert.equal(fan.silence!.error, undefined);
  assert.equal(fan.silence!.received, fan.silence!.clients);
  const idle = fan.idle!;
  assert.equal(idle.subscribed, idle.sockets);
  assert.equal(idle.proxySubscriptions, idle.sockets);
  assert.ok(Number.isFinite(idle.rssPerSocketBytes));
  // Produce: every implementation acknowledged records at every client count without an error,
  // the proxy's CPU was sampled, and the offered load ran through the proxy and directly.
  const pr = r.produce!;
  for (const clients of r.options.produce.clients) {
    for (const impl of ['proxy', 'ours', 'kafkajs', 'platformatic'] as const) {
      const p = pr.points.find((x) => x.impl === impl && x.clients === clients);
      assert.ok(p !== undefined, `no produce point for ${impl} x${clients}`);
      assert.ok(p.records > 0 && p.recordsPerSec > 0 && p.mbPerSec > 0, `produce ${impl} x${clients}: nothing acknowledged`);
      assert.equal(p.errors, 0, `produce ${impl} x${clients}: ${p.firstError ?? ''}`);
      assert.ok(p.latency.count === p.commands && p.latency.p99Ms >= p.latency.p50Ms);
      if (impl === 'proxy') assert.ok(p.proxy !== undefined && p.proxy.cpuSecPerMillion > 0, 'proxy CPU sampled');
    }
  }
  assert.deepEqual(pr.paced.map((p) => p.impl), ['proxy', 'ours']);
  for (const p of pr.paced) assert.ok(p.records > 0 && p.errors === 0 && p.offeredPerSec === r.options.produce.paceRecordsPerSec, `paced ${p.impl}: ${p.firstError ?? ''}`);
  for (const chart of ['throughput', 'latency', 'fanout']) {
    const svg = readFileSync(out.replace(/\.json$/, `-${chart}.svg`), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok(!svg.includes('NaN'), `${chart} chart has NaN coordinates`);
  }
});
