#!/usr/bin/env node
// The end-to-end benchmark (bench/e2e/run.ts): installs the benchmark package's peers on a fresh
// machine (npm ci --prefix bench; they never enter the root package), builds, and runs it.
// Usage: node scripts/bench.mjs [--no-build] [--smoke] [run.ts flags...]   (npm run bench / npm run bench:smoke)
// --no-build: dist/ is current (the test suite, which has just built it, runs the smoke mode so).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(join(root, 'bench/node_modules'))) {
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['ci', '--prefix', 'bench', '--no-audit', '--no-fund']);
}
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
// The whole project, not only bench/: the proxy under test is the CLI in dist/src/server.
if (!noBuild) run(process.execPath, [join(root, 'scripts/build.mjs')]);
run(process.execPath, [join(root, 'dist/bench/e2e/run.js'), ...args.filter((a) => a !== '--no-build')]);
