import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every error code used in src/ is documented in docs/errors.md', () => {
  const used = new Set<string>();
  for (const f of files(join(root, 'src'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/'((?:KWIRE|PUBSUB|SERVER|KWP_CLIENT)_ERR_[A-Z0-9_]+)'/g)) used.add(m[1]!);
  }
  assert.ok(used.size >= 10, 'found the codes');
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  assert.deepEqual([...used].filter((c) => !doc.includes(`\`${c}\``)).sort(), []);
});
