import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { anchors, readDoc, ROOT, slug, withoutCode } from './support.js';

/** The pages whose links must hold: the front page, every page of docs/, and their neighbours. */
const PAGES = ['README.md', 'BENCHMARKS.md', 'bench/README.md', 'test/fixtures/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Relative link targets of a page (images included), without web, mail and in-page-only links. */
function relativeLinks(md: string): string[] {
  return [...withoutCode(md).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
}

test('every relative link in README.md and docs/*.md points to an existing file, and to an existing heading', () => {
  let checked = 0;
  for (const page of PAGES) {
    const md = readDoc(page);
    for (const link of relativeLinks(md)) {
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? resolve(ROOT, page) : resolve(ROOT, dirname(page), path);
      assert.ok(existsSync(target), `${page}: ${link} does not exist`);
      if (anchor !== undefined && target.endsWith('.md') && statSync(target).isFile()) {
        assert.ok(anchors(readDoc(relative(ROOT, target))).has(anchor), `${page}: ${link} names no heading of ${relative(ROOT, target)}`);
      }
      checked++;
    }
  }
  assert.ok(checked > 50, `only ${checked} links checked`);
});

test('the README links every page of docs/', () => {
  const linked = new Set(relativeLinks(readDoc('README.md')).map((l) => l.split('#')[0]));
  for (const page of PAGES.filter((p) => p.startsWith('docs/'))) assert.ok(linked.has(page), `README.md does not link ${page}`);
});

test('the anchor check knows GitHub anchors', () => {
  assert.equal(slug('Embedding: `createProxy`'), 'embedding-createproxy');
  assert.equal(slug('`record`: a recording proxy for fixtures'), 'record-a-recording-proxy-for-fixtures');
  assert.deepEqual([...anchors('# A\n## B, c\n## B, c\n```\n# not a heading\n```\n')], ['a', 'b-c', 'b-c-1']);
});

const COUNT = ['none', 'one', 'two', 'three', 'four'];

test("the README's status line says as many end-to-end targets met as BENCHMARKS.md's last full run", () => {
  const bench = readDoc('BENCHMARKS.md');
  const generated = /<!-- e2e:begin[^>]*-->([\s\S]*?)<!-- e2e:end -->/.exec(bench)?.[1];
  assert.ok(generated !== undefined, 'BENCHMARKS.md has no generated end-to-end section');
  const verdicts = [...generated.matchAll(/^\| [^|]+ \| [^|]+ \| (met|\*\*missed\*\*|n\/a) \|$/gm)].map((m) => m[1]);
  assert.equal(verdicts.length, 4, 'the end-to-end benchmark has four targets');
  const met = verdicts.filter((v) => v === 'met').length;
  const claim = met === 4 ? 'all four targets were met' : `${COUNT[met]} of the four targets were met`;
  const readme = readDoc('README.md').replace(/\n> ?/g, ' ').replace(/\s+/g, ' ');
  assert.ok(readme.includes(claim), `README.md should say "${claim}"`);
});
