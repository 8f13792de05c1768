/**
 * Per-identity topic rules (`plugins.kafka-proxy.authorize`): topic names and globs (`*`, `?`)
 * that may be templated from the token's claims, e.g. `orders.{sub}` or `tenant-{claims.tenant}.*`.
 * A rule set is compiled once when the route is validated and bound once per connection to its
 * claims; a check is then a set lookup or a glob match over a few dozen characters.
 *
 * A claim's value is always matched as literal text: a claim holding `*`, `?` or `.` never widens
 * what a rule allows (`*` and `?` from a claim match only themselves, and no Kafka topic contains
 * them). A rule whose placeholder the claims cannot fill (missing, empty, not a string or an
 * integer) allows nothing.
 */
import { fail, fieldPath, string, typeName } from '../routes/check.js';

/** A Kafka topic name (org.apache.kafka.common.internals.Topic). */
const NAME = /^[a-zA-Z0-9._-]{1,249}$/;
/** One rule: legal name characters, the wildcards, and `{sub}` / `{claims.a.b}` placeholders. */
const RULE = /^(?:[a-zA-Z0-9._*?-]|\{(?:sub|claims(?:\.[A-Za-z0-9_-]{1,64}){1,4})\})+$/;
const PLACEHOLDER = /\{(sub|claims(?:\.[A-Za-z0-9_-]{1,64}){1,4})\}/g;

/** Pattern character kinds after binding. */
const LITERAL = 0;
const STAR = 1;
const ONE = 2;

interface RuleTemplate {
  /** Literal text and wildcards, with the placeholders' claim paths in between. */
  parts: Array<{ text: string } | { claim: readonly string[] }>;
}

export interface CompiledRules {
  readonly consume: readonly RuleTemplate[];
  readonly produce: readonly RuleTemplate[];
  /** Consumer groups whose offsets it may commit and read (same syntax; names as topic names). */
  readonly groups: readonly RuleTemplate[];
}

/** What a connection may use, once bound to its identity's claims. */
export interface TopicAuthorizer {
  consume(topic: string): boolean;
  produce(topic: string): boolean;
  group(group: string): boolean;
}

/**
 * Validates `{ consume: [...], produce: [...], groups: [...] }` at `field` (each list optional;
 * absent means nothing of that kind) and compiles it.
 */
export function compileTopicRules(v: unknown, field: string): CompiledRules {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, `expected object, got ${typeName(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'consume' && k !== 'produce' && k !== 'groups') fail(field, 'unknown field (expected consume, produce, groups)');
  return {
    consume: ruleList(o['consume'], fieldPath(field, 'consume')),
    produce: ruleList(o['produce'], fieldPath(field, 'produce')),
    groups: ruleList(o['groups'], fieldPath(field, 'groups')),
  };
}

function ruleList(v: unknown, field: string): RuleTemplate[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(field, `expected array, got ${typeName(v)}`);
  return v.map((item, i) => {
    const at = fieldPath(field, i);
    const s = string(item, at, { min: 1, max: 1024 });
    if (!RULE.test(s)) fail(at, 'invalid rule: use a-z A-Z 0-9 . _ -, the wildcards * ?, and {sub} or {claims.name}');
    const parts: RuleTemplate['parts'] = [];
    let last = 0;
    for (const m of s.matchAll(PLACEHOLDER)) {
      if (m.index > last) parts.push({ text: s.slice(last, m.index) });
      parts.push({ claim: m[1] === 'sub' ? ['sub'] : m[1]!.split('.').slice(1) });
      last = m.index + m[0].length;
    }
    if (last < s.length) parts.push({ text: s.slice(last) });
    return { parts };
  });
}

/** A bound rule: exact names in a set, patterns as characters with a kind each. */
interface Bound {
  exact: Set<string>;
  patterns: Array<{ chars: string; kinds: Uint8Array }>;
}

/** Binds the rules to one identity's claims (`sub` is `claims.sub`). */
export function bindTopicRules(rules: CompiledRules, claims: Readonly<Record<string, unknown>>): TopicAuthorizer {
  const consume = bind(rules.consume, claims);
  const produce = bind(rules.produce, claims);
  const groups = bind(rules.groups, claims);
  return {
    consume: (topic) => allows(consume, topic),
    produce: (topic) => allows(produce, topic),
    group: (group) => allows(groups, group),
  };
}

function bind(templates: readonly RuleTemplate[], claims: Readonly<Record<string, unknown>>): Bound {
  const out: Bound = { exact: new Set(), patterns: [] };
  next: for (const t of templates) {
    let chars = '';
    const kinds: number[] = [];
    let wild = false;
    for (const part of t.parts) {
      if ('text' in part) {
        for (const c of part.text) {
          chars += c;
          const k = c === '*' ? STAR : c === '?' ? ONE : LITERAL;
          if (k !== LITERAL) wild = true;
          kinds.push(k);
        }
        continue;
      }
      const value = claimText(claims, part.claim);
      if (value === undefined) continue next; // this rule allows nothing for this identity
      for (const c of value) {
        chars += c;
        kinds.push(LITERAL);
      }
    }
    if (!wild) out.exact.add(chars);
    else out.patterns.push({ chars, kinds: Uint8Array.from(kinds) });
  }
  return out;
}

function claimText(claims: Readonly<Record<string, unknown>>, path: readonly string[]): string | undefined {
  let v: unknown = claims;
  for (const k of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

function allows(b: Bound, topic: string): boolean {
  if (b.exact.has(topic)) return true;
  if (b.patterns.length === 0 || !NAME.test(topic)) return false;
  for (const p of b.patterns) if (match(p.chars, p.kinds, topic)) return true;
  return false;
}

/** Glob match where only characters of kind STAR/ONE are wildcards (linear backtracking, as routes/topics.ts). */
function match(chars: string, kinds: Uint8Array, s: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    const k = kinds[p];
    if (k === ONE || (k === LITERAL && chars[p] === s[i])) {
      p++;
      i++;
    } else if (k === STAR) {
      star = p++;
      mark = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (kinds[p] === STAR) p++;
  return p === chars.length;
}
