import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PUBSUB_DESCRIPTOR } from '../../src/client/schema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Generator {
  generateSchemaSource(): string;
}

test('src/client/schema.ts is what scripts/gen-client-schema.mjs generates from proto/pubsub.proto now', async () => {
  const gen = (await import(pathToFileURL(join(root, 'scripts/gen-client-schema.mjs')).href)) as Generator;
  const want = gen.generateSchemaSource();
  assert.ok(want.includes('"KafkaFetchResp"') && want.includes('"highWatermark"'), 'the generator read the .proto');
  assert.equal(readFileSync(join(root, 'src/client/schema.ts'), 'utf8'), want, 'run: node scripts/gen-client-schema.mjs');
});

test('the descriptor keeps APISIX field numbers and our additions', () => {
  const nested = PUBSUB_DESCRIPTOR.nested;
  assert.equal(nested.PubSubReq.fields.cmdKafkaFetch.id, 33);
  assert.equal(nested.PubSubResp.fields.kafkaListOffsetResp.id, 34);
  assert.equal(nested.KafkaFetchResp.fields.highWatermark.type, 'int64');
  assert.equal(nested.KafkaHeader.fields.value.options.proto3_optional, true);
});
