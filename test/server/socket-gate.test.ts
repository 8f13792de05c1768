import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey } from '../../src/server/socket-gate.js';
import { ADMIN_LISTENER_SOCKETS, ADMIN_RESERVE, deadlineCheckEvery, HTTP_SOCKETS, parseFileLimit, resolveSocketLimits, socketBudget } from '../../src/server/socket-limits.js';

test('an IPv4 client and its IPv4-mapped IPv6 form count as one address', () => {
  // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
  assert.equal(addressKey('127.0.0.5'), '127.0.0.5');
  assert.equal(addressKey('::ffff:127.0.0.5'), '127.0.0.5');
  assert.equal(addressKey('::FFFF:7f00:5'), '127.0.0.5');
  assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
});

test('IPv6 clients count by /64: one host picks its addresses from a whole /64', () => {
  assert.equal(addressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:ffff:0:0:9'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:0DB8:0001:0002:0:0:0:1'), '2001:db8:1:2::/64');
  assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('::'), '0:0:0:0::/64');
  assert.equal(addressKey('1::'), '1:0:0:0::/64');
  // An IPv4-compatible form that is not ::ffff: stays IPv6.
  assert.equal(addressKey('::1.2.3.4'), '0:0:0:0::/64');
  assert.equal(addressKey('64:ff9b::1.2.3.4'), '64:ff9b:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('no address, or one that does not parse, has no key (the socket is refused)', () => {
  assert.equal(addressKey(undefined), undefined);
  assert.equal(addressKey(''), undefined);
  assert.equal(addressKey('not an address'), undefined);
  assert.equal(addressKey('1.2.3'), undefined);
});

test('the open-file limit is the soft "Max open files" of /proc/self/limits', () => {
  const limits = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             63474                63474                processes ',
    'Max open files            20000                1048576              files     ',
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');
  assert.equal(parseFileLimit(limits), 20000);
  assert.equal(parseFileLimit(limits.replace('20000 ', 'unlimited')), undefined);
  assert.equal(parseFileLimit(''), undefined);
});

test('without --max-sockets the cap is --max-connections + 1024, within what the open-file limit leaves', () => {
  const base = { maxSockets: undefined, maxSocketsPerAddress: 1024, maxConnections: 10_000, headerTimeoutMs: 10_000 };
  const roomy = resolveSocketLimits({ ...base, fileLimit: 1_048_576 });
  assert.deepEqual(roomy, { limits: { maxSockets: 10_000 + HTTP_SOCKETS, maxSocketsPerAddress: 1024, adminReserve: ADMIN_RESERVE, headerTimeoutMs: 10_000, fileLimit: 1_048_576 }, warnings: [] });
  assert.equal(resolveSocketLimits({ ...base, fileLimit: undefined }).limits.maxSockets, 10_000 + HTTP_SOCKETS);

  // 20 000 files: a tenth for Kafka, route files and Node, then the two reserves and the admin listener.
  assert.equal(socketBudget(20_000), 20_000 - 2000 - ADMIN_RESERVE - ADMIN_LISTENER_SOCKETS - ADMIN_RESERVE);
  assert.equal(resolveSocketLimits({ ...base, maxConnections: 100_000, fileLimit: 20_000 }).limits.maxSockets, socketBudget(20_000));
  // 1024 (a common default): at least 128 kept for the rest.
  const tight = resolveSocketLimits({ ...base, fileLimit: 1024 });
  assert.equal(tight.limits.maxSockets, 1024 - 128 - 96);
  assert.equal(tight.warnings.length, 1);
  assert.match(tight.warnings[0]!, /open-file limit \(1024\) caps client sockets at 800, below --max-connections \(10000\)/);
  assert.equal(resolveSocketLimits({ ...base, fileLimit: 50 }).limits.maxSockets, 16, 'never below 16');
});

test('a given --max-sockets is kept, with a warning when the open-file limit cannot hold it', () => {
  const base = { maxSocketsPerAddress: 0, maxConnections: 10_000, headerTimeoutMs: 500 };
  assert.deepEqual(resolveSocketLimits({ ...base, maxSockets: 50, fileLimit: 1024 }).limits, { maxSockets: 50, maxSocketsPerAddress: 0, adminReserve: ADMIN_RESERVE, headerTimeoutMs: 500, fileLimit: 1024 });
  const over = resolveSocketLimits({ ...base, maxSockets: 5000, fileLimit: 1024 });
  assert.equal(over.limits.maxSockets, 5000);
  assert.match(over.warnings.join(), /--max-sockets 5000 is above the 800 client sockets/);
});

test('node:http checks request deadlines every tenth of the deadline, within 10 ms to 1 s', () => {
  assert.equal(deadlineCheckEvery(10_000), 1000);
  assert.equal(deadlineCheckEvery(300_000), 1000);
  assert.equal(deadlineCheckEvery(500), 50);
  assert.equal(deadlineCheckEvery(100), 10);
});
