/**
 * The `topics` allow-list of the kafka-proxy plugin (our extension): exact Kafka topic names
 * and glob patterns with `*` (any run of characters) and `?` (one character). Compiled once when
 * the route is validated. Globs are matched by a linear-backtracking matcher rather than a
 * RegExp, so a pattern like `a*a*a*b` cannot make matching explode on a long topic.
 */
import { fail, fieldPath, string, typeName } from './check.js';

// Kafka's legal topic characters and length (org.apache.kafka.common.internals.Topic).
const NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const PATTERN = /^[a-zA-Z0-9._*?-]{1,249}$/;

export type TopicFilter = (topic: string) => boolean;

const allowAll: TopicFilter = () => true;

/**
 * Validates the list at `field` (undefined = every topic allowed) and compiles it. `what` names
 * the things listed in messages: consumer groups (`groups`) use the same names and globs.
 */
export function compileTopics(v: unknown, field: string, what: 'topic' | 'group' = 'topic'): TopicFilter {
  if (v === undefined) return allowAll;
  if (!Array.isArray(v)) fail(field, `expected array, got ${typeName(v)}`);
  if (v.length === 0) fail(field, 'must not be empty (leave it out to allow every topic)');
  const exact = new Set<string>();
  const globs: string[] = [];
  v.forEach((item, i) => {
    const at = fieldPath(field, i);
    const s = string(item, at);
    if (s === '.' || s === '..') fail(at, `is not a legal ${what} name ("." and ".." are not)`);
    if (NAME.test(s)) exact.add(s);
    else if (PATTERN.test(s)) globs.push(s.replace(/\*+/g, '*'));
    else fail(at, `invalid ${what} name or pattern: use 1-249 of a-z A-Z 0-9 . _ - and the wildcards * ?`);
  });
  // A name Kafka would refuse is never allowed, which also bounds the matcher's input.
  if (globs.length === 0) return (topic) => exact.has(topic);
  return (topic) => exact.has(topic) || (NAME.test(topic) && globs.some((g) => globMatch(g, topic)));
}

/** Wildcard match: on a mismatch, retry from just after the last `*` with one more character eaten. */
export function globMatch(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    const c = pattern[p];
    if (c === '?' || (c !== undefined && c !== '*' && c === s[i])) {
      p++;
      i++;
    } else if (c === '*') {
      star = p++;
      mark = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
