import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePattern, MAX_PATTERN_LENGTH, MAX_PROGRAM_SIZE, type Pattern } from '../../../src/server/admin/pattern.js';

function compiled(source: string): Pattern {
  const c = compilePattern(source);
  assert.ok(c.ok, `${source}: ${c.ok ? '' : c.error}`);
  return c.pattern;
}

function refused(source: string): string {
  const c = compilePattern(source);
  assert.ok(!c.ok, `${source} should be refused`);
  return c.error;
}

/** Runs `p` on `subject` and checks the steps against the linear bound: 2 per instruction per position. */
function linear(p: Pattern, subject: string): boolean {
  const stats = { steps: 0 };
  const found = p.test(subject, stats);
  const bound = 2 * p.size * ([...subject].length + 1);
  assert.ok(stats.steps <= bound, `${stats.steps} steps, bound ${bound}`);
  return found;
}

test('the usual APISIX filters: prefixes, substrings, alternatives, classes, anchors', () => {
  const cases: Array<[string, string, boolean]> = [
    ['^/kafka', '/kafka/orders', true],
    ['^/kafka', '/api/kafka', false],
    ['kafka', '/api/kafka', true],
    ['^/(orders|payments)$', '/payments', true],
    ['^/(orders|payments)$', '/payments/x', false],
    ['^even-\\d+$', 'even-24', true],
    ['^even-\\d+$', 'even-2x', false],
    ['^[a-z]+-[0-9]{2}$', 'odd-13', true],
    ['^[a-z]+-[0-9]{2}$', 'odd-135', false],
    ['^[^/]', 'name', true],
    ['^[^/]', '/uri', false],
    ['v[12]\\.x', 'route-v2.x', true],
    ['v[12]\\.x', 'route-v2yx', false],
    ['a.c', 'abc', true],
    ['a.c', 'a\nc', false],
    ['colou?r', 'color', true],
    ['\\bkafka\\b', 'my kafka route', true],
    ['\\bkafka\\b', 'mykafka', false],
    ['\\Bafka', 'mykafka', true],
    ['', 'anything', true],
    ['x{', 'x{', true],
    ['x{,3}', 'x{,3}', true],
    ['\\x41\\t', 'A\t', true],
    ['[\\]a-]+$', 'x]-a', true],
    ['[]a]', ']', true],
    ['(?:ab)+?c', 'ababc', true],
  ];
  for (const [pattern, subject, expected] of cases) assert.equal(linear(compiled(pattern), subject), expected, `${pattern} on ${JSON.stringify(subject)}`);
});

test('PCRE meanings where JavaScript differs: $ before a final newline; subjects are code points', () => {
  assert.equal(compiled('a$').test('a\n'), true, 'PCRE: $ matches before a final newline');
  assert.equal(compiled('a$').test('a\n\n'), false);
  assert.equal(compiled('^.$').test('😀'), true, 'one code point');
  assert.equal(compiled('^😀+$').test('😀😀'), true);
});

test('agrees with V8 RegExp on random patterns and subjects of a small alphabet', () => {
  let seed = 0x2545f491;
  const rand = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const atoms = ['a', 'b', '.', '[ab]', '[^a]', '[a-b1]', '\\w', '\\W', '\\d', '\\D', '\\s', '1', ' ', '^', '$', '\\b', '\\B'];
  const quants = ['', '', '', '*', '+', '?', '{2}', '{0,2}', '{1,}', '{1,3}', '*?', '+?'];
  const gen = (depth: number): string => {
    const parts: string[] = [];
    for (let k = 1 + rand(3); k > 0; k--) {
      const group = depth > 0 && rand(3) === 0;
      const atom = group ? `(${rand(2) === 0 ? '?:' : ''}${gen(depth - 1)}${rand(2) === 0 ? `|${gen(depth - 1)}` : ''})` : atoms[rand(atoms.length)]!;
      const q = ['^', '$', '\\b', '\\B'].includes(atom) ? '' : quants[rand(quants.length)]!;
      parts.push(atom + q);
    }
    return parts.join('');
  };
  let checked = 0;
  for (let i = 0; i < 5000; i++) {
    const source = gen(2);
    const subject = Array.from({ length: rand(10) }, () => 'ab1 _'[rand(5)]).join('');
    assert.equal(compiled(source).test(subject), new RegExp(source).test(subject), `${source} on ${JSON.stringify(subject)}`);
    checked++;
  }
  assert.equal(checked, 5000);
});

test('catastrophic patterns for backtracking engines take linear steps and answer right', () => {
  // Each of these makes a backtracking engine (PCRE, V8) try exponentially many paths on such
  // inputs: years, not seconds. Here each input character costs at most 2 steps per instruction.
  const long = 'a'.repeat(5000);
  assert.equal(linear(compiled('(a+)+$'), `${long}!`), false);
  assert.equal(linear(compiled('(a+)+!$'), `${long}!`), true);
  assert.equal(linear(compiled('^(a+)+$'), `${long}!`), false);
  assert.equal(linear(compiled('^(a+)+$'), long), true);
  assert.equal(linear(compiled('(a|aa)+b'), long), false);
  assert.equal(linear(compiled('(a|aa)+b'), `${long}b`), true);
  assert.equal(linear(compiled('^(\\w+\\s?)*$'), `${'word '.repeat(1000)}!`), false);
  assert.equal(linear(compiled('^(\\w+\\s?)*$'), 'word '.repeat(1000)), true);
  assert.equal(linear(compiled('(x+x+)+y'), 'x'.repeat(5000)), false);
  assert.equal(linear(compiled('^(.*a){20}$'), `${long}b`), false);
  assert.equal(linear(compiled('(a*)*b'), long), false);
  assert.equal(linear(compiled('(|a)*$'), long), true);
});

test('unsupported constructs and bad syntax are refused, with the reason', () => {
  const unsupported: Array<[string, RegExp]> = [
    ['(a)\\1', /unsupported: \\1/],
    ['(?=a)', /unsupported: \(\?/],
    ['(?<=a)b', /unsupported: \(\?/],
    ['(?<n>a)', /unsupported: \(\?/],
    ['(?i)a', /unsupported: \(\?/],
    ['a++', /unsupported: possessive/],
    ['a{2}+', /unsupported: possessive/],
    ['[[:alpha:]]', /unsupported: POSIX class/],
    ['\\p{L}', /unsupported: \\p/],
    ['\\A', /unsupported: \\A/],
    ['[\\b]', /unsupported: \\b in a class/],
    ['\\x4', /unsupported: \\x/],
  ];
  for (const [source, reason] of unsupported) assert.match(refused(source), reason, source);
  const syntax: Array<[string, RegExp]> = [
    ['(', /missing \)/],
    ['a)', /unmatched \)/],
    ['[a', /missing \]/],
    ['*a', /nothing to repeat/],
    ['a**', /nothing to repeat/],
    ['^*', /nothing to repeat/],
    ['{2}', /nothing to repeat/],
    ['a{3,2}', /out of order/],
    ['[z-a]', /out of order/],
    ['[a-\\d]', /invalid range/],
    ['a\\', /at end of pattern/],
    ['a{1001}', /above 1000/],
  ];
  for (const [source, reason] of syntax) assert.match(refused(source), reason, source);
});

test('pattern length and program size are bounded', () => {
  assert.ok(compilePattern('a'.repeat(MAX_PATTERN_LENGTH)).ok);
  assert.match(refused('a'.repeat(MAX_PATTERN_LENGTH + 1)), /longer than 256 characters/);
  // 18 characters that would expand to a million instructions.
  assert.match(refused('((a{1000}){1000})'), new RegExp(`too complex \\(more than ${MAX_PROGRAM_SIZE} instructions\\)`));
  assert.ok(compiled('[a-z]{0,100}x{100}').size <= MAX_PROGRAM_SIZE);
});
