#!/usr/bin/env node
// The one build recipe, for `npm run build` (and so `npm ci`'s prepare), scripts/test.mjs and
// scripts/bench.mjs: compile, bundle the browser SDK, and make the bin executable (npx runs it by
// its shebang, which passes --single-threaded-gc). It starts from an empty dist/: tsc never deletes
// the output of a source that was removed or renamed, and node:test would still run that old copy.
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const args of [[join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], [join(root, 'scripts/bundle-client.mjs')]]) {
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}
chmodSync(join(root, 'dist/src/server/cli.js'), 0o755);
