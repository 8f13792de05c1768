import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRequest, FrameDecodeError } from '../../../src/pubsub/index.js';
import { HEADER_HELD_BYTES, RECORD_HELD_BYTES } from '../../../src/pubsub/protocol/request.js';
import { encodeReq } from '../../support/pubsub-proto.js';
import { Rng } from '../../support/random.js';

const EDGES = [0n, 1n, -1n, -2n, 127n, 128n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];

test('requests encoded by protobufjs decode exactly, int64 over the whole range', () => {
  const rng = new Rng(5);
  const values = [...EDGES, ...Array.from({ length: 200 }, () => rng.int64())];
  for (const v of values) {
    const fetch = decodeRequest(encodeReq({ sequence: v.toString(), cmdKafkaFetch: { topic: 'orders', partition: 3, offset: v.toString() } }));
    assert.equal(fetch.sequence, v);
    assert.deepEqual(fetch.command, { type: 'fetch', topic: 'orders', partition: 3, offset: v });
    const list = decodeRequest(encodeReq({ sequence: '7', cmdKafkaListOffset: { topic: 'é漢-x', partition: -5, timestamp: v.toString() } }));
    assert.deepEqual(list, { sequence: 7n, command: { type: 'list_offset', topic: 'é漢-x', partition: -5, timestamp: v } });
  }
});

test('ping state is kept byte for byte, cmd_empty and no command are told apart', () => {
  const state = new Rng(1).bytes(300);
  const ping = decodeRequest(encodeReq({ sequence: '9', cmdPing: { state } }));
  assert.equal(ping.command?.type, 'ping');
  assert.deepEqual(ping.command?.type === 'ping' ? Buffer.from(ping.command.state) : null, state);
  assert.deepEqual(decodeRequest(encodeReq({ sequence: '2', cmdEmpty: {} })), { sequence: 2n, command: { type: 'empty' } });
  assert.deepEqual(decodeRequest(encodeReq({ sequence: '3' })), { sequence: 3n, command: undefined });
  assert.deepEqual(decodeRequest(Buffer.alloc(0)), { sequence: 0n, command: undefined });
  const emptyPing = decodeRequest(encodeReq({ cmdPing: {} }));
  assert.equal(emptyPing.command?.type === 'ping' ? emptyPing.command.state.length : -1, 0);
});

test('unknown fields are skipped and the last oneof member wins', () => {
  const fetch = encodeReq({ sequence: '1', cmdKafkaFetch: { topic: 't', partition: 1, offset: '5' } });
  const ping = encodeReq({ cmdPing: { state: Buffer.from('x') } });
  // field 2 varint, field 100 LEN, field 101 fixed64, field 102 fixed32: all unknown
  const unknown = Buffer.from([0x10, 0x96, 0x01, 0xa2, 0x06, 0x02, 0x61, 0x62, 0xa9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0xb5, 0x06, 1, 2, 3, 4]);
  const r = decodeRequest(Buffer.concat([unknown, fetch, unknown, ping]));
  assert.equal(r.sequence, 1n);
  assert.equal(r.command?.type, 'ping');
});

test('malformed frames give FrameDecodeError naming the position', () => {
  const good = encodeReq({ sequence: '300', cmdKafkaFetch: { topic: 'orders', partition: 1, offset: '99' } });
  const cases: Array<[string, Buffer, RegExp]> = [
    ['truncated varint', Buffer.from([0x08, 0x80]), /varint runs past the end at byte 1/],
    ['varint of 11 bytes', Buffer.from([0x08, ...Array(10).fill(0xff), 0x01]), /longer than 10 bytes/],
    ['length past the end', Buffer.from([0x8a, 0x02, 0x05, 0x0a]), /length 5 runs past the end at byte 2/],
    ['field number 0', Buffer.from([0x00, 0x01]), /field number 0 at byte 0/],
    ['wire type 7', Buffer.from([0x97, 0x03]), /unsupported wire type 7/],
    ['group wire type', Buffer.from([0x93, 0x03]), /unsupported wire type 3/],
    ['sequence as bytes', Buffer.from([0x0a, 0x00]), /field sequence has wire type 2/],
    ['fetch as varint', Buffer.from([0x88, 0x02, 0x01]), /field cmd_kafka_fetch has wire type 0/],
    ['cut in the middle', good.subarray(0, good.length - 3), /past the end/],
    ['inner length past the inner end', Buffer.from([0x8a, 0x02, 0x03, 0x0a, 0x05, 0x61]), /length 5 runs past the end/],
    ['fixed64 cut short', Buffer.from([0xa9, 0x06, 1, 2]), /fixed-width field runs past the end/],
  ];
  for (const [name, frame, message] of cases) {
    assert.throws(() => decodeRequest(frame), (e: unknown) => e instanceof FrameDecodeError && e.code === 'PUBSUB_ERR_DECODE' && message.test(e.message), name);
  }
});

test('random and mutated frames only ever give FrameDecodeError', () => {
  const rng = new Rng(77);
  const seeds = [
    encodeReq({ sequence: '300', cmdKafkaFetch: { topic: 'orders', partition: 1, offset: '99' } }),
    encodeReq({ sequence: '-1', cmdKafkaListOffset: { topic: 'a', partition: 0, timestamp: '-2' } }),
    encodeReq({ sequence: '5', cmdPing: { state: Buffer.from('hello') } }),
    encodeReq({ sequence: '6', cmdProduce: { topic: 't', partition: 2, idempotencyKey: 'k', records: [
      { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: '7', headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'n' }] }, {},
    ] } }),
  ];
  let errors = 0;
  for (let i = 0; i < 20000; i++) {
    let frame: Buffer;
    if (i % 2 === 0) frame = rng.bytes(rng.int(0, 40));
    else {
      frame = Buffer.from(seeds[i % seeds.length]!);
      for (let m = rng.int(1, 3); m > 0; m--) frame[rng.int(0, frame.length - 1)] = rng.int(0, 255);
    }
    try {
      // Half with a produce bound that cuts records short: counting without decoding must hold too.
      decodeRequest(frame, i % 4 < 2 ? Infinity : 40);
    } catch (e) {
      assert.ok(e instanceof FrameDecodeError, `frame ${frame.toString('hex')} threw ${String(e)}`);
      errors++;
    }
  }
  assert.ok(errors > 1000, `only ${errors} of 20000 random frames were rejected`);
});

test('produce: bytes count the frame plus what its decoded records and headers hold; past maxProduceBytes the rest is counted, not decoded', () => {
  const frame = encodeReq({ sequence: '1', cmdProduce: { topic: 't', records: [
    { value: Buffer.from('a'), headers: [{ key: 'h', value: Buffer.from('v') }, { key: 'n' }] },
    { key: Buffer.from('k') },
  ] } });
  const all = decodeRequest(frame).command;
  assert.ok(all?.type === 'produce');
  assert.equal(all.bytes, frame.length + 2 * RECORD_HELD_BYTES + 2 * HEADER_HELD_BYTES);
  assert.deepEqual(all.records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.length]), [[null, 'a', 2], ['k', null, 0]]);
  // 10,000 empty records: 20 KB of frame, far more in objects.
  const tiny = encodeReq({ sequence: '2', cmdProduce: { topic: 't', records: Array.from({ length: 10_000 }, () => ({})) } });
  const cut = decodeRequest(tiny, 64 * 1024).command;
  assert.ok(cut?.type === 'produce');
  assert.equal(cut.bytes, tiny.length + 10_000 * RECORD_HELD_BYTES, 'every record counted');
  assert.ok(cut.records.length < 300, `${cut.records.length} records decoded`);
});
