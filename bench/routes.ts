/**
 * Routes shared through Kafka, and consumer group commits, across three proxy replicas (issue 20's
 * benchmark; BENCHMARKS.md, "Routes shared through Kafka"; bench/README.md, "Routes across
 * replicas").
 *
 *   node dist/bench/routes.js [--changes 300] [--restarts 5] [--big 1000] [--commit-seconds 10]
 *     [--connections 8] [--in-flight 32] [--visibility 300] [--kafka-connections 4] [--same-group]
 *     [--out bench/results/routes-latest.json]
 *
 * Three `kafka-ws-proxy start --workers 1` processes on one route topic (the harness's Kafka 4.4.0).
 * - propagation: `--changes` admin writes, one at a time, round-robin over the replicas (creates,
 *   then uri moves, then deletes). From each write's acknowledgement, both other replicas are
 *   probed with WebSocket upgrades, back to back, until the change shows (101 on the new uri, 404
 *   on a deleted one). Probing is the outside view; a probe costs about a loopback round trip, so
 *   the figures include up to one probe interval.
 * - restart: replica 2 is killed (SIGKILL), 20 routes change, it is started again: from spawn to
 *   its `ready` line, and from its `listening` line to `route store ready` (the catch-up alone),
 *   `--restarts` times; then once more after `--big` more routes are in the topic. Each time its
 *   first route list is compared with replica 0's.
 * - commits: `--connections` SDK clients on replica 0, each with `--in-flight` cmd_commit_offsets
 *   outstanding (one group per client, or all in one with `--same-group`), for `--commit-seconds`:
 *   acknowledged commits per second, the replicas running with `--kafka-connections`.
 *   Then visibility: a commit on replica 0, then cmd_fetch_committed on replica 1 back to back
 *   until it returns the new offset, `--visibility` times.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { connect, type PubSubClient } from '../src/client/index.js';
import { GroupOffsets, KafkaClient } from '../src/kafka-wire/index.js';
import { ensureBroker, ensureTopic } from '../test/harness/kafka.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const CLI = join(root, 'dist/src/server/cli.js');
const HOST = '127.0.0.1';
const ADMIN = 'bench-routes-admin-key-0123456789';
const COMMIT_TOPIC = 'bench-commits';

const { values: opt } = parseArgs({
  options: {
    changes: { type: 'string', default: '300' },
    restarts: { type: 'string', default: '5' },
    big: { type: 'string', default: '1000' },
    'commit-seconds': { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    'in-flight': { type: 'string', default: '32' },
    visibility: { type: 'string', default: '300' },
    'kafka-connections': { type: 'string', default: '4' },
    'same-group': { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, 'bench/results/routes-latest.json') },
  },
});
const num = (k: keyof typeof opt) => Number(opt[k]);

function log(message: string): void {
  process.stderr.write(`[bench-routes ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function summary(samples: number[]): { n: number; p50: number; p90: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(quantile(s, 0.5)), p90: r(quantile(s, 0.9)), p99: r(quantile(s, 0.99)), max: r(s.at(-1) ?? Number.NaN) };
}

class Replica {
  child: ChildProcess | undefined;
  lines: Array<Record<string, unknown>> = [];
  spawnedAt = 0;
  readonly port: number;
  readonly env: Record<string, string>;
  readonly dataDir: string;
  readonly config: string;

  constructor(port: number, env: Record<string, string>, dataDir: string, config: string) {
    this.port = port;
    this.env = env;
    this.dataDir = dataDir;
    this.config = config;
  }

  /** Starts the process; resolves at its `ready` line. */
  async start(): Promise<void> {
    this.lines = [];
    this.spawnedAt = performance.now();
    // BENCH_PROXY_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the replicas.
    const nodeArgs = (process.env['BENCH_PROXY_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    const child = spawn(process.execPath, ['--single-threaded-gc', ...nodeArgs, CLI, 'start', '--host', HOST, '--port', String(this.port), '--workers', '1', '--data-dir', this.dataDir, '--config', this.config, '--max-sockets-per-address', '0'], {
      env: { PATH: process.env['PATH'] ?? '', ...this.env }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push({ ...JSON.parse(line) as Record<string, unknown>, _at: performance.now() });
        } catch {
          // not a log line
        }
      }
    });
    await this.waitFor('ready', 30_000);
  }

  async waitFor(msg: string, ms: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const l = this.lines.find((x) => x['msg'] === msg);
      if (l !== undefined) return l;
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) throw new Error(`replica :${this.port} exited ${this.child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`replica :${this.port}: no ${msg} line within ${ms} ms`);
      await sleep(2);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  }

  async admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`http://${HOST}:${this.port}/apisix/admin/routes${path}`, {
      method, headers: { 'x-api-key': ADMIN }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  }

  /** The status of a WebSocket upgrade to `path`: 101, or the refusal's. */
  probe(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: HOST, port: this.port, path, agent: false,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
      });
      req.once('upgrade', (_res, socket) => {
        socket.destroy();
        resolve(101);
      });
      req.once('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once('error', reject);
      req.end();
    });
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, HOST, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function route(uri: string, brokers: string[]): Record<string, unknown> {
  return { uri, upstream: { scheme: 'kafka', type: 'none', nodes: Object.fromEntries(brokers.map((b) => [b, 1])) } };
}

/** Milliseconds from now until `probe` answers `want` on `replica`. */
async function until(replica: Replica, path: string, want: number, started: number): Promise<number> {
  for (;;) {
    if ((await replica.probe(path)) === want) return performance.now() - started;
    if (performance.now() - started > 10_000) throw new Error(`replica :${replica.port}: ${path} not ${want} within 10 s`);
  }
}

async function propagation(replicas: Replica[], brokers: string[], changes: number): Promise<Record<string, unknown>> {
  const creates = Math.ceil(changes / 2);
  const moves = Math.ceil((changes - creates) / 2);
  // The first write of each replica sets up its producer (InitProducerId): not measured.
  for (const [i, r] of replicas.entries()) {
    if ((await r.admin('PUT', `/warm-${i}`, route(`/warm/${i}`, brokers))).status !== 201) throw new Error('warm-up write failed');
    await r.admin('DELETE', `/warm-${i}`);
  }
  const acks: number[] = [];
  const live: number[] = [];
  const byKind: Record<string, number[]> = { create: [], move: [], delete: [] };
  for (let k = 0; k < changes; k++) {
    const w = k % 3;
    const writer = replicas[w]!;
    const others = replicas.filter((_, i) => i !== w);
    let kind: 'create' | 'move' | 'delete';
    let res: { status: number };
    let path: string;
    let want: number;
    const t0 = performance.now();
    if (k < creates) {
      kind = 'create';
      path = `/b/${k}`;
      want = 101;
      res = await writer.admin('PUT', `/b-${k}`, route(path, brokers));
    } else if (k < creates + moves) {
      kind = 'move';
      const i = k - creates;
      path = `/m/${i}`;
      want = 101;
      res = await writer.admin('PUT', `/b-${i}`, route(path, brokers));
    } else {
      kind = 'delete';
      const i = k - creates - moves;
      path = i < moves ? `/m/${i}` : `/b/${i}`;
      want = 404;
      res = await writer.admin('DELETE', `/b-${i}`);
    }
    const acked = performance.now();
    if (res.status !== 200 && res.status !== 201) throw new Error(`change ${k} (${kind}) answered ${res.status}`);
    acks.push(acked - t0);
    for (const ms of await Promise.all(others.map((o) => until(o, path, want, acked)))) {
      live.push(ms);
      byKind[kind]!.push(ms);
    }
  }
  return { changes, ackMs: summary(acks), liveOnOthersMs: summary(live), byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, summary(v)])) };
}

/** The admin API's route list without the static route, whose times are its process's start. */
async function stored(r: Replica): Promise<string> {
  const list = (await r.admin('GET', '')).body['list'] as Array<{ value: { id: string } }>;
  return JSON.stringify(list.filter((x) => x.value.id !== 'commits'));
}

async function restart(replicas: Replica[], brokers: string[], times: number, big: number): Promise<Record<string, unknown>> {
  const r2 = replicas[2]!;
  const runs: Array<Record<string, unknown>> = [];
  let n = 0;
  const once = async (label: string, changes: () => Promise<void>) => {
    await r2.kill();
    await changes();
    // A write through replica 1 is acknowledged once replica 1 has read it; replica 0 may be a
    // few milliseconds behind. The reference is the list both agree on.
    let want = '';
    for (;;) {
      const [a, b] = await Promise.all([0, 1].map((i) => stored(replicas[i]!)));
      if (a === b) {
        want = a!;
        break;
      }
    }
    await r2.start();
    const ready = r2.lines.find((l) => l['msg'] === 'ready')!;
    const listening = r2.lines.find((l) => l['msg'] === 'listening');
    const storeReady = r2.lines.find((l) => l['msg'] === 'route store ready')!;
    const got = await stored(r2);
    if (got !== want) {
      writeFileSync('/tmp/bench-routes-want.json', want);
      writeFileSync('/tmp/bench-routes-got.json', got);
      throw new Error(`${label}: the restarted replica's first list differs from replicas 0 and 1's (/tmp/bench-routes-{want,got}.json)`);
    }
    const run = {
      label,
      routes: ready['routes'],
      topicEnd: storeReady['position'],
      spawnToReadyMs: Math.round((ready['_at'] as number) - r2.spawnedAt),
      catchUpMs: listening === undefined ? undefined : Math.round((storeReady['_at'] as number) - (listening['_at'] as number)),
    };
    runs.push(run);
    log(`restart ${label}: ${JSON.stringify(run)}`);
  };
  for (let t = 0; t < times; t++) {
    await once(`after 20 changes #${t + 1}`, async () => {
      for (let i = 0; i < 20; i++) {
        const id = `rs-${n++}`;
        const res = i % 4 === 3 ? await replicas[0]!.admin('DELETE', `/rs-${n - 2}`) : await replicas[i % 2]!.admin('PUT', `/${id}`, route(`/rs/${id}`, brokers));
        if (res.status >= 300) throw new Error(`restart changes: ${res.status} ${JSON.stringify(res.body)}`);
      }
    });
  }
  await once(`after ${big} more routes`, async () => {
    for (let i = 0; i < big; i++) {
      const res = await replicas[i % 2]!.admin('PUT', `/big-${i}`, route(`/big/${i}`, brokers));
      if (res.status >= 300) throw new Error(`big: ${res.status}`);
    }
  });
  return { runs };
}

async function commits(replicas: Replica[], seconds: number, connections: number, inFlight: number, visibility: number): Promise<Record<string, unknown>> {
  const url = (i: number) => `ws://${HOST}:${replicas[i]!.port}/commits`;
  const clients: PubSubClient[] = await Promise.all(Array.from({ length: connections }, () => connect(url(0), { WebSocket })));
  let acked = 0;
  let failed = 0;
  let stop = false;
  const run = `${Date.now()}`;
  const startLoad = load();
  const t0 = performance.now();
  await Promise.all(clients.flatMap((c, ci) => Array.from({ length: inFlight }, async (_, slot) => {
    let offset = BigInt(slot);
    while (!stop) {
      try {
        await c.commitOffsets(opt['same-group'] === true ? `bench-${run}` : `bench-${run}-${ci}`, COMMIT_TOPIC, new Map([[slot % 4, ++offset]]));
        acked++;
      } catch {
        failed++;
      }
      if (performance.now() - t0 > seconds * 1000) stop = true;
    }
  })));
  const elapsed = (performance.now() - t0) / 1000;
  const rate = Math.round(acked / elapsed);
  log(`commits: ${acked} acknowledged in ${elapsed.toFixed(1)} s = ${rate}/s, ${failed} failed`);
  const endLoad = load();
  const reader = await connect(url(1), { WebSocket });
  const writer = clients[0]!;
  const vis: number[] = [];
  const group = `bench-${run}-vis`;
  for (let i = 1; i <= visibility; i++) {
    await writer.commitOffsets(group, COMMIT_TOPIC, new Map([[0, BigInt(i)]]));
    const t = performance.now();
    for (;;) {
      const got = await reader.fetchCommitted(group, COMMIT_TOPIC, [0]);
      if (got.get(0) === BigInt(i)) break;
      if (performance.now() - t > 10_000) throw new Error('a commit was not visible on replica 1 within 10 s');
    }
    vis.push(performance.now() - t);
  }
  await Promise.all([...clients, reader].map((c) => c.close()));
  const direct = await directCommits(replicas, seconds, connections * Math.min(inFlight, 4), run);
  return { direct, connections, inFlight, seconds: Math.round(elapsed * 10) / 10, acked, failed, perSecond: rate, load: { start: startLoad, end: endLoad }, visibilityMs: summary(vis) };
}

/**
 * The same commits without the proxy: kafka-wire's GroupOffsets in this process, as many at once
 * as the proxy runs (each connection runs at most --max-running, 4, commands at a time), over as
 * many connections to the broker as the replicas have. What the broker takes on this machine.
 */
async function directCommits(replicas: Replica[], seconds: number, concurrent: number, run: string): Promise<Record<string, unknown>> {
  const brokers = (JSON.parse(replicas[0]!.env['KAFKA_WS_PROXY_ROUTE_STORE']!) as { kafka: { brokers: string[] } }).kafka.brokers;
  const client = new KafkaClient({ brokers, connectionsPerBroker: num('kafka-connections') });
  const groups = new GroupOffsets(client);
  let acked = 0;
  let stop = false;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrent }, async (_, slot) => {
    let offset = 0n;
    while (!stop) {
      await groups.commit(opt['same-group'] === true ? `bench-${run}-direct` : `bench-${run}-direct-${slot % num('connections')}`, [{ topic: COMMIT_TOPIC, partition: slot % 4, offset: ++offset }]);
      acked++;
      if (performance.now() - t0 > seconds * 1000) stop = true;
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  client.close();
  log(`direct commits: ${acked} in ${elapsed.toFixed(1)} s = ${Math.round(acked / elapsed)}/s (${concurrent} at once)`);
  return { concurrent, acked, perSecond: Math.round(acked / elapsed) };
}

async function main(): Promise<void> {
  const info = await ensureBroker('4');
  const brokers = [`${info.host}:${info.ports.plaintext}`];
  await ensureTopic('4', COMMIT_TOPIC, 4);
  const dir = mkdtempSync(join(tmpdir(), 'kwp-bench-routes-'));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ routes: [{ id: 'commits', ...route('/commits', brokers), plugins: { 'kafka-proxy': { groups: ['bench-*'] } } }] }));
  const env = {
    KAFKA_WS_PROXY_ADMIN_KEY: ADMIN,
    KAFKA_WS_PROXY_LOG_LEVEL: 'info',
    KAFKA_WS_PROXY_KAFKA_CONNECTIONS: String(num('kafka-connections')),
    KAFKA_WS_PROXY_ROUTE_STORE: JSON.stringify({ kafka: { brokers, topic: `kwp-bench-routes-${Date.now()}` } }),
    KAFKA_WS_PROXY_ROUTE_STORE_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  };
  const replicas: Replica[] = [];
  for (let i = 0; i < 3; i++) {
    const d = join(dir, `r${i}`);
    mkdirSync(d);
    replicas.push(new Replica(await freePort(), env, d, config));
  }
  const result: Record<string, unknown> = { startedAt: new Date().toISOString(), node: process.version, cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`, kafka: info.version, options: opt };
  try {
    await Promise.all(replicas.map((r) => r.start()));
    let l0 = load();
    log(`propagation: ${num('changes')} changes (load ${l0.join(' ')})`);
    result['propagation'] = { ...await propagation(replicas, brokers, num('changes')), load: { start: l0, end: load() } };
    log(`propagation: ${JSON.stringify(result['propagation'])}`);
    l0 = load();
    result['restart'] = { ...await restart(replicas, brokers, num('restarts'), num('big')), load: { start: l0, end: load() } };
    log(`commits: ${num('connections')} connections × ${num('in-flight')} in flight for ${num('commit-seconds')} s`);
    result['commits'] = await commits(replicas, num('commit-seconds'), num('connections'), num('in-flight'), num('visibility'));
    log(`commits: ${JSON.stringify(result['commits'])}`);
  } finally {
    await Promise.all(replicas.map((r) => r.kill('SIGTERM')));
  }
  result['endedAt'] = new Date().toISOString();
  writeFileSync(opt.out!, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${opt.out}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-routes failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
