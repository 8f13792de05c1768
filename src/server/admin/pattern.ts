/**
 * The regular expressions of the route list filter (`name`, `uri`), matched in time linear in the
 * subject. APISIX runs them with ngx.re.find (PCRE, a backtracking engine; v3_adapter.lua), and so
 * would V8's RegExp: `(a+)+$` against thirty `a`s and a `!` takes seconds, and the admin API
 * shares the event loop with every WebSocket. So the pattern is compiled to a Thompson NFA and
 * simulated one subject character at a time with every live state at once (Russ Cox, "Regular
 * Expression Matching Can Be Simple And Fast"): at most 2 × program size steps per character.
 *
 * The subset, PCRE's meaning for each: literals; `.` (not a newline); classes `[a-z_]`, `[^...]`;
 * `\d \D \w \W \s \S` (ASCII, as PCRE without UCP); `\b \B`; `\t \n \r \f \xhh`; a backslash
 * before punctuation; groups `(...)`, `(?:...)`; `|`; `* + ? {m} {m,} {m,n}` (m, n up to 1000),
 * greedy or lazy (the same for match or no match); `^` (start); `$` (end, or before a final
 * newline). Anything else (backreferences, lookaround, possessive quantifiers, named groups, `(?i)`,
 * POSIX classes, `\p`...) is refused as unsupported rather than guessed at. Subjects are matched as
 * Unicode code points (PCRE without the `u` option matches bytes; only non-ASCII text differs).
 */

/** Longer patterns are refused; a route's name is at most 100 characters, its uri 4096. */
export const MAX_PATTERN_LENGTH = 256;
/** Instructions a compiled pattern may have; bounds the work per subject character. */
export const MAX_PROGRAM_SIZE = 512;
const MAX_REPEAT = 1000;

export interface Pattern {
  /** Whether the pattern matches anywhere in `subject` (ngx.re.find / RegExp.test). */
  test(subject: string, stats?: { steps: number }): boolean;
  /** Instructions in the compiled program. */
  readonly size: number;
}

export type Compiled = { ok: true; pattern: Pattern } | { ok: false; error: string };

/** Compiles `source`, or says why not (syntax, unsupported, too long or too complex). */
export function compilePattern(source: string): Compiled {
  if (source.length > MAX_PATTERN_LENGTH) return { ok: false, error: `longer than ${MAX_PATTERN_LENGTH} characters` };
  try {
    const program = compile(new Parser(source).parse());
    return { ok: true, pattern: { test: (s, stats) => run(program, s, stats), size: program.length } };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, error: err.message };
    throw err;
  }
}

class Refused extends Error {}

// ---- character sets ----

/** A union of code point ranges `[lo0, hi0, lo1, hi1, ...]`, possibly negated; a class is a union of sets. */
interface CharSet {
  ranges: number[];
  negate: boolean;
}

const DIGIT = [0x30, 0x39];
const WORD = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
const SPACE = [0x09, 0x0d, 0x20, 0x20]; // \t \n \v \f \r and space: PCRE's \s
const NEWLINE = 0x0a;

function inRanges(ranges: readonly number[], c: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (c >= ranges[i]! && c <= ranges[i + 1]!) return true;
  return false;
}

function isWord(c: number | undefined): boolean {
  return c !== undefined && inRanges(WORD, c);
}

// ---- parsing ----

type Node =
  | { t: 'set'; sets: CharSet[]; negate: boolean }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'assert'; kind: Assertion };

type Assertion = 'start' | 'end' | 'word' | 'not-word';

const QUANTIFIER = /^\{(\d+)(,(\d*))?\}/;

class Parser {
  private readonly chars: number[];
  private i = 0;

  constructor(source: string) {
    this.chars = Array.from(source, (c) => c.codePointAt(0)!);
  }

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.chars.length) throw new Refused('unmatched )');
    return node;
  }

  private peek(offset = 0): string | undefined {
    const c = this.chars[this.i + offset];
    return c === undefined ? undefined : String.fromCodePoint(c);
  }

  private rest(): string {
    return String.fromCodePoint(...this.chars.slice(this.i, this.i + 40));
  }

  private alternation(): Node {
    const items = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      items.push(this.sequence());
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private sequence(): Node {
    const items: Node[] = [];
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) {
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private quantified(atom: Node): Node {
    const q = this.quantifier();
    if (q === undefined) return atom;
    if (atom.t === 'assert') throw new Refused('nothing to repeat');
    if (this.peek() === '+') throw new Refused('unsupported: possessive quantifier');
    if (this.peek() === '?') this.i++; // lazy: the same answer to "does it match"
    if (this.quantifier() !== undefined) throw new Refused('nothing to repeat');
    return { t: 'rep', node: atom, min: q.min, max: q.max };
  }

  /** Consumes a quantifier, if one is next. */
  private quantifier(): { min: number; max: number } | undefined {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      return { min: c === '+' ? 1 : 0, max: c === '?' ? 1 : Infinity };
    }
    if (c !== '{') return undefined;
    const m = QUANTIFIER.exec(this.rest());
    if (m === null) return undefined; // "{" that is not {m}, {m,} or {m,n} is a literal, as in PCRE
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw new Refused(`repeat count above ${MAX_REPEAT}`);
    if (max < min) throw new Refused('numbers out of order in {} quantifier');
    this.i += m[0].length;
    return { min, max };
  }

  private atom(): Node {
    const c = this.peek()!;
    this.i++;
    switch (c) {
      case '(': {
        if (this.peek() === '?') {
          if (this.peek(1) !== ':') throw new Refused('unsupported: (? groups other than (?:');
          this.i += 2;
        }
        const inner = this.alternation();
        if (this.peek() !== ')') throw new Refused('missing )');
        this.i++;
        // `($)?` may be repeated, a bare `$?` may not (PCRE and JavaScript agree).
        return inner.t === 'assert' ? { t: 'cat', items: [inner] } : inner;
      }
      case '[':
        return this.charClass();
      case '.':
        return { t: 'set', sets: [{ ranges: [NEWLINE, NEWLINE], negate: true }], negate: false };
      case '^':
        return { t: 'assert', kind: 'start' };
      case '$':
        return { t: 'assert', kind: 'end' };
      case '\\':
        return this.escape(false);
      case '*':
      case '+':
      case '?':
        throw new Refused('nothing to repeat');
      case '{':
        if (QUANTIFIER.test(`{${this.rest()}`)) throw new Refused('nothing to repeat');
        return literal(c.codePointAt(0)!);
      default:
        return literal(c.codePointAt(0)!);
    }
  }

  /** After a backslash. In a class, assertions are not allowed and the result must be a set. */
  private escape(inClass: boolean): Node & { t: 'set' | 'assert' } {
    const c = this.peek();
    if (c === undefined) throw new Refused('\\ at end of pattern');
    this.i++;
    switch (c) {
      case 'd': return { t: 'set', sets: [{ ranges: DIGIT, negate: false }], negate: false };
      case 'D': return { t: 'set', sets: [{ ranges: DIGIT, negate: true }], negate: false };
      case 'w': return { t: 'set', sets: [{ ranges: WORD, negate: false }], negate: false };
      case 'W': return { t: 'set', sets: [{ ranges: WORD, negate: true }], negate: false };
      case 's': return { t: 'set', sets: [{ ranges: SPACE, negate: false }], negate: false };
      case 'S': return { t: 'set', sets: [{ ranges: SPACE, negate: true }], negate: false };
      case 't': return literal(0x09);
      case 'n': return literal(0x0a);
      case 'r': return literal(0x0d);
      case 'f': return literal(0x0c);
      case 'x': {
        const hex = /^[0-9a-fA-F]{2}/.exec(this.rest())?.[0];
        if (hex === undefined) throw new Refused('unsupported: \\x without two hex digits');
        this.i += 2;
        return literal(parseInt(hex, 16));
      }
      case 'b':
      case 'B':
        if (inClass) throw new Refused(`unsupported: \\${c} in a class`);
        return { t: 'assert', kind: c === 'b' ? 'word' : 'not-word' };
      default:
        if (/[0-9A-Za-z]/.test(c)) throw new Refused(`unsupported: \\${c}`);
        return literal(c.codePointAt(0)!);
    }
  }

  private charClass(): Node {
    const negate = this.peek() === '^';
    if (negate) this.i++;
    const sets: CharSet[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new Refused('missing ]');
      if (c === ']' && !first) break;
      first = false;
      if (c === '[' && /^\[[:.=]/.test(this.rest())) throw new Refused('unsupported: POSIX class');
      const lo = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.i++;
        const hi = this.classAtom();
        if (lo.sets.length !== 1 || hi.sets.length !== 1 || !isSingle(lo.sets[0]!) || !isSingle(hi.sets[0]!)) throw new Refused('invalid range in class');
        const from = lo.sets[0]!.ranges[0]!;
        const to = hi.sets[0]!.ranges[0]!;
        if (from > to) throw new Refused('range out of order in class');
        sets.push({ ranges: [from, to], negate: false });
      } else {
        sets.push(...lo.sets);
      }
    }
    this.i++;
    return { t: 'set', sets, negate };
  }

  private classAtom(): { t: 'set'; sets: CharSet[] } {
    const c = this.peek()!;
    this.i++;
    if (c !== '\\') return { t: 'set', sets: [{ ranges: [c.codePointAt(0)!, c.codePointAt(0)!], negate: false }] };
    const e = this.escape(true);
    if (e.t !== 'set') throw new Refused('invalid escape in class');
    return e;
  }
}

function literal(c: number): Node & { t: 'set' } {
  return { t: 'set', sets: [{ ranges: [c, c], negate: false }], negate: false };
}

function isSingle(s: CharSet): boolean {
  return !s.negate && s.ranges.length === 2 && s.ranges[0] === s.ranges[1];
}

// ---- compiling ----

type Instruction =
  | { op: 'set'; sets: CharSet[]; negate: boolean }
  | { op: 'split'; a: number; b: number }
  | { op: 'jump'; to: number }
  | { op: 'assert'; kind: Assertion }
  | { op: 'match' };

function compile(root: Node): Instruction[] {
  const prog: Instruction[] = [];
  const push = (ins: Instruction): number => {
    if (prog.length >= MAX_PROGRAM_SIZE) throw new Refused(`too complex (more than ${MAX_PROGRAM_SIZE} instructions)`);
    prog.push(ins);
    return prog.length - 1;
  };
  const emit = (n: Node): void => {
    switch (n.t) {
      case 'set':
        push({ op: 'set', sets: n.sets, negate: n.negate });
        return;
      case 'assert':
        push({ op: 'assert', kind: n.kind });
        return;
      case 'cat':
        for (const item of n.items) emit(item);
        return;
      case 'alt': {
        const jumps: Array<{ op: 'jump'; to: number }> = [];
        n.items.forEach((item, k) => {
          if (k < n.items.length - 1) {
            const split = { op: 'split' as const, a: 0, b: 0 };
            split.a = push(split) + 1;
            emit(item);
            const jump = { op: 'jump' as const, to: 0 };
            push(jump);
            jumps.push(jump);
            split.b = prog.length;
          } else {
            emit(item);
          }
        });
        for (const j of jumps) j.to = prog.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) emit(n.node);
        if (n.max === Infinity) {
          const split = { op: 'split' as const, a: 0, b: 0 };
          const at = push(split);
          split.a = at + 1;
          emit(n.node);
          push({ op: 'jump', to: at });
          split.b = prog.length;
        } else {
          // x{0,3} as x?x?x?: the same strings, which is all a yes/no match needs.
          for (let k = n.min; k < n.max; k++) {
            const split = { op: 'split' as const, a: 0, b: 0 };
            split.a = push(split) + 1;
            emit(n.node);
            split.b = prog.length;
          }
        }
        return;
      }
    }
  };
  emit(root);
  push({ op: 'match' });
  return prog;
}

// ---- running ----

/** A set of program counters with O(1) add, test and clear (Briggs and Torczon's sparse set). */
class PcSet {
  readonly dense: Uint32Array;
  private readonly sparse: Uint32Array;
  size = 0;

  constructor(n: number) {
    this.dense = new Uint32Array(n);
    this.sparse = new Uint32Array(n);
  }

  has(pc: number): boolean {
    const k = this.sparse[pc]!;
    return k < this.size && this.dense[k] === pc;
  }

  add(pc: number): void {
    this.sparse[pc] = this.size;
    this.dense[this.size++] = pc;
  }
}

function run(prog: readonly Instruction[], subject: string, stats?: { steps: number }): boolean {
  const text = Array.from(subject, (c) => c.codePointAt(0)!);
  let current = new PcSet(prog.length);
  let next = new PcSet(prog.length);
  const stack: number[] = [];
  let steps = 0;

  /** Adds the states reachable from `pc` without reading, at position `at`; true on reaching match. */
  const follow = (list: PcSet, pc: number, at: number): boolean => {
    stack.push(pc);
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (list.has(p)) continue;
      list.add(p);
      steps++;
      const ins = prog[p]!;
      switch (ins.op) {
        case 'match':
          stack.length = 0;
          return true;
        case 'jump':
          stack.push(ins.to);
          break;
        case 'split':
          stack.push(ins.b, ins.a);
          break;
        case 'assert':
          if (holds(ins.kind, text, at)) stack.push(p + 1);
          break;
        case 'set':
          break;
      }
    }
    return false;
  };

  try {
    for (let at = 0; ; at++) {
      // A new attempt starts at every position: find, not a match anchored at the start.
      if (follow(current, 0, at)) return true;
      if (at === text.length) return false;
      const c = text[at]!;
      next.size = 0;
      for (let k = 0; k < current.size; k++) {
        const pc = current.dense[k]!;
        const ins = prog[pc]!;
        steps++;
        if (ins.op === 'set' && matches(ins, c) && follow(next, pc + 1, at + 1)) return true;
      }
      [current, next] = [next, current];
    }
  } finally {
    if (stats !== undefined) stats.steps += steps;
  }
}

function matches(ins: { sets: CharSet[]; negate: boolean }, c: number): boolean {
  let found = false;
  for (const s of ins.sets) {
    if (inRanges(s.ranges, c) !== s.negate) {
      found = true;
      break;
    }
  }
  return found !== ins.negate;
}

function holds(kind: Assertion, text: readonly number[], at: number): boolean {
  switch (kind) {
    case 'start':
      return at === 0;
    case 'end':
      return at === text.length || (at === text.length - 1 && text[at] === NEWLINE);
    case 'word':
      return isWord(text[at - 1]) !== isWord(text[at]);
    case 'not-word':
      return isWord(text[at - 1]) === isWord(text[at]);
  }
}
