import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/docs). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function readDoc(path: string): string {
  return readFileSync(resolve(ROOT, path), 'utf8');
}

/** The text without fenced code blocks, whose brackets and pipes are not markdown. */
export function withoutCode(md: string): string {
  return md.replace(/^```[\s\S]*?^```/gm, '');
}

/**
 * The rows of the first markdown table whose header row starts with `header` (cells trimmed;
 * `\|` inside a cell is a literal pipe). Undefined when there is no such table.
 */
export function tableAfter(md: string, header: string): string[][] | undefined {
  const lines = withoutCode(md).split('\n');
  const at = lines.findIndex((l) => l.startsWith(header));
  if (at === -1) return undefined;
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows;
}

function cells(line: string): string[] {
  // A cell may hold an escaped pipe (`\|`); a placeholder keeps it out of the split.
  const pipe = '\u{E000}';
  return line.replaceAll('\\|', pipe).split('|').slice(1, -1).map((c) => c.replaceAll(pipe, '|').trim());
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

/** Every anchor the headings of `md` produce, with GitHub's -1, -2 suffixes for repeats. */
export function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutCode(md).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}
