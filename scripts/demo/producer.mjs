// A small Kafka producer for the demo and its tests, written with our own wire layer (no Kafka
// client dependency): Metadata to find each partition's leader, then Produce v3+ with one
// record batch per partition and acks=-1. Not idempotent and not batched across calls: it exists
// to put readable sample records into a local broker, not to be a production client.
//
//   import { produceBatch, startProducer, sampleOrder } from './scripts/demo/producer.mjs';
//   const produced = await produceBatch({ bootstrap: '127.0.0.1:14093', topic: 'demo', records: [...] });
//   const p = startProducer({ bootstrap, topic: 'demo', intervalMs: 300, onRecord: console.log });
//   await p.stop();
import { randomBytes } from 'node:crypto';
import {
  Connection, encodeRecordBatch, MetadataApi, ProduceApi, throwIfError,
} from '../../dist/src/kafka-wire/index.js';

/** acks=-1: the leader answers once every in-sync replica has the batch (all of one, here). */
const ACKS_ALL = -1;
const PRODUCE_TIMEOUT_MS = 10_000;
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * @typedef {{ key: string, value: Uint8Array | string | null }} HeaderInput
 * @typedef {{ partition: number, key: Uint8Array | string | null, value: Uint8Array | string | null,
 *   headers?: HeaderInput[], timestamp?: bigint }} RecordInput
 * @typedef {RecordInput & { topic: string, offset: bigint, timestamp: bigint, headers: HeaderInput[] }} ProducedRecord
 */

/**
 * Connections to the leaders of a topic's partitions, found through Metadata on the bootstrap
 * broker. With one broker every leader is the bootstrap itself, but a second broker (the
 * harness's node 2) may lead some partitions, so the leader is looked up rather than assumed.
 */
class Leaders {
  /** @param {string} bootstrap host:port @param {string} topic */
  static async open(bootstrap, topic) {
    const [host, port] = splitAddress(bootstrap);
    const first = await Connection.connect({ host, port, clientId: 'kafka-ws-proxy-demo' });
    const leaders = new Leaders(topic);
    leaders.conns.set(bootstrap, first);
    try {
      const md = await first.request(MetadataApi, { topics: [{ name: topic, topicId: ZERO_UUID }], allowAutoTopicCreation: false });
      const t = md.body.topics.find((x) => x.name === topic);
      if (t === undefined) throw new Error(`Metadata did not answer for topic ${topic}`);
      throwIfError('Metadata', md.version, t.errorCode, topic);
      leaders.topicId = t.topicId;
      const brokers = new Map(md.body.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
      for (const p of [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)) {
        throwIfError('Metadata', md.version, p.errorCode, `${topic}-${p.partitionIndex}`);
        const address = brokers.get(p.leaderId);
        if (address === undefined) throw new Error(`partition ${topic}-${p.partitionIndex} has no leader (node ${p.leaderId})`);
        leaders.addressOf.set(p.partitionIndex, address);
      }
      for (const address of new Set(leaders.addressOf.values())) {
        if (leaders.conns.has(address)) continue;
        const [h, pt] = splitAddress(address);
        leaders.conns.set(address, await Connection.connect({ host: h, port: pt, clientId: 'kafka-ws-proxy-demo' }));
      }
    } catch (e) {
      leaders.close();
      throw e;
    }
    return leaders;
  }

  /** @param {string} topic */
  constructor(topic) {
    this.topic = topic;
    this.topicId = ZERO_UUID;
    /** @type {Map<number, string>} partition -> leader host:port */
    this.addressOf = new Map();
    /** @type {Map<string, Connection>} */
    this.conns = new Map();
  }

  get partitions() {
    return this.addressOf.size;
  }

  get broken() {
    return [...this.conns.values()].some((c) => c.closed);
  }

  /**
   * Produces the records, each to its partition, one request per leader, and returns them with
   * the offsets Kafka gave them, in the order given.
   * @param {RecordInput[]} records
   * @param {Set<number>} [retryLeaderless] when given, a partition answered NOT_LEADER_OR_FOLLOWER
   *   or LEADER_NOT_AVAILABLE is added to it (its records keep offset -1) instead of thrown
   * @returns {Promise<ProducedRecord[]>}
   * @throws KafkaProtocolError (code KWIRE_ERR_KAFKA) for an error code in the response, the
   *   connection's ConnectionError when it fails, Error for a partition the topic does not have.
   */
  async produce(records, retryLeaderless) {
    /** @type {Map<number, number[]>} partition -> indexes into records, in order */
    const byPartition = new Map();
    records.forEach((r, i) => {
      if (!this.addressOf.has(r.partition)) throw new Error(`topic ${this.topic} has no partition ${r.partition} (it has ${this.partitions})`);
      const list = byPartition.get(r.partition) ?? [];
      list.push(i);
      byPartition.set(r.partition, list);
    });
    const now = BigInt(Date.now());
    /** @type {ProducedRecord[]} */
    const out = records.map((r) => ({ ...r, topic: this.topic, headers: r.headers ?? [], timestamp: r.timestamp ?? now, offset: -1n }));
    /** @type {Map<string, number[]>} leader -> partitions */
    const byLeader = new Map();
    for (const p of byPartition.keys()) {
      const a = /** @type {string} */ (this.addressOf.get(p));
      byLeader.set(a, [...(byLeader.get(a) ?? []), p]);
    }
    await Promise.all([...byLeader].map(async ([address, partitions]) => {
      const conn = /** @type {Connection} */ (this.conns.get(address));
      // v13 names the topic by id (KIP-516); lower versions by name. Both are given; the codec
      // writes the one the negotiated version has.
      const res = await conn.request(ProduceApi, {
        transactionalId: null,
        acks: ACKS_ALL,
        timeoutMs: PRODUCE_TIMEOUT_MS,
        topicData: [{
          name: this.topic,
          topicId: this.topicId,
          partitionData: partitions.map((p) => ({
            index: p,
            records: encodeRecordBatch({ records: (byPartition.get(p) ?? []).map((i) => out[i]) }),
          })),
        }],
      });
      const answered = res.body.responses[0]?.partitionResponses ?? [];
      for (const p of partitions) {
        const pr = answered.find((x) => x.index === p);
        if (pr === undefined) throw new Error(`Produce v${res.version} did not answer for ${this.topic}-${p}`);
        const detail = pr.errorMessage ?? pr.recordErrors[0]?.batchIndexErrorMessage ?? null;
        if (LEADERLESS.has(pr.errorCode) && retryLeaderless !== undefined) {
          // Nothing of this partition was written: the caller sends its records again.
          retryLeaderless.add(p);
          continue;
        }
        throwIfError('Produce', res.version, pr.errorCode, `${this.topic}-${p}`, detail);
        (byPartition.get(p) ?? []).forEach((i, n) => {
          /** @type {ProducedRecord} */ (out[i]).offset = pr.baseOffset + BigInt(n);
        });
      }
    }));
    return out;
  }

  close() {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

/**
 * Produces `records` once and closes its connections.
 * @param {{ bootstrap: string, topic: string, records: RecordInput[] }} o
 * @returns {Promise<ProducedRecord[]>} the records with their offsets and timestamps, in the order given
 */
export async function produceBatch({ bootstrap, topic, records }) {
  /** @type {(ProducedRecord | undefined)[]} */
  const out = records.map(() => undefined);
  let todo = records.map((_, i) => i);
  // A broker that has just restarted answers NOT_LEADER_OR_FOLLOWER or LEADER_NOT_AVAILABLE until
  // its partitions have leaders again; only those partitions' records are sent again, so none is
  // written twice.
  for (const deadline = Date.now() + LEADERLESS_WAIT_MS; ; ) {
    /** @type {Set<number>} */
    const leaderless = new Set();
    let leaders;
    try {
      leaders = await Leaders.open(bootstrap, topic);
    } catch (e) {
      const name = /** @type {{ errorName?: string }} */ (e).errorName;
      if (Date.now() > deadline || (name !== 'LEADER_NOT_AVAILABLE' && name !== 'NOT_LEADER_OR_FOLLOWER')) throw e;
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      const sent = await leaders.produce(todo.map((i) => records[i]), leaderless);
      todo.forEach((i, n) => {
        if (!leaderless.has(records[i].partition)) out[i] = sent[n];
      });
    } finally {
      leaders.close();
    }
    todo = todo.filter((i) => out[i] === undefined);
    if (todo.length === 0) return /** @type {ProducedRecord[]} */ (out);
    if (Date.now() > deadline) throw new Error(`${topic}: partitions ${[...leaderless].join(', ')} had no leader for ${LEADERLESS_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Kafka's NOT_LEADER_OR_FOLLOWER and LEADER_NOT_AVAILABLE: nothing written, retriable. */
const LEADERLESS = new Set([6, 5]);
const LEADERLESS_WAIT_MS = 20_000;

const CUSTOMERS = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'frances'];
const ITEMS = [
  ['espresso beans 1 kg', 18.5], ['pour-over kettle', 42], ['ceramic mug', 9.9], ['hand grinder', 65],
  ['paper filters x100', 4.2], ['milk jug', 14], ['scale 0.1 g', 27.5], ['travel tumbler', 21],
];

/**
 * The n-th sample order: key `order-<n>`, a JSON value, headers `source`, `trace-id` and `sent-at`
 * (now, in milliseconds since the epoch, as decimal text: the demo page's produce-to-page latency
 * is its receive time less this). Deterministic in n except for the trace id and the times.
 * @param {number} n
 * @param {number} partitions records go round-robin over the partitions
 * @returns {RecordInput}
 */
export function sampleOrder(n, partitions = 1) {
  const [item, price] = /** @type {[string, number]} */ (ITEMS[n % ITEMS.length]);
  const quantity = 1 + (n % 3);
  const value = {
    orderId: n,
    customer: CUSTOMERS[(n * 5) % CUSTOMERS.length],
    item,
    quantity,
    total: Math.round(price * quantity * 100) / 100,
    currency: 'EUR',
    createdAt: new Date().toISOString(),
  };
  return {
    partition: n % partitions,
    key: `order-${n}`,
    value: JSON.stringify(value),
    headers: [
      { key: 'source', value: 'kafka-ws-proxy-demo' },
      { key: 'trace-id', value: randomBytes(8).toString('hex') },
      { key: 'sent-at', value: String(Date.now()) },
    ],
  };
}

/**
 * Produces one sample order every `intervalMs` (the next only after the previous was acknowledged,
 * so there is never more than one request in flight), round-robin over the partitions. On an
 * error it reports it, drops its connections and tries again at the next tick (a broker restart
 * or a leader move heals by itself).
 * @param {{ bootstrap: string, topic: string, partitions?: number, intervalMs?: number,
 *   onRecord?: (r: ProducedRecord) => void, onError?: (e: unknown) => void }} o
 *   `partitions` defaults to the topic's partition count; `onError` to a line on stderr.
 * @returns {{ stop(): Promise<void>, produced: ProducedRecord[] }} `produced` grows as records are acknowledged
 */
export function startProducer({ bootstrap, topic, partitions, intervalMs = 300, onRecord, onError }) {
  /** @type {ProducedRecord[]} */
  const produced = [];
  /** @type {Leaders | undefined} */
  let leaders;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  let stopped = false;
  let n = 0;
  /** @type {Promise<void>} */
  let running = Promise.resolve();
  const report = onError ?? ((e) => process.stderr.write(`demo producer: ${e instanceof Error ? e.message : String(e)}\n`));

  const tick = async () => {
    try {
      if (leaders === undefined || leaders.broken) {
        leaders?.close();
        leaders = await Leaders.open(bootstrap, topic);
      }
      const spread = Math.min(partitions ?? leaders.partitions, leaders.partitions);
      // Made just before it is sent, so its sent-at header is the send time.
      const [record] = await leaders.produce([sampleOrder(n, spread)]);
      n++;
      if (record !== undefined) {
        produced.push(record);
        onRecord?.(record);
      }
    } catch (e) {
      leaders?.close();
      leaders = undefined;
      if (!stopped) report(e);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().then(schedule);
    }, intervalMs);
  };
  running = tick().then(schedule);

  return {
    produced,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      clearTimeout(timer);
      leaders?.close();
      leaders = undefined;
    },
  };
}

/** @param {string} address host:port, IPv6 in brackets @returns {[string, number]} */
function splitAddress(address) {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (m === null) throw new Error(`broker address ${JSON.stringify(address)} is not host:port`);
  return [/** @type {string} */ (m[1]), Number(m[2])];
}
