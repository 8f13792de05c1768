#!/usr/bin/env node
// Runs every test tier in one node:test run so CI sees one summary:
//   unit (pure codec, loopback servers), fixtures (recorded bytes), kafka (real brokers started by
//   scripts/kafka). Builds first, and stops the brokers it used at the end unless KWP_KEEP_KAFKA=1.
// A whole run (no tier, no filter) first runs `npm run typecheck`, `npm run lint` and checks the
// committed WebAssembly module against its C source (scripts/wasm/build.sh --check).
// Usage: node scripts/test.mjs [--tier unit|kafka|all] [--no-build] [name-filter...]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
let tier = 'all';
let build = true;
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tier') tier = args[++i] ?? 'all';
  else if (args[i] === '--no-build') build = false;
  else filters.push(args[i]);
}

function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

if (build) {
  const status = run(process.execPath, [join(root, 'scripts/build.mjs')]);
  if (status !== 0) process.exit(status);
}
// A whole run (what CI does) also type-checks the browser SDK without Node's types and lints;
// a run narrowed to some files skips both to stay quick.
if (build && tier === 'all' && filters.length === 0) {
  for (const script of ['typecheck', 'lint']) {
    console.log(`# npm run ${script}`);
    const status = run('npm', ['run', '--silent', script]);
    if (status !== 0) process.exit(status);
  }
  // The committed WebAssembly module must be what its reviewable C source builds to.
  console.log('# scripts/wasm/build.sh --check');
  const wasm = run('bash', [join(root, 'scripts/wasm/build.sh'), '--check']);
  if (wasm !== 0) process.exit(wasm);
}

function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

/** Real-broker tests are named *.kafka.test.ts (or live in test/harness). */
const isKafka = (f) => f.endsWith('.kafka.test.js') || f.includes('/test/harness/');
const all = find(join(root, 'dist/test')).sort();
// A compiled test whose source is gone (deleted or renamed after a build without a clean dist/)
// would still run and could pass for code that no longer exists.
const orphans = all.filter((f) => !existsSync(join(root, relative(join(root, 'dist'), f)).replace(/\.js$/, '.ts')));
if (orphans.length > 0) {
  console.error(`compiled tests without a source (run npm run build, which starts from an empty dist/):\n  ${orphans.map((f) => relative(root, f)).join('\n  ')}`);
  process.exit(1);
}
let files = all.filter((f) => (tier === 'unit' ? !isKafka(f) : tier === 'kafka' ? isKafka(f) : true));
if (filters.length > 0) files = files.filter((f) => filters.some((s) => relative(root, f).includes(s)));
// Unit files first: they fail fast and need no broker.
files.sort((a, b) => Number(isKafka(a)) - Number(isKafka(b)) || a.localeCompare(b));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

let status;
try {
  // Files run one at a time, so the harness test may stop and restart the shared brokers.
  status = run(process.execPath, ['--test', '--test-concurrency=1', ...files], { env: { KWP_KAFKA_TEST_RESTART: '1', ...process.env } });
} finally {
  if (files.some(isKafka) && process.env.KWP_KEEP_KAFKA !== '1') {
    run('bash', [join(root, 'scripts/kafka/stop.sh'), 'all'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
process.exit(status);
