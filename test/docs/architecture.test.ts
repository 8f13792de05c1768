import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { readDoc, ROOT, withoutCode } from './support.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** The paths named in the first column of the file map's tables, relative to src/. */
function mappedFiles(md: string): string[] {
  const section = /^## File map\n([\s\S]*?)^## /m.exec(withoutCode(md))?.[1];
  assert.ok(section !== undefined, 'docs/architecture.md has no "## File map" section');
  return section.split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...(l.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

test('the file map of docs/architecture.md lists every file under src/, and only those', () => {
  const src = join(ROOT, 'src');
  const actual = filesUnder(src).map((f) => relative(src, f)).sort();
  const mapped = mappedFiles(readDoc('docs/architecture.md'));
  assert.equal(new Set(mapped).size, mapped.length, 'a file is listed twice');
  assert.ok(actual.length > 100);
  assert.deepEqual([...mapped].sort(), actual);
});
