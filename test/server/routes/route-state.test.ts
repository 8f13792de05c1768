import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { RouteKeyError } from '../../../src/server/errors.js';
import { encodeRouteValue, type RoutePayload } from '../../../src/server/routes/kafka-record.js';
import { KeyRing } from '../../../src/server/routes/key-ring.js';
import type { KafkaRoute, RouteValue } from '../../../src/server/routes/route.js';
import { keepsClaim, resolveRoutes, type LogEntry } from '../../../src/server/routes/route-log.js';
import { RouteTopicState } from '../../../src/server/routes/route-state.js';
import type { TopicRecord } from '../../../src/server/routes/route-topic.js';
import { validateRoute } from '../../../src/server/routes/schema.js';
import { Rng } from '../../support/random.js';

const ring = new KeyRing([{ kid: 'k1', key: randomBytes(32) }]);
const ME = 'writer-me';

function value(id: string, uri: string, extra: Record<string, unknown> = {}): RouteValue {
  return { id, uri, create_time: 1, update_time: 1, upstream: { scheme: 'kafka', nodes: { 'k:9092': 1 } }, ...extra } as RouteValue;
}

function rec(offset: number, id: string, payload: RoutePayload | null, seq?: number, r: KeyRing = ring): TopicRecord {
  return {
    offset: BigInt(offset), key: Buffer.from(id), value: payload === null ? null : encodeRouteValue(id, payload, r),
    writer: seq === undefined ? 'writer-other' : ME, seq,
  };
}

interface Change {
  id: string;
  before: bigint | undefined;
  after: bigint | undefined;
}

function makeState(statics: ReadonlyMap<string, KafkaRoute> = new Map()) {
  const changes: Change[] = [];
  const logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const initials: boolean[] = [];
  const state = new RouteTopicState({
    ring, statics, writerId: ME,
    changed: (list, initial) => {
      for (const { id, before, after } of list) changes.push({ id, before: before?.offset, after: after?.offset });
      initials.push(initial);
    },
    log: (level, message, fields) => logs.push({ level, message, ...(fields !== undefined ? { fields } : {}) }),
  });
  return { state, changes, logs, initials };
}

/** A state that has read an empty topic: records apply one by one from here. */
function following(statics?: ReadonlyMap<string, KafkaRoute>) {
  const s = makeState(statics);
  s.state.restart(0n);
  s.state.caughtUp();
  return s;
}

describe('RouteTopicState: order', () => {
  test('records apply in offset order, each once: a record again, or one below the position, changes nothing', () => {
    const { state, changes } = following();
    state.records([rec(0, 'a', { value: value('a', '/a') }), rec(1, 'b', { value: value('b', '/b') })]);
    assert.deepEqual(changes, [{ id: 'a', before: undefined, after: 0n }, { id: 'b', before: undefined, after: 1n }]);
    state.records([rec(1, 'b', { value: value('b', '/b2') }), rec(0, 'a', null)]);
    assert.equal(changes.length, 2, 'a record at an applied offset is not applied again');
    assert.equal(state.effective('a')?.offset, 0n);
    state.records([rec(2, 'a', null), rec(2, 'a', { value: value('a', '/x') }), rec(3, 'b', null)]);
    assert.deepEqual(changes.slice(2), [{ id: 'a', before: 0n, after: undefined }, { id: 'b', before: 1n, after: undefined }]);
  });

  test('a read from the start changes nothing until it is complete, then only the difference', () => {
    const { state, changes, initials } = following();
    state.records([rec(0, 'a', { value: value('a', '/a') }), rec(1, 'b', { value: value('b', '/b') })]);
    assert.deepEqual(initials, [false, false], 'records read after the first read are changes, not the first load');
    changes.length = 0;
    state.restart(0n);
    assert.equal(state.reading, true);
    state.records([rec(0, 'a', { value: value('a', '/a') }), rec(1, 'b', { value: value('b', '/b') }), rec(2, 'a', { value: value('a', '/a2') }), rec(3, 'c', { value: value('c', '/c') }), rec(4, 'b', null)]);
    assert.deepEqual(changes, [], 'nothing while reading');
    state.caughtUp();
    assert.equal(state.reading, false);
    assert.deepEqual(initials.slice(2), [false], 'a second read from the start reports real changes, in one batch');
    assert.deepEqual((changes as Change[]).sort((x, y) => (x.id < y.id ? -1 : 1)), [
      { id: 'a', before: 0n, after: 2n }, { id: 'b', before: 1n, after: undefined }, { id: 'c', before: undefined, after: 3n },
    ]);
  });

  test('the first read from the start reports its routes in one batch, marked initial', () => {
    const { state, changes, initials } = makeState();
    state.restart(0n);
    state.records([rec(0, 'a', { value: value('a', '/a') }), rec(1, 'b', { value: value('b', '/b') })]);
    state.caughtUp();
    assert.deepEqual(initials, [true]);
    assert.equal(changes.length, 2);
  });

  test('a read from the start decrypts only last records: a replaced record under an unknown key is fine, a last one is fatal', () => {
    const gone = new KeyRing([{ kid: 'retired', key: randomBytes(32) }]);
    const ok = makeState();
    ok.state.restart(0n);
    ok.state.records([rec(0, 'a', { value: value('a', '/a') }, undefined, gone), rec(1, 'a', { value: value('a', '/a') })]);
    ok.state.caughtUp();
    assert.equal(ok.state.effective('a')?.offset, 1n);
    assert.deepEqual(ok.state.keysInUse(), { k1: 1 });

    const bad = makeState();
    bad.state.restart(0n);
    bad.state.records([rec(0, 'a', { value: value('a', '/a') }), rec(1, 'b', { value: value('b', '/b') }, undefined, gone)]);
    assert.throws(() => bad.state.caughtUp(), (e: unknown) => e instanceof RouteKeyError && e.reason === 'unknown_kid' && /key retired/.test(e.message));
    assert.deepEqual(bad.changes, [], 'nothing is applied');

    const live = following();
    assert.throws(() => live.state.records([rec(0, 'b', { value: value('b', '/b') }, undefined, gone)]), RouteKeyError);
    assert.deepEqual(live.changes, []);
  });

  test('a record that does not authenticate: skipped under a key that decrypts others, fatal under one that decrypts none', () => {
    const impostor = new KeyRing([{ kid: 'k1', key: randomBytes(32) }]);
    const forged = (offset: number, id: string) => rec(offset, id, { value: value(id, `/${id}`) }, undefined, impostor);
    // At start, in either order: the good record proves the key, the forged one is skipped.
    for (const order of [[forged(0, 'f'), rec(1, 'g', { value: value('g', '/g') })], [rec(0, 'g', { value: value('g', '/g') }), forged(1, 'f')]]) {
      const { state, logs } = makeState();
      state.restart(0n);
      state.records(order);
      state.caughtUp();
      assert.equal(state.effective('g')?.route.uri, '/g');
      assert.equal(state.effective('f'), undefined);
      assert.ok(logs.some((l) => /unusable/.test(l.message) && /does not authenticate under key k1, which decrypts other records/.test(String(l.fields?.['error']))));
    }
    // Following, once the key is proven: skipped, and it deletes its id like any unusable record.
    const live = following();
    live.state.records([rec(0, 'g', { value: value('g', '/g') })]);
    live.state.records([forged(1, 'g')]);
    assert.equal(live.state.effective('g'), undefined);
    // Nothing proves the key: it is the wrong one.
    const wrong = makeState();
    wrong.state.restart(0n);
    wrong.state.records([forged(0, 'a'), forged(1, 'b')]);
    assert.throws(() => wrong.state.caughtUp(), (e: unknown) => e instanceof RouteKeyError && e.reason === 'bad_key' && e.kid === 'k1');
    const fresh = following();
    assert.throws(() => fresh.state.records([forged(0, 'a')]), (e: unknown) => e instanceof RouteKeyError && e.reason === 'bad_key');
  });

  test('a record that holds no usable route deletes its id, and one whose key is not a route id is ignored, both logged', () => {
    const { state, changes, logs } = following();
    state.records([rec(0, 'a', { value: value('a', '/a') })]);
    state.records([rec(1, 'a', { value: value('a', '/a', { upstream: { scheme: 'http', nodes: { 'k:1': 1 } } }) })]);
    assert.deepEqual(changes[1], { id: 'a', before: 0n, after: undefined });
    assert.ok(logs.some((l) => l.level === 'error' && /unusable/.test(l.message) && /SERVER_ERR_ROUTE_RECORD/.test(String(l.fields?.['code']))));
    state.records([{ offset: 2n, key: Buffer.from('not a route id!'), value: null, writer: undefined, seq: undefined }, { offset: 3n, key: null, value: Buffer.from('x'), writer: undefined, seq: undefined }]);
    assert.equal(changes.length, 2);
    assert.equal(logs.filter((l) => /ignored/.test(l.message)).length, 2);
  });

  test('own records come back with their outcome: created or replaced, the route in effect', () => {
    const { state } = following();
    const [created] = state.records([rec(0, 'a', { value: value('a', '/a') }, 1)]);
    assert.equal(created?.seq, 1);
    assert.equal(created?.outcome.existed, false);
    assert.equal(created?.outcome.entry?.route.uri, '/a');
    const [replaced] = state.records([rec(1, 'a', { value: value('a', '/a2') }, 2)]);
    assert.equal(replaced?.outcome.existed, true);
    assert.equal(replaced?.outcome.entry?.offset, 1n);
    assert.deepEqual(state.records([rec(2, 'a', { value: value('a', '/a3') })]), [], 'another writer\'s record has no outcome here');
  });
});

describe('RouteTopicState: one uri, two routes', () => {
  test('the earlier hold keeps the uri; the later record is shadowed on every replica and its writer told', () => {
    const { state } = following();
    state.records([rec(0, 'first', { value: value('first', '/x') })]);
    const [o] = state.records([rec(1, 'second', { value: value('second', '/x') }, 5)]);
    assert.equal(o?.outcome.shadowedBy, 'first');
    assert.equal(o?.outcome.entry, undefined);
    assert.equal(state.effective('second'), undefined);
    assert.equal(state.shadowedBy('second'), 'first');
  });

  test('a replace that keeps the uri keeps its rank: an update of the holder does not hand the uri to a shadowed record', () => {
    const { state } = following();
    state.records([rec(0, 'holder', { value: value('holder', '/x') }), rec(1, 'late', { value: value('late', '/x') })]);
    assert.equal(state.shadowedBy('late'), 'holder');
    state.records([rec(2, 'holder', { value: value('holder', '/x', { desc: 'edited' }), created: 1, claim: 0n })]);
    assert.equal(state.effective('holder')?.offset, 2n);
    assert.equal(state.shadowedBy('late'), 'holder');
    // Without the claim the update would rank after `late`, which would take the uri.
    const other = following();
    other.state.records([rec(0, 'holder', { value: value('holder', '/x') }), rec(1, 'late', { value: value('late', '/x') }), rec(2, 'holder', { value: value('holder', '/x') })]);
    assert.equal(other.state.shadowedBy('holder'), 'late');
  });

  test('static routes outrank every record and keep their ids; disabled routes and prefix against exact never clash', () => {
    const statics = new Map([['static', validateRoute(value('static', '/s'), 'static')]]);
    const { state } = following(statics);
    state.records([rec(0, 'a', { value: value('a', '/s') }), rec(1, 'static', { value: value('static', '/t') })]);
    assert.equal(state.shadowedBy('a'), 'static');
    assert.equal(state.effective('static'), undefined, 'a record never takes a static id');
    state.records([rec(2, 'b', { value: value('b', '/s', { status: 0 }) }), rec(3, 'c', { value: value('c', '/s*') })]);
    assert.equal(state.effective('b')?.offset, 2n);
    assert.equal(state.effective('c')?.offset, 3n);
  });

  test('a shadowed record left in the topic takes effect once the uri is free (what the writer\'s restore prevents)', () => {
    const { state, changes } = following();
    state.records([rec(0, 'first', { value: value('first', '/x') }), rec(1, 'second', { value: value('second', '/x') })]);
    changes.length = 0;
    state.records([rec(2, 'first', null)]);
    assert.deepEqual(changes, [{ id: 'first', before: 0n, after: undefined }, { id: 'second', before: undefined, after: 1n }]);
  });
});

describe('RouteTopicState: compaction', () => {
  /**
   * Random writes to a few ids and uris: deletes, disabled routes, unusable records, claims as a
   * writer takes them (the rank of the route it replaces when it keeps the uri) and stale or
   * arbitrary ones (a writer's view lags). Property: a replica that followed every record and one
   * that reads the compacted topic (the last record per id; tombstones kept or already dropped)
   * hold the same routes and shadow the same records.
   */
  function run(seed: number, dropTombstones: boolean): void {
    const rng = new Rng(seed);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const uris = ['/1', '/2', '/3'];
    const follower = following();
    const log: TopicRecord[] = [];
    for (let offset = 0; offset < 300; offset++) {
      const id = ids[rng.int(0, ids.length - 1)]!;
      let r: TopicRecord;
      if (rng.bool(0.2)) r = rec(offset, id, null);
      else {
        const v = rng.bool(0.05)
          ? value(id, '/bad', { upstream: { scheme: 'http', nodes: { 'k:1': 1 } } })
          : value(id, uris[rng.int(0, uris.length - 1)]!, rng.bool(0.15) ? { status: 0 } : {});
        const payload: RoutePayload = { value: v };
        const before = follower.state.latest(id);
        const pick = rng.next();
        if (pick < 0.5 && before !== undefined && v['uri'] !== '/bad' && keepsClaim(before.route, validateRoute(v, id))) {
          payload.claim = before.rank;
          payload.created = before.createdIndex;
        } else if (pick < 0.6 && offset > 0) {
          payload.claim = BigInt(rng.int(0, offset - 1));
        }
        r = rec(offset, id, payload);
      }
      log.push(r);
      follower.state.records([r]);
    }
    const last = new Map<string, TopicRecord>();
    for (const r of log) last.set(r.key!.toString(), r);
    const compacted = [...last.values()].filter((r) => !dropTombstones || r.value !== null).sort((x, y) => (x.offset < y.offset ? -1 : 1));
    const fresh = makeState();
    fresh.state.restart(0n);
    fresh.state.records(compacted);
    fresh.state.caughtUp();
    for (const id of ids) {
      assert.equal(fresh.state.effective(id)?.offset, follower.state.effective(id)?.offset, `seed ${seed}: route ${id}`);
      assert.equal(fresh.state.effective(id)?.createdIndex, follower.state.effective(id)?.createdIndex, `seed ${seed}: createdIndex of ${id}`);
      assert.equal(fresh.state.shadowedBy(id), follower.state.shadowedBy(id), `seed ${seed}: shadow of ${id}`);
    }
  }

  test('a replica that followed every record and one that reads the compacted topic hold the same routes', () => {
    for (let seed = 1; seed <= 60; seed++) run(seed, seed % 2 === 0);
  });

  test('resolveRoutes does not depend on the order its map was filled in', () => {
    const entries: Array<[string, LogEntry]> = ['a', 'b', 'c', 'd'].map((id, i) => [id, {
      offset: BigInt(10 - i), rank: BigInt([3, 1, 2, 1][i]!), createdIndex: 1, kid: 'k1', route: validateRoute(value(id, '/same'), id),
    }]);
    const want = resolveRoutes(new Map(entries), new Map());
    assert.deepEqual([...want.effective.keys()], ['d'], 'lowest rank, then lowest offset');
    for (let i = 0; i < 10; i++) {
      const shuffled = [...entries].sort(() => Math.random() - 0.5);
      const got = resolveRoutes(new Map(shuffled), new Map());
      assert.deepEqual([...got.effective.keys()], ['d']);
      assert.deepEqual(new Map([...got.shadowed].sort()), new Map([['a', 'd'], ['b', 'd'], ['c', 'd']]));
    }
  });
});
