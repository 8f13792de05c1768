#!/usr/bin/env node
// `npm run demo`: everything needed to watch Kafka messages arrive in a browser, on one machine.
// Builds what is missing, starts Apache Kafka with the test harness (downloaded from Maven Central
// on first use), creates topic `demo`, runs the proxy with its demo page and a route to that
// Kafka, produces sample orders, and prints the URL to open. Ctrl-C undoes it all.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const LINE = '4';
const TOPIC = 'demo';
const PARTITIONS = 3;
const INTERVAL_MS = 300;
const HOST = '127.0.0.1';

const HELP = `Usage: npm run demo [-- options]

Starts Apache Kafka ${LINE}.x on 127.0.0.1 (scripts/kafka/start.sh; the first run downloads it from
Maven Central and needs Java 17+ and Maven), creates topic "${TOPIC}" with ${PARTITIONS} partitions,
starts kafka-ws-proxy with its demo page and a route /demo to that Kafka, and produces a sample
order every ${INTERVAL_MS} ms (key order-<n>, JSON value, headers source, trace-id and sent-at,
its send time in epoch ms) round-robin over the partitions. Then it prints the URL to open in a
browser: the page shows every partition live, with the lag and the produce-to-page latency.

Options:
  --port PORT     Port of the proxy (default: $PORT, else 9080, or a free port when 9080 is
                  taken). It listens on ${HOST} only.
  --auth          The route checks tokens (HS256, a key made at start) and allows topic
                  "${TOPIC}" and "${TOPIC}.<name>" to each name; the page gets a 5-minute token
                  for the name typed from POST /demo/token, a demo-only endpoint that gives
                  anyone on this machine a token for any name. Shows connect(url, { token }).
  --keep-kafka    Leave Kafka running on exit (as does KWP_KEEP_KAFKA=1).
  -h, --help      Print this text.

Ctrl-C (or SIGTERM) stops the producer and the proxy, then Kafka, unless --keep-kafka or
KWP_KEEP_KAFKA=1 is given, or Kafka was already running when the demo started (then it is
someone else's, e.g. a test run's, and stays up). Kafka's data is kept in .cache/kafka-state;
scripts/kafka/stop.sh 4 --clean deletes it.`;

function say(line) {
  process.stderr.write(`demo: ${line}\n`);
}

function fail(message) {
  say(`error: ${message}`);
  process.exit(1);
}

function parse() {
  let parsed;
  try {
    parsed = parseArgs({ options: { port: { type: 'string' }, 'keep-kafka': { type: 'boolean' }, auth: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (e) {
    fail(`${e instanceof Error ? e.message : String(e)} (npm run demo -- --help)`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const chosen = parsed.values.port ?? process.env.PORT;
  const portText = chosen ?? '9080';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) fail(`port ${JSON.stringify(portText)} is not a port number (0-65535)`);
  return { port: Number(portText), portChosen: chosen !== undefined, keepKafka: parsed.values['keep-kafka'] === true || process.env.KWP_KEEP_KAFKA === '1', auth: parsed.values.auth === true };
}

/** Newest modification time of the files under `dir` (0 when it does not exist). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((m, name) => {
    const p = join(dir, name);
    const s = statSync(p);
    return Math.max(m, s.isDirectory() ? newest(p) : s.mtimeMs);
  }, 0);
}

function mtime(file) {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error !== undefined || r.status !== 0) fail(`${what} failed${r.error ? `: ${r.error.message}` : ''}`);
}

/** tsc when dist is missing or older than src; the SDK bundle likewise, when this checkout has its script. */
function build() {
  const sources = newest(join(root, 'src'));
  if (mtime(join(root, 'dist/src/index.js')) < sources) {
    say('building (tsc)');
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], 'tsc');
  }
  const bundler = join(root, 'scripts/bundle-client.mjs');
  const bundle = join(root, 'dist/browser/kafka-ws-proxy-client.js');
  if (!existsSync(bundler)) {
    if (!existsSync(bundle)) say('warning: no scripts/bundle-client.mjs and no dist/browser bundle: the page will say the SDK did not load');
    return;
  }
  if (mtime(bundle) < Math.max(sources, mtime(bundler))) {
    say('bundling the browser SDK');
    run(process.execPath, [bundler], 'bundling the browser SDK');
  }
}

/** Runs a scripts/kafka script; stderr goes to the terminal (progress), stdout is returned. */
function kafkaScript(script, args) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(root, 'scripts/kafka', script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s) => { out += s; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`scripts/kafka/${script} ${args.join(' ')} exited with ${code}`))));
  });
}

function kafkaRunning() {
  return spawnSync('bash', [join(root, 'scripts/kafka/status.sh'), LINE], { cwd: root, stdio: 'ignore' }).status === 0;
}

async function main() {
  const { port, portChosen, keepKafka, auth } = parse();
  build();
  const { createProxy, createLogger, createDemoTokens } = await import(pathToFileURL(join(root, 'dist/src/index.js')).href);
  const { startProducer } = await import(pathToFileURL(join(root, 'scripts/demo/producer.mjs')).href);

  const wasRunning = kafkaRunning();
  say(wasRunning ? `Kafka ${LINE}.x is already running: using it, and leaving it running` : `starting Kafka ${LINE}.x (the first time downloads it; this takes a while)`);
  let stateDir;
  try {
    stateDir = (await kafkaScript('start.sh', [LINE])).trim().split('\n').pop() ?? '';
  } catch (e) {
    fail(`Kafka did not start (see above): ${e.message}`);
  }
  const broker = JSON.parse(readFileSync(join(stateDir, 'broker.json'), 'utf8'));
  const bootstrap = `${broker.host}:${broker.ports.plaintext}`;
  const stopKafka = !wasRunning && !keepKafka;

  let producer;
  let proxy;
  let stopping = false;
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    say('stopping');
    await producer?.stop().catch(() => {});
    await proxy?.close().catch(() => {});
    if (stopKafka) await kafkaScript('stop.sh', [LINE]).catch((e) => say(e.message));
    else say(`Kafka left running (stop it with: bash scripts/kafka/stop.sh ${LINE})`);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (stopping) {
        say('second signal: exiting now');
        process.exit(1);
      }
      void shutdown(0);
    });
  }

  try {
    await kafkaScript('topic.sh', [LINE, TOPIC, String(PARTITIONS)]);
    const adminKey = randomBytes(32).toString('hex');
    // --auth: tokens from the demo's own endpoint (src/server/demo/token.ts), never a real identity provider.
    const demoTokens = auth ? createDemoTokens() : undefined;
    const identity = demoTokens === undefined ? {} : { auth: demoTokens.auth, authorize: { consume: [TOPIC, `${TOPIC}.{sub}`], produce: [TOPIC] } };
    proxy = await createProxy({
      demo: true,
      adminKey,
      ...(demoTokens !== undefined ? { demoTokens } : {}),
      // Produce on the demo topic only, so the page's "Send a message" box can write to it.
      routes: [{
        id: 'demo', uri: '/demo', upstream: { nodes: { [bootstrap]: 1 }, type: 'none', scheme: 'kafka' },
        plugins: { 'kafka-proxy': { produce: { topics: [TOPIC] }, ...identity } },
      }],
      // Warnings and errors only: the terminal stays readable while the page does the talking.
      logger: createLogger({ level: 'warn' }),
    });
    let url;
    try {
      ({ url } = await proxy.listen({ port, host: HOST }));
    } catch (e) {
      if (e?.code !== 'EADDRINUSE') throw e;
      // 9080 is APISIX's port, so another proxy (or a second demo) may hold it: by the time we get
      // here Kafka has started, and failing now would waste that. A port the user chose is theirs.
      if (portChosen) throw new Error(`port ${port} is in use: try npm run demo -- --port ${port + 1}`);
      say(`port ${port} is in use: listening on a free port instead`);
      ({ url } = await proxy.listen({ port: 0, host: HOST }));
    }
    producer = startProducer({ bootstrap, topic: TOPIC, partitions: PARTITIONS, intervalMs: INTERVAL_MS });
    process.stdout.write([
      '',
      `  Kafka ${broker.version} at ${bootstrap}: topic "${TOPIC}", ${PARTITIONS} partitions, a sample order every ${INTERVAL_MS} ms`,
      `  Proxy ${url}, route /demo; admin API ${url}/apisix/admin/routes`,
      `  Admin key (X-API-KEY, shown once, valid until Ctrl-C): ${adminKey}`,
      '',
      `  Open ${url}/?route=/demo&topic=${TOPIC}&from=earliest${auth ? '&name=alice' : ''}&autostart=1`,
      ...(auth ? [
        '',
        '  The route checks tokens: the page gets one for the name typed from POST /demo/token. That endpoint is',
        '  for this demo only: it gives anyone on this machine a token for any name. Clear the name to see a refusal.',
      ] : []),
      '',
      `  Ctrl-C stops the producer, the proxy${stopKafka ? ' and Kafka' : ' (Kafka stays running)'}.`,
      '',
    ].join('\n'));
  } catch (e) {
    say(`error: ${e instanceof Error ? e.message : String(e)}`);
    await shutdown(1);
  }
}

await main();
