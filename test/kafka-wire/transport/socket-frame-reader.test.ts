import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { BufferPool } from '../../../src/kafka-wire/index.js';
import { SocketFrameReader } from '../../../src/kafka-wire/transport/socket-frame-reader.js';
import { Rng } from '../../support/random.js';

function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(payloads.flatMap((p) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(p.length);
    return [size, p];
  }));
}

/** Feeds `stream` as a socket would: each read fills at most `readSize()` bytes of `target()`. */
function feed(r: SocketFrameReader, stream: Buffer, readSize: () => number): void {
  for (let p = 0; p < stream.length;) {
    const t = r.target();
    assert.ok(t.length > 0, `the reader offered no room at byte ${p}`);
    const n = Math.min(t.length, stream.length - p, readSize());
    stream.copy(t, 0, p, p + n);
    p += n;
    assert.equal(r.filled(n), true);
  }
}

const SCRATCH = 64 * 1024;

describe('SocketFrameReader', () => {
  test('any read sizes yield the same frames: empty, small, at the scratch size, and large', () => {
    const rng = new Rng(11);
    const sizes = [0, 1, 3, 4, 100, SCRATCH - 5, SCRATCH - 4, SCRATCH - 3, SCRATCH, SCRATCH + 1, 300_000];
    for (let round = 0; round < 60; round++) {
      const payloads = Array.from({ length: rng.int(1, 10) }, () => rng.bytes(rng.bool(0.3) ? sizes[rng.int(0, sizes.length - 1)]! : rng.int(0, 5000)));
      const got: Buffer[] = [];
      const r = new SocketFrameReader(1 << 20, new BufferPool({ minBytes: 8192, maxFreeBytes: 1 << 22 }), (f) => got.push(f), () => assert.fail('no frame is oversize'));
      const maxRead = [1, 7, 4096, 70_000, 1 << 20][round % 5]!;
      feed(r, framed(payloads), () => rng.int(1, maxRead));
      assert.equal(got.length, payloads.length, `round ${round}`);
      for (let i = 0; i < payloads.length; i++) assert.ok(got[i]!.equals(payloads[i]!), `round ${round} frame ${i}`);
      assert.equal(r.bufferedBytes, 0);
    }
  });

  test('frames belong to the receiver: later reads never overwrite a delivered frame', () => {
    const payloads = [Buffer.alloc(10, 1), Buffer.alloc(20_000, 2), Buffer.alloc(200_000, 3), Buffer.alloc(10, 4), Buffer.alloc(20_000, 5)];
    const got: Buffer[] = [];
    const r = new SocketFrameReader(1 << 20, new BufferPool({ minBytes: 8192, maxFreeBytes: 1 << 22 }), (f) => got.push(f), () => {});
    feed(r, framed(payloads), () => 5000);
    feed(r, framed(payloads.map((p) => Buffer.alloc(p.length, 9))), () => 5000);
    for (let i = 0; i < payloads.length; i++) assert.ok(got[i]!.equals(payloads[i]!), `frame ${i} kept its bytes`);
  });

  test('a large frame is read in place: the socket writes into the frame the receiver gets', () => {
    const payload = Buffer.alloc(500_000, 6);
    let frame: Buffer | undefined;
    const r = new SocketFrameReader(1 << 20, new BufferPool({ minBytes: 8192, maxFreeBytes: 0 }), (f) => (frame = f), () => {});
    const stream = framed([payload]);
    // The first read brings the prefix and a little; the rest must be offered as the frame itself.
    const first = r.target();
    stream.copy(first, 0, 0, 1000);
    r.filled(1000);
    const rest = r.target();
    assert.equal(rest.length, payload.length - 996, 'the offered room is exactly the rest of the frame');
    stream.copy(rest, 0, 1000);
    r.filled(rest.length);
    assert.ok(frame !== undefined, 'a frame was delivered');
    assert.ok(frame.equals(payload));
    assert.equal(frame.buffer, rest.buffer, 'the same memory: no copy after the first read');
  });

  test('released frames are reused by later ones', () => {
    const pool = new BufferPool({ minBytes: 8192, maxFreeBytes: 1 << 22 });
    const got: Buffer[] = [];
    const r = new SocketFrameReader(1 << 20, pool, (f) => got.push(f), () => {});
    feed(r, framed([Buffer.alloc(100_000, 1)]), () => 65536);
    pool.release(got[0]!);
    feed(r, framed([Buffer.alloc(100_001, 2)]), () => 65536);
    assert.equal(got[1]!.buffer, got[0]!.buffer);
    assert.ok(got[1]!.equals(Buffer.alloc(100_001, 2)));
  });

  test('an oversize or negative size is reported with its prefix and nothing is buffered', () => {
    const seen: Array<[number, string]> = [];
    const frames: Buffer[] = [];
    const r = new SocketFrameReader(10, new BufferPool({ minBytes: 8192, maxFreeBytes: 0 }), (f) => frames.push(f), (size, prefix) => seen.push([size, prefix.toString('hex')]));
    feed(r, framed([Buffer.alloc(11)]).subarray(0, 8), () => 100);
    assert.deepEqual(seen, [[11, '0000000b']]);
    assert.equal(r.bufferedBytes, 0);
    feed(r, Buffer.from([0xff, 0xff, 0xff, 0xff]), () => 100);
    assert.deepEqual(seen[1], [-1, 'ffffffff']);
    assert.equal(frames.length, 0);
  });

  test('a receiver that resets the reader mid-read stops the delivery of the frames after it', () => {
    const got: Buffer[] = [];
    const r = new SocketFrameReader(1 << 20, new BufferPool({ minBytes: 8192, maxFreeBytes: 0 }), (f) => {
      got.push(f);
      r.reset();
    }, () => {});
    feed(r, framed([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]), () => 100);
    assert.deepEqual(got.map((f) => f.toString()), ['a']);
  });

  test('over a real socket with Node onread, 200 mixed frames arrive intact', async () => {
    const rng = new Rng(5);
    const payloads = Array.from({ length: 200 }, (_, i) => rng.bytes(i % 10 === 0 ? rng.int(65_000, 400_000) : rng.int(0, 3000)));
    const stream = framed(payloads);
    const server = createServer((s) => s.end(stream));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { connect } = await import('node:net');
      const got: Buffer[] = [];
      const r = new SocketFrameReader(1 << 20, new BufferPool({ minBytes: 8192, maxFreeBytes: 1 << 22 }), (f) => got.push(f), () => assert.fail('oversize'));
      await new Promise<void>((resolve, reject) => {
        const c = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', onread: { buffer: r.target, callback: r.filled } });
        c.on('end', resolve).on('error', reject);
      });
      assert.equal(got.length, payloads.length);
      for (let i = 0; i < payloads.length; i++) assert.ok(got[i]!.equals(payloads[i]!), `frame ${i}`);
    } finally {
      server.close();
    }
  });
});
