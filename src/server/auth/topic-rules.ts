/**
 * Per-identity topic rules (`plugins.kafka-proxy.authorize`): topic names and globs (`*`, `?`)
 * that may be templated from the token's claims, e.g. `orders.{sub}` or `tenant-{claims.tenant}.*`.
 * A rule set is compiled once when the route is validated and bound once per connection to its
 * claims; a check is then a set lookup or a glob match over a few dozen characters.
 *
 * A claim's value is always matched as literal text: a claim holding `.` matches a dot, and one
 * holding `*`, `?` or any other character no Kafka topic name can hold never widens what a rule
 * allows. A rule whose placeholder the claims cannot fill (missing, empty, not a string or an
 * integer, or holding such a character) allows nothing.
 *
 * A check runs on every command, so binding does the work: exact names go into a set, patterns
 * become literal segments between stars (startsWith, indexOf, endsWith) or, with `?`, char codes
 * with a kind each. Only what a wildcard matched must be checked for legal name characters: the
 * rest is rule text, legal by construction (BENCHMARKS.md, "Client identity": a regular
 * expression test per check cost more than the rules).
 */
import { fail, fieldPath, string, typeName } from '../routes/check.js';

/** Longest Kafka topic name (org.apache.kafka.common.internals.Topic). */
const MAX_NAME = 249;
/** Characters of a Kafka topic name, by char code: a-z A-Z 0-9 . _ - */
const LEGAL = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-') LEGAL[c.charCodeAt(0)] = 1;
/** One rule: legal name characters, the wildcards, and `{sub}` / `{claims.a.b}` placeholders. */
const RULE = /^(?:[a-zA-Z0-9._*?-]|\{(?:sub|claims(?:\.[A-Za-z0-9_-]{1,64}){1,4})\})+$/;
const PLACEHOLDER = /\{(sub|claims(?:\.[A-Za-z0-9_-]{1,64}){1,4})\}/g;

/** Pattern character kinds after binding. */
const LITERAL = 0;
const STAR = 1;
const ONE = 2;

interface RuleTemplate {
  /** Literal text and wildcards, with the placeholders' claim paths in between. */
  parts: Array<{ text: string; kinds: readonly number[] } | { claim: readonly string[] }>;
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
      if (m.index > last) parts.push(textPart(s.slice(last, m.index)));
      parts.push({ claim: m[1] === 'sub' ? ['sub'] : m[1]!.split('.').slice(1) });
      last = m.index + m[0].length;
    }
    if (last < s.length) parts.push(textPart(s.slice(last)));
    return { parts };
  });
}

function textPart(text: string): { text: string; kinds: number[] } {
  return { text, kinds: Array.from(text, (c) => (c === '*' ? STAR : c === '?' ? ONE : LITERAL)) };
}

/** A pattern bound to one identity: char codes with a kind each. */
interface Pattern {
  codes: Uint16Array;
  kinds: Uint8Array;
  /** The first char code when it is literal, else -1: most patterns are ruled out by it. */
  first: number;
  /** Without `?`: the literal text between the stars (first and last may be empty). */
  segments: string[] | undefined;
  /** Characters of the segments together: a topic must be at least this long. */
  literalLength: number;
}

/** A bound rule: exact names in a set, patterns as characters with a kind each. */
interface Bound {
  exact: Set<string>;
  /**
   * The exact names as a list when there are few: a topic decoded from a frame is a new string,
   * and a set lookup hashes it first, which costs more than comparing it with a few names.
   */
  few: string[] | undefined;
  patterns: Pattern[];
}

const FEW_EXACT = 8;

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
  const out: Bound = { exact: new Set(), few: undefined, patterns: [] };
  next: for (const t of templates) {
    let chars = '';
    const kinds: number[] = [];
    for (const part of t.parts) {
      if ('text' in part) {
        chars += part.text;
        for (const k of part.kinds) kinds.push(k);
        continue;
      }
      const value = claimText(claims, part.claim);
      // No topic holds the character, so the rule could allow none: it allows nothing.
      if (value === undefined || !legalFrom(value, 0)) continue next;
      chars += value;
      for (let i = 0; i < value.length; i++) kinds.push(LITERAL);
    }
    if (!kinds.includes(STAR) && !kinds.includes(ONE)) {
      if (chars.length <= MAX_NAME) out.exact.add(chars);
      continue;
    }
    const codes = new Uint16Array(chars.length);
    for (let i = 0; i < chars.length; i++) codes[i] = chars.charCodeAt(i);
    const segments = kinds.includes(ONE) ? undefined : starSegments(chars, kinds);
    out.patterns.push({
      codes,
      kinds: Uint8Array.from(kinds),
      first: kinds[0] === LITERAL ? codes[0]! : -1,
      segments,
      literalLength: kinds.filter((k) => k === LITERAL).length,
    });
  }
  if (out.exact.size <= FEW_EXACT) out.few = [...out.exact];
  return out;
}

/** `a*b*c` as ['a', 'b', 'c']; the stars are the characters of kind STAR. */
function starSegments(chars: string, kinds: readonly number[]): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] !== STAR) continue;
    out.push(chars.slice(from, i));
    from = i + 1;
  }
  out.push(chars.slice(from));
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

/** Whether s[from..] holds only topic name characters. */
function legalFrom(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || LEGAL[c] === 0) return false;
  }
  return true;
}

function legalAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c < 128 && LEGAL[c] === 1;
}

function allows(b: Bound, topic: string): boolean {
  // Exact names are legal topic names by construction (see bind).
  if (b.few !== undefined ? b.few.includes(topic) : b.exact.has(topic)) return true;
  const patterns = b.patterns;
  const n = topic.length;
  if (patterns.length === 0 || n === 0 || n > MAX_NAME) return false;
  const c0 = topic.charCodeAt(0);
  for (let j = 0; j < patterns.length; j++) {
    const p = patterns[j]!;
    if ((p.first !== -1 && p.first !== c0) || n < p.literalLength) continue;
    if (p.segments !== undefined ? matchStars(p.segments, topic) : match(p.codes, p.kinds, topic)) return true;
  }
  return false;
}

/**
 * A glob of literal segments joined by stars: the first segment starts the name, the last ends
 * it, and each one between is found leftmost after the previous (leftmost is never worse when
 * only stars stand between). What the stars matched must be legal name characters; the rest of
 * the name is rule text, scanned along with it.
 */
function matchStars(segments: readonly string[], s: string): boolean {
  const head = segments[0]!;
  const tail = segments[segments.length - 1]!;
  const end = s.length - tail.length;
  if (!s.startsWith(head) || !s.endsWith(tail)) return false;
  let at = head.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    const found = s.indexOf(seg, at);
    if (found === -1 || found + seg.length > end) return false;
    at = found + seg.length;
  }
  return at <= end && legalFrom(s, head.length);
}

/**
 * Glob match where only characters of kind STAR/ONE are wildcards (linear backtracking, as
 * routes/topics.ts). A wildcard never matches a character no topic name holds, so a match is a
 * legal name: literal rule characters are legal by construction.
 */
function match(codes: Uint16Array, kinds: Uint8Array, s: string): boolean {
  const n = codes.length;
  let p = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    const k = p < n ? kinds[p] : -1;
    if (k === LITERAL && codes[p] === s.charCodeAt(i)) {
      p++;
      i++;
    } else if (k === ONE) {
      if (!legalAt(s, i)) return false;
      p++;
      i++;
    } else if (k === STAR) {
      star = p++;
      mark = i;
    } else if (star >= 0) {
      // The star takes one more character.
      if (!legalAt(s, mark)) return false;
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < n && kinds[p] === STAR) p++;
  return p === n;
}
