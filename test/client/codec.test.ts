import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeReply, encodeRequest, type Command } from '../../src/client/codec.js';
import { encodeReq, encodeResp } from '../support/pubsub-proto.js';
import { Rng } from '../support/random.js';

/*
 * The SDK's eval-free codec against protobufjs reflection compiled from proto/pubsub.proto: the
 * same bytes for every request, the same values for every reply.
 */
const rng = new Rng(2024);

function randomCommand(): [Command, Record<string, unknown>] {
  const topic = rng.bool(0.1) ? '' : rng.string(20);
  const partition = rng.bool(0.2) ? 0 : rng.int(-5, 2 ** 31 - 1);
  const v = rng.bool(0.2) ? 0n : rng.int64();
  // Reflection writes a field it is given even when it is the default; give it only the set ones.
  const inner = { ...(topic !== '' ? { topic } : {}), ...(partition !== 0 ? { partition } : {}) };
  switch (rng.int(0, 6)) {
    case 0:
      return [{ cmdKafkaFetch: { topic, partition, offset: v } }, { cmdKafkaFetch: { ...inner, ...(v !== 0n ? { offset: v.toString() } : {}) } }];
    case 1:
      return [{ cmdKafkaListOffset: { topic, partition, timestamp: v } }, { cmdKafkaListOffset: { ...inner, ...(v !== 0n ? { timestamp: v.toString() } : {}) } }];
    case 2: {
      const state = rng.bytes(rng.int(0, 40));
      return [{ cmdPing: { state } }, { cmdPing: state.length > 0 ? { state } : {} }];
    }
    case 3: {
      const token = rng.bool(0.1) ? '' : rng.string(rng.int(1, 900));
      return [{ cmdAuthenticate: { token } }, { cmdAuthenticate: token !== '' ? { token } : {} }];
    }
    case 4: {
      const group = rng.bool(0.1) ? '' : rng.string(30);
      const offsets = new Map<number, bigint>();
      for (let i = rng.int(0, 5); i > 0; i--) offsets.set(rng.bool(0.2) ? 0 : rng.int(-3, 2 ** 31 - 1), rng.bool(0.2) ? 0n : rng.int64());
      const reflected = [...offsets].map(([p, o]) => ({ ...(p !== 0 ? { partition: p } : {}), ...(o !== 0n ? { offset: o.toString() } : {}) }));
      return [
        { cmdCommitOffsets: { group, topic, offsets } },
        { cmdCommitOffsets: { ...(group !== '' ? { group } : {}), ...(topic !== '' ? { topic } : {}), ...(reflected.length > 0 ? { offsets: reflected } : {}) } },
      ];
    }
    case 5: {
      const group = rng.bool(0.1) ? '' : rng.string(30);
      const partitions = Array.from({ length: rng.int(0, 4) }, () => rng.int(-3, 2 ** 31 - 1));
      return [
        { cmdFetchCommitted: { group, topic, partitions } },
        { cmdFetchCommitted: { ...(group !== '' ? { group } : {}), ...(topic !== '' ? { topic } : {}), ...(partitions.length > 0 ? { partitions } : {}) } },
      ];
    }
    default:
      return [{ cmdEmpty: {} }, { cmdEmpty: {} }];
  }
}

test('requests are byte for byte what protobufjs reflection writes', () => {
  for (let i = 0; i < 2000; i++) {
    const seq = rng.bool(0.1) ? 0n : rng.int64();
    const [command, reflected] = randomCommand();
    const want = encodeReq({ ...(seq !== 0n ? { sequence: seq.toString() } : {}), ...reflected });
    assert.deepEqual(Buffer.from(encodeRequest(seq, command)), want, JSON.stringify(reflected));
  }
});

test('replies with unknown fields and repeated oneof members decode as protobuf says', () => {
  const error = encodeResp({ sequence: '5', errorResp: { code: 3, message: 'x' } });
  const list = encodeResp({ sequence: '6', kafkaListOffsetResp: { offset: '-1' } });
  const unknown = Buffer.from([0xa0, 0x06, 0x01, 0xaa, 0x06, 0x02, 0x01, 0x02]); // fields 100 (varint) and 101 (bytes)
  assert.deepEqual(decodeReply(Buffer.concat([unknown, error, unknown, list])), { sequence: 6n, kind: 'listOffset', offset: -1n });
  assert.deepEqual(decodeReply(error), { sequence: 5n, kind: 'error', message: 'x' });
  const auth = encodeResp({ sequence: '7', authenticateResp: { subject: 'alice', expiresAtMs: '1893456000000' } });
  assert.deepEqual(decodeReply(auth), { sequence: 7n, kind: 'authenticate', subject: 'alice', expiresAtMs: 1893456000000n });
  const committed = encodeResp({ sequence: '8', committedOffsetsResp: { offsets: [{ partition: 0, offset: '5' }, { partition: 3, offset: '-1' }] } });
  assert.deepEqual(decodeReply(committed), { sequence: 8n, kind: 'committed', offsets: new Map([[0, 5n], [3, -1n]]) });
  assert.deepEqual(decodeReply(encodeResp({ sequence: '9', commitOffsetsResp: {} })), { sequence: 9n, kind: 'commitOffsets' });
  assert.throws(() => decodeReply(Buffer.from([0x08, 0x80])));
  assert.throws(() => decodeReply(Buffer.from([0x8a, 0x02, 0x05, 0x0a])));
});
