import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The source folder test/fixtures/<name> (tests run from dist/test, the fixtures stay in the
 * source tree): the first one found above this module, else under the cwd. Undefined if none.
 */
export function fixtureDir(name: string): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here, i = 0; i < 8; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'fixtures', name);
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
  }
  const cwd = join(process.cwd(), 'test', 'fixtures', name);
  return existsSync(cwd) ? cwd : undefined;
}
