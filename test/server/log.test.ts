import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/server/config/index.js';
import { createLogger, type LogLevel } from '../../src/server/log.js';

function capture(level: LogLevel) {
  const lines: string[] = [];
  const log = createLogger({ level, write: (l) => lines.push(l) });
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, parsed };
}

test('one JSON line: time, level and msg first, then the fields', () => {
  const { log, lines, parsed } = capture('info');
  const before = Date.now();
  log.info('listening', { port: 9080, host: '0.0.0.0' });
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0]!, /\n/);
  const [line] = parsed();
  assert.deepEqual(Object.keys(line!), ['time', 'level', 'msg', 'port', 'host']);
  assert.deepEqual([line!.level, line!.msg, line!.port], ['info', 'listening', 9080]);
  assert.match(String(line!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Date.parse(String(line!.time)) >= before - 1);
});

test('secret-named fields are redacted at any depth, other fields kept', () => {
  const { log, lines, parsed } = capture('debug');
  log.info('route', {
    user: 'alice',
    password: 'p1',
    nested: {
      deeper: {
        apiKey: 'p2', 'api-key': 'p3', API_KEY: 'p4', adminKey: 'p5', Authorization: 'Bearer p6', token: 'p7', clientSecret: 'p8',
        tls: { cert: 'p9', certificate: 'p10', ca: 'public' },
        sasl: { mechanism: 'plain', username: 'u', password: 'p11' },
        list: [{ passwd: 'p12' }, { refresh_token: 'p13', name: 'kept' }],
      },
    },
    headers: new Map([['authorization', 'p14'], ['x-trace', 'kept2']]),
  });
  assert.doesNotMatch(lines[0]!, /p1\d?\b|p[2-9]\b|Bearer/);
  const line = parsed()[0] as { user: string; password: string; nested: { deeper: Record<string, unknown> }; headers: Record<string, string> };
  assert.equal(line.user, 'alice');
  assert.equal(line.password, '[redacted]');
  const d = line.nested.deeper;
  for (const k of ['apiKey', 'api-key', 'API_KEY', 'adminKey', 'Authorization', 'token', 'clientSecret', 'sasl']) assert.equal(d[k], '[redacted]', k);
  assert.deepEqual(d.tls, { cert: '[redacted]', certificate: '[redacted]', ca: 'public' });
  assert.deepEqual(d.list, [{ passwd: '[redacted]' }, { refresh_token: '[redacted]', name: 'kept' }]);
  assert.deepEqual(line.headers, { authorization: '[redacted]', 'x-trace': 'kept2' });
});

test('credential-like names beyond the obvious are redacted; author and keys-in-the-middle are not', () => {
  const { lines, log, parsed } = capture('info');
  const secretNames = ['pwd', 'db_pwd', 'credentials', 'privateKey', 'private_key_pem', 'cookie', 'Set-Cookie', 'bearer', 'jwt', 'basicAuth', 'proxy_auth', 'auth'];
  log.info('x', { ...Object.fromEntries(secretNames.map((k, i) => [k, `s${i}x`])), author: 'kept-1', keyspace: 'kept-2' });
  assert.doesNotMatch(lines[0]!, /s\d+x/);
  const line = parsed()[0]!;
  for (const k of secretNames) assert.equal(line[k], '[redacted]', k);
  assert.deepEqual([line['author'], line['keyspace']], ['kept-1', 'kept-2']);
});

test('a "__proto__" key (as JSON.parse makes one) is logged as a field, and redaction still applies inside it', () => {
  const { log, lines } = capture('info');
  log.info('body', JSON.parse('{"__proto__": {"password": "p1", "x": 1}, "b": 2}') as Record<string, unknown>);
  log.info('nested', { m: new Map([['__proto__', { token: 'p2' }]]), o: JSON.parse('{"__proto__": {"y": 3}}') as unknown });
  assert.doesNotMatch(lines.join('\n'), /p1|p2/);
  assert.match(lines[0]!, /"msg":"body","__proto__":\{"password":"\[redacted\]","x":1\},"b":2\}$/);
  assert.match(lines[1]!, /"m":\{"__proto__":\{"token":"\[redacted\]"\}\},"o":\{"__proto__":\{"y":3\}\}\}$/);
  assert.equal(({} as Record<string, unknown>)['x'], undefined);
});

test('errors become {name, code, message}, with cause; the stack only at debug', () => {
  const err = new ConfigError('--port', 'bad port', { cause: Object.assign(new Error('inner'), { code: 'EACCES' }) });
  const info = capture('info');
  info.log.error('failed', { err });
  assert.deepEqual(info.parsed()[0]!.err, { name: 'ConfigError', code: 'SERVER_ERR_CONFIG', message: 'bad port', cause: { name: 'Error', code: 'EACCES', message: 'inner' } });
  const debug = capture('debug');
  debug.log.error('failed', { err: new TypeError('x') });
  const e = debug.parsed()[0]!.err as Record<string, unknown>;
  assert.equal(e.name, 'TypeError');
  assert.match(String(e.stack), /TypeError: x\n\s+at /);
});

test('levels below the logger level are dropped', () => {
  const { log, parsed } = capture('warn');
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  assert.deepEqual(parsed().map((l) => [l.level, l.msg]), [['warn', 'w'], ['error', 'e']]);
  assert.deepEqual([log.isEnabled('info'), log.isEnabled('warn'), log.level], [false, true, 'warn']);
});

test('bigints become strings; odd values do not throw', () => {
  const { log, lines, parsed } = capture('info');
  const cyclic: Record<string, unknown> = { name: 'c' };
  cyclic.self = cyclic;
  const shared = { n: 1 };
  const getterThrows = Object.defineProperty({ fine: 1 }, 'bad', { enumerable: true, get: () => { throw new Error('no'); } });
  log.info('values', {
    offset: 9007199254740993n, cyclic, twice: [shared, shared], getterThrows, value: Buffer.from('abc'),
    nan: Number.NaN, when: new Date(0), fn: function named() {}, set: new Set([1n]), undef: undefined, msg: 'shadow',
  });
  assert.equal(lines.length, 1);
  const l = parsed()[0]!;
  assert.equal(l.offset, '9007199254740993');
  assert.deepEqual(l.cyclic, { name: 'c', self: '[circular]' });
  assert.deepEqual(l.twice, [{ n: 1 }, { n: 1 }], 'a shared object is not a cycle');
  assert.deepEqual(l.getterThrows, { fine: 1, bad: '[unreadable]' });
  assert.equal(l.value, '[Buffer 3 bytes]');
  assert.equal(l.nan, 'NaN');
  assert.equal(l.when, '1970-01-01T00:00:00.000Z');
  assert.equal(l.fn, '[function named]');
  assert.deepEqual(l.set, ['1']);
  assert.equal('undef' in l, false);
  assert.deepEqual([l.msg, l._msg], ['values', 'shadow']);
});

test('very deep values are cut, and logging never throws', () => {
  let deep: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < 50; i++) deep = { d: deep };
  const { log, lines } = capture('info');
  log.info('deep', { deep });
  assert.match(lines[0]!, /"\[too deep\]"/);
  const throwing = createLogger({ level: 'info', write: () => { throw new Error('EPIPE'); } });
  assert.doesNotThrow(() => throwing.error('x', { a: 1 }));
  const hostile = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
  log.info('proxy', { hostile });
  assert.equal(JSON.parse(lines[1]!).hostile, '[unreadable]');
});
