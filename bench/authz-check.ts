/**
 * Per-command authorization micro-benchmark (issue 18: a check must cost ≤ 200 ns). Every fetch,
 * list offset and subscribe of a connection on a route with `authorize` asks its grant whether the
 * topic is allowed; this measures that question, and the whole command path around it:
 *
 *   grant.consume ...    the Grant a connection holds (RouteAccess.grantOf over a token verified by
 *                        our verifier), its rules bound to the claims: a topic matched by the 10th
 *                        rule (a glob), by a templated glob, by an exact templated name, refused
 *                        after every rule, and on a route with auth but no `authorize`
 *   bind rules           bindTopicRules once: what an upgrade or a refresh pays, not a command
 *   session ...          Session.onMessage of a cmd_kafka_list_offset, answered by a backend that
 *                        resolves at once, until its reply reaches the channel: without access
 *                        (a route without auth), with the grant of a route without `authorize`,
 *                        with the grant allowing the topic by the 10th rule, and refused (the
 *                        error reply). The third less the first is what the checks in
 *                        Session.refusal add to a command.
 *
 *   node dist/bench/authz-check.js [--json FILE] [--time-ms 300] [--samples 7] [--quick]
 *
 * Rows are sampled in rounds, one sample per row per round, so load from elsewhere on the machine
 * falls on every row alike; the median is shown with the spread ((max − min) / median), of the
 * process's CPU time per operation and of the wall clock.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Session, type FetchBatch, type PubSubBackend, type SessionChannel } from '../src/pubsub/index.js';
import { createVerifier } from '../src/server/auth/index.js';
import { RouteAccess, SubjectTable } from '../src/server/auth/connection-access.js';
import { routeIdentityOf } from '../src/server/auth/route-auth.js';
import { bindTopicRules } from '../src/server/auth/topic-rules.js';
import { encodeListOffset, topicBytes } from './e2e/frames.js';
import { AUTHZ_RULES, authzClaims, hs256 } from './e2e/tokens.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const QUICK = process.argv.includes('--quick');
const SAMPLE_MS = Number(arg('--time-ms') ?? (QUICK ? 30 : 300));
const SAMPLES = Number(arg('--samples') ?? (QUICK ? 2 : 7));
const JSON_FILE = arg('--json');
const TARGET_NS = 200;

/** A sink V8 cannot prove unused. */
let sink = 0;

interface Row {
  name: string;
  /** Runs the operation `n` times; returns when done (sessions settle their replies). */
  run(n: number): void | Promise<void>;
  /** Operations per run call while calibrating. */
  batch: number;
}

/**
 * ns per operation of one sample of at least SAMPLE_MS: of wall-clock time, and of the process's
 * CPU time. On a machine busy with other work the wall clock also counts the time the process
 * waited for a core; CPU time does not, so it is the figure to read there.
 */
async function sample(row: Row): Promise<{ wall: number; cpu: number }> {
  let ops = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < SAMPLE_MS) {
    await row.run(row.batch);
    ops += row.batch;
    t = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return { wall: ((t - t0) * 1e6) / ops, cpu: ((cpu.user + cpu.system) * 1e3) / ops };
}

/** A channel that takes every frame at once and keeps none. */
class SinkChannel implements SessionChannel {
  frames = 0;
  readonly unsentBytes = 0;
  readonly takenBytes = 0;
  send(frame: Buffer, done: () => void): void {
    this.frames++;
    sink += frame.length;
    done();
  }
  push(): void {
    throw new Error('no subscriptions here');
  }
  onTaken(): void {}
  close(code: number, reason: string): void {
    throw new Error(`the session closed: ${code} ${reason}`);
  }
  pause(): void {}
  resume(): void {}
}

const backend: PubSubBackend = {
  listOffset: () => Promise.resolve(42n),
  fetch: () => Promise.reject(new Error('not used')) as Promise<FetchBatch>,
  describeError: (e) => (e as Error).message,
};

/** `n` list offsets on `session`, in batches below its in-flight cap, each batch answered before the next. */
function sessionRow(name: string, session: Session, channel: SinkChannel, frame: Buffer): Row {
  const BATCH = 32;
  return {
    name,
    batch: BATCH * 8,
    async run(n) {
      for (let done = 0; done < n; done += BATCH) {
        const before = channel.frames;
        for (let i = 0; i < BATCH; i++) session.onMessage(frame, true);
        // The replies follow a resolved promise each: a few microtask turns.
        while (channel.frames - before < BATCH) await Promise.resolve();
      }
    },
  };
}

function checkRow(name: string, check: (topic: string) => boolean, topics: readonly string[], expect: boolean): Row {
  for (const t of topics) if (check(t) !== expect) throw new Error(`${name}: ${t} ${expect ? 'refused' : 'allowed'}`);
  return {
    name,
    batch: 100_000,
    run(n) {
      let k = 0;
      for (let i = 0; i < n; i++) if (check(topics[i & 3]!)) k++;
      sink += k;
    },
  };
}

function freshRow(name: string, check: (topic: string) => boolean): Row {
  const bytes = ['bench-100b-none', 'bench-1k-lz4', 'bench-smoke-100b-none', 'bench-1k-none'].map((t) => Buffer.from(t));
  return {
    name,
    batch: 100_000,
    run(n) {
      let k = 0;
      for (let i = 0; i < n; i++) if (check(bytes[i & 3]!.toString('utf8'))) k++;
      sink += k;
    },
  };
}

async function main(): Promise<number> {
  // The route's `secret` is text, its UTF-8 bytes the HMAC key.
  const secret = randomBytes(32).toString('base64url');
  const plugin = (authorize: boolean) => ({
    auth: { jwt: { keys: [{ kid: 'k1', alg: 'HS256', secret }], issuer: 'https://idp.example', audience: 'kafka-ws-proxy' } },
    ...(authorize ? { authorize: { consume: AUTHZ_RULES } } : {}),
  });
  const withRules = routeIdentityOf(plugin(true), 'plugins.kafka-proxy', false);
  const noRules = routeIdentityOf(plugin(false), 'plugins.kafka-proxy', false);
  const verifier = createVerifier(withRules.auth!.jwt);
  const now = Math.floor(Date.now() / 1000);
  const token = hs256(Buffer.from(secret), { ...authzClaims(7), iss: 'https://idp.example', aud: 'kafka-ws-proxy', iat: now, exp: now + 3600 });
  const verified = await verifier.verify(token);
  const checked = { token, verified };
  const access = new RouteAccess(withRules, verifier, new SubjectTable());
  const grant = access.grantOf(checked, {});
  const open = new RouteAccess(noRules, verifier, new SubjectTable()).grantOf(checked, {});

  // Four topics per row, used in turn, so no row is a single constant the JIT could fold.
  const rows: Row[] = [
    checkRow('grant.consume, allowed by the 10th rule (glob bench-*-*)', (t) => grant.consume(t), ['bench-100b-none', 'bench-1k-lz4', 'bench-smoke-100b-none', 'bench-1k-none'], true),
    checkRow('grant.consume, allowed by {claims.tenant}.* (2nd rule)', (t) => grant.consume(t), ['acme.events', 'acme.orders', 'acme.audit', 'acme.x'], true),
    checkRow('grant.consume, allowed exactly (orders.{sub})', (t) => grant.consume(t), ['orders.user-7', 'payments.user-7', 'orders.user-7', 'payments.user-7'], true),
    checkRow('grant.consume, refused after every rule', (t) => grant.consume(t), ['payroll.secrets', 'bench100b', 'acme', 'orders.user-8'], false),
    checkRow('grant.consume, route without authorize', (t) => open.consume(t), ['bench-100b-none', 'acme.events', 'payroll', 'x'], true),
    // A topic decoded from a frame is a new string each time (no cached hash): as the session sees it.
    freshRow('topic decoded from bytes alone (subtract from the next)', () => true),
    freshRow('grant.consume of a topic decoded from bytes, 10th rule', (t) => grant.consume(t)),
    {
      name: 'bind rules (per upgrade or refresh)',
      batch: 2000,
      run(n) {
        for (let i = 0; i < n; i++) sink += bindTopicRules(withRules.rules!, verified.claims).consume('bench-100b-none') ? 1 : 0;
      },
    },
  ];
  const frame = (topic: string) => encodeListOffset(1, topicBytes(topic), 0, -1);
  const sessions: Array<[string, Session | undefined, SinkChannel, Buffer]> = [];
  const openAccess = new RouteAccess(noRules, verifier, new SubjectTable());
  for (const [name, routeAccess, topic] of [
    ['session list offset, no access (route without auth)', undefined, 'bench-100b-none'],
    ['session list offset, auth without authorize', openAccess, 'bench-100b-none'],
    ['session list offset, grant allows (10th rule)', access, 'bench-100b-none'],
    ['session list offset, refused (topic not allowed)', access, 'payroll.secrets'],
  ] as const) {
    const channel = new SinkChannel();
    const session = new Session(channel, { backend, ...(routeAccess !== undefined ? { access: routeAccess.connection(checked) } : {}) });
    sessions.push([name, session, channel, frame(topic)]);
    rows.push(sessionRow(name, session, channel, frame(topic)));
  }

  // Warm-up: every row runs a little so the JIT settles before the first sample.
  for (const r of rows) for (let i = 0; i < 3; i++) await sample(r);
  const samples = new Map<string, Array<{ wall: number; cpu: number }>>(rows.map((r) => [r.name, []]));
  for (let round = 0; round < SAMPLES; round++) {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[(i + round) % rows.length]!;
      samples.get(r.name)!.push(await sample(r));
    }
  }
  for (const [, s] of sessions) s?.dispose();

  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const spread = (a: number[]): number => (Math.max(...a) - Math.min(...a)) / median(a);
  const result = rows.map((r) => {
    const wall = samples.get(r.name)!.map((x) => x.wall);
    const cpu = samples.get(r.name)!.map((x) => x.cpu);
    return { name: r.name, cpuNsPerOp: median(cpu), cpuSpread: spread(cpu), wallNsPerOp: median(wall), wallSpread: spread(wall), cpuSamples: cpu, wallSamples: wall };
  });
  const sessionNs = (i: number) => result[result.length - 4 + i]!.cpuNsPerOp;
  const added = sessionNs(2) - sessionNs(0);
  const decoded = result[6]!.cpuNsPerOp - result[5]!.cpuNsPerOp;
  const worstCheck = Math.max(decoded, ...result.slice(0, 4).map((r) => r.cpuNsPerOp));
  const load = loadavg();
  const lines = [
    `authz-check: ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, Node ${process.version}, load average ${load.map((x) => x.toFixed(2)).join(' ')}; ${SAMPLES} samples × ${SAMPLE_MS} ms, median`,
    `rules (${AUTHZ_RULES.length}): ${AUTHZ_RULES.join(', ')}`,
    '',
    `${'row'.padEnd(62)} ${'CPU ns/op'.padStart(10)} ${'spread'.padStart(7)} ${'wall ns/op'.padStart(11)} ${'spread'.padStart(7)}`,
    ...result.map((r) => `${r.name.padEnd(62)} ${r.cpuNsPerOp.toFixed(1).padStart(10)} ${`±${(r.cpuSpread * 100).toFixed(0)} %`.padStart(7)} ${r.wallNsPerOp.toFixed(1).padStart(11)} ${`±${(r.wallSpread * 100).toFixed(0)} %`.padStart(7)}`),
    '',
    `grant.consume of a decoded topic, 10th rule (its row less decoding alone, CPU): ${decoded.toFixed(1)} ns`,
    `added to a command by Session.refusal with the grant (session rows 3 − 1, CPU): ${added.toFixed(1)} ns`,
    `target: a check ≤ ${TARGET_NS} ns (CPU): slowest grant.consume ${worstCheck.toFixed(1)} ns, added per command ${added.toFixed(1)} ns: ${worstCheck <= TARGET_NS && added <= TARGET_NS ? 'met' : 'MISSED'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (JSON_FILE !== undefined) {
    writeFileSync(JSON_FILE, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadAverage: load, sampleMs: SAMPLE_MS, samples: SAMPLES, rules: AUTHZ_RULES, rows: result, decodedCheckNs: decoded, addedNs: added, sink }, null, 2)}\n`);
  }
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`authz-check failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
