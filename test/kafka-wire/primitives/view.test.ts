import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ViewMaker } from '../../../src/kafka-wire/primitives/view.js';

test('views are ordinary Buffers sharing the source memory', () => {
  const source = Buffer.from('..hello world..'); // small: a slice of Node's pool, so byteOffset is not 0
  const views = new ViewMaker();
  const v = views.view(source, 2, 5);
  assert.ok(Buffer.isBuffer(v));
  assert.ok(v instanceof Buffer);
  assert.equal(v.constructor, Buffer);
  assert.equal(Object.getPrototypeOf(v), Buffer.prototype);
  assert.equal(v.toString(), 'hello');
  assert.equal(v.toString('hex'), '68656c6c6f');
  assert.ok(v.equals(Buffer.from('hello')));
  assert.deepEqual(v, Buffer.from('hello'));
  assert.equal(v.buffer, source.buffer);
  assert.equal(v.byteOffset, source.byteOffset + 2);
  assert.equal(v.readUInt16BE(0), 0x6865);
  v[0] = 0x48; // writes through: a view, not a copy
  assert.equal(source.toString(), '..Hello world..');
  const sub = v.subarray(1, 3);
  assert.ok(Buffer.isBuffer(sub));
  assert.equal(sub.toString(), 'el');
  assert.equal(views.view(source, 15, 0).length, 0);
  assert.throws(() => views.view(source, source.buffer.byteLength, 1), RangeError); // past the ArrayBuffer
});

test('switching between sources gives views of the right one', () => {
  const a = Buffer.from('aaaaaaaa');
  const b = Buffer.concat([Buffer.from('bbbbbbbb')]);
  const views = new ViewMaker();
  assert.equal(views.view(a, 1, 3).toString(), 'aaa');
  assert.equal(views.view(b, 1, 3).toString(), 'bbb');
  assert.equal(views.view(a, 0, 8).toString(), 'aaaaaaaa');
  const u8 = new Uint8Array([1, 2, 3, 4]);
  const v = views.view(u8, 1, 2);
  assert.ok(Buffer.isBuffer(v));
  assert.deepEqual([...v], [2, 3]);
});
