import assert from 'node:assert/strict';
import { test } from 'node:test';
import { haproxyConfig } from '../support/haproxy-config.js';
import { readDoc } from './support.js';

test('docs/deployment.md shows the HAProxy configuration the replica tests run, for three hosts', () => {
  const block = /^```haproxy\n([\s\S]*?)^```/m.exec(readDoc('docs/deployment.md'))?.[1];
  assert.ok(block !== undefined, 'docs/deployment.md has no haproxy code block');
  const docs = haproxyConfig({
    bind: ':9080',
    servers: [1, 2, 3].map((i) => ({ name: `kwp${i}`, address: `10.0.0.1${i}:9080` })),
    checkInterval: '2s', fall: 2, rise: 2, maxconn: 50000, statsSocket: '/run/haproxy/admin.sock',
  });
  assert.equal(block, docs);
});
