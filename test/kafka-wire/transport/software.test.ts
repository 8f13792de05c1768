import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CLIENT_SOFTWARE } from '../../../src/kafka-wire/index.js';

test("the client names itself to brokers with package.json's name and version (KIP-511)", () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  assert.deepEqual({ ...CLIENT_SOFTWARE }, { name: pkg.name, version: pkg.version });
  assert.match(CLIENT_SOFTWARE.version, /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/, 'a value brokers accept');
});
