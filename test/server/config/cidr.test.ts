import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, makeAddressFilter, parseCidr } from '../../../src/server/config/index.js';

test('parseCidr takes IPv4 and IPv6 ranges and bare addresses', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
  assert.deepEqual(parseCidr('::1/128'), { address: '::1', prefix: 128, family: 'ipv6' });
  assert.deepEqual(parseCidr('0.0.0.0/0'), { address: '0.0.0.0', prefix: 0, family: 'ipv4' });
  assert.deepEqual(parseCidr('192.168.1.5'), { address: '192.168.1.5', prefix: 32, family: 'ipv4' });
  assert.deepEqual(parseCidr('fd00::'), { address: 'fd00::', prefix: 128, family: 'ipv6' });
  for (const bad of ['', '/8', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/+8', '10.0.0.0/08', '10.0.0/8', '::/129', 'localhost', 'fe80::1%eth0/64']) {
    assert.equal(parseCidr(bad), null, bad);
  }
});

test('the default admin allow list: loopback over IPv4, IPv6 and IPv4-mapped IPv6', () => {
  const allowed = makeAddressFilter(['127.0.0.0/8', '::1/128']);
  for (const a of ['127.0.0.1', '127.255.3.4', '::1', '::ffff:127.0.0.1', '::FFFF:127.0.0.1']) assert.equal(allowed(a), true, a);
  for (const a of ['10.0.0.1', '::2', '::ffff:10.0.0.1', '128.0.0.1', 'garbage', '', undefined]) assert.equal(allowed(a), false, String(a));
});

test('other ranges, bare addresses and zone ids', () => {
  const allowed = makeAddressFilter(['10.0.0.0/8', 'fd00::/8', '192.168.1.5', 'fe80::/10']);
  assert.equal(allowed('10.200.1.1'), true);
  assert.equal(allowed('::ffff:10.1.2.3'), true);
  assert.equal(allowed('fd12:3456::1'), true);
  assert.equal(allowed('192.168.1.5'), true);
  assert.equal(allowed('192.168.1.6'), false);
  assert.equal(allowed('fe80::1%eth0'), true, 'the zone id is not part of the address');
  assert.equal(allowed('fc00::1'), false);
  assert.equal(makeAddressFilter(['0.0.0.0/0'])('::ffff:8.8.8.8'), true);
});

test('an invalid CIDR is a ConfigError', () => {
  assert.throws(() => makeAddressFilter(['10.0.0.0/8', 'nope']), (e: unknown) => e instanceof ConfigError && e.field === 'admin_allow' && /"nope"/.test(e.message));
});
