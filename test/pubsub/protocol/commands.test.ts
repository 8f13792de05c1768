import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERROR_PREFIXES, PUSH_FIELDS, REPLY_FIELDS, REQUEST_FIELDS } from '../../../src/client/commands.js';
import { COMMAND_LABELS, COMMAND_NAMES, COMMANDS, ERROR_REPLY, KAFKA_OPERATIONS, PUSHES, type CommandSpec } from '../../../src/pubsub/index.js';
import { Registry } from '../../../src/server/metrics/registry.js';
import { createProxyMetrics } from '../../../src/server/metrics/proxy-metrics.js';
import { PubSubReq, PubSubResp } from '../../support/pubsub-proto.js';

// The command table is the one definition; everything that cannot import it is compared with it here.
describe('the PubSub command table', () => {
  test('agrees with proto/pubsub.proto (read by protobufjs): request and reply oneof fields by name and number', () => {
    const reqOneof = Object.fromEntries(PubSubReq.oneofs['req']!.fieldsArray.map((f) => [f.name, f.id]));
    const respOneof = Object.fromEntries(PubSubResp.oneofs['resp']!.fieldsArray.map((f) => [f.name, f.id]));
    // protobufjs names fields in camelCase; the table keeps the proto's snake_case.
    const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    assert.deepEqual(reqOneof, Object.fromEntries(COMMAND_NAMES.map((n) => [camel(COMMANDS[n].request), COMMANDS[n].requestField])));
    const replies: Record<string, number> = { [camel(ERROR_REPLY.reply)]: ERROR_REPLY.replyField };
    for (const p of Object.values(PUSHES)) replies[camel(p.reply)] = p.replyField;
    for (const n of COMMAND_NAMES) {
      const c: CommandSpec = COMMANDS[n];
      if (c.reply !== undefined && c.replyField !== undefined) replies[camel(c.reply)] = c.replyField;
    }
    assert.deepEqual(respOneof, replies);
  });

  test("APISIX's field numbers 31-34 keep their meaning", () => {
    assert.deepEqual(
      [COMMANDS.empty.requestField, COMMANDS.ping.requestField, COMMANDS.fetch.requestField, COMMANDS.list_offset.requestField, ERROR_REPLY.replyField],
      [31, 32, 33, 34, 31],
    );
  });

  test("the SDK's own constants equal the table", () => {
    assert.deepEqual(REQUEST_FIELDS, Object.fromEntries(COMMAND_NAMES.map((n) => [n, COMMANDS[n].requestField])));
    const replyFields: Record<string, number> = { error: ERROR_REPLY.replyField };
    for (const n of COMMAND_NAMES) {
      const c: CommandSpec = COMMANDS[n];
      if (c.replyField !== undefined) replyFields[n] = c.replyField;
    }
    assert.deepEqual(REPLY_FIELDS, replyFields);
    assert.deepEqual(PUSH_FIELDS, Object.fromEntries(Object.entries(PUSHES).map(([k, p]) => [k, p.replyField])));
    const prefixes: Record<string, string> = {};
    for (const n of COMMAND_NAMES) {
      const c: CommandSpec = COMMANDS[n];
      if (c.errorPrefix !== undefined) prefixes[n] = c.errorPrefix;
    }
    assert.deepEqual(ERROR_PREFIXES, prefixes);
  });

  test('metric labels and Kafka operations come from it', () => {
    assert.deepEqual(KAFKA_OPERATIONS, ['fetch', 'list_offset', 'produce', 'commit_offsets', 'fetch_committed']);
    assert.deepEqual(COMMAND_LABELS, [...COMMAND_NAMES, 'invalid']);
    const registry = new Registry();
    const metrics = createProxyMetrics(registry);
    for (const label of COMMAND_LABELS) metrics.commands.labels('r', label, 'ok').inc();
    metrics.stop();
    const text = registry.render();
    assert.match(text, new RegExp(`# HELP kwp_commands_total .*command: ${COMMAND_LABELS.join(', ')};`));
    for (const label of COMMAND_LABELS) assert.ok(text.includes(`kwp_commands_total{route="r",command="${label}",result="ok"} 1`), label);
  });
});
