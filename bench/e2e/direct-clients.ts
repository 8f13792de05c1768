/**
 * The same fetch a proxy client makes, done directly from Node against the broker: by our
 * KafkaClient and by the peers KafkaJS and @platformatic/kafka. One client object per process,
 * shared by every fetch loop, as a Node service shares one client.
 *
 * Each peer is used at the level where N independent single-partition fetch loops are possible:
 * - KafkaJS: its Cluster and Broker (`broker.fetch`, Fetch v11). Its Consumer only reads through a
 *   consumer group, which would measure group coordination, not fetching.
 * - @platformatic/kafka: its `Connection` plus `fetchV17.api` (sessionless: session id 0, epoch
 *   -1) and its record parser. `Consumer.fetch` keeps one KIP-227 fetch session per broker, which
 *   concurrent single-partition loops would keep invalidating (INVALID_FETCH_SESSION_EPOCH).
 * Peers are loaded from bench/node_modules as `unknown` and narrowed here (see bench/decode.ts).
 *
 * Every implementation hands each record to user code the way its API does (ours: the key and
 * value getters, which make views; the peers build their record objects anyway), and counts
 * only records at or after the fetch offset (Kafka returns whole batches). Ours then releases the
 * response (FetchResult.release), its documented fast path and what the proxy does too.
 *
 * Producing (the produce phase), each with acks=all, no compression, Kafka's default partitioner:
 * - ours: the idempotent Producer the proxy shares between its clients, on a KafkaClient of its
 *   own (as KafkaClientRegistry.acquireProducer gives the proxy), linger 1 ms (the route default);
 * - KafkaJS: its Producer, not idempotent (idempotence caps it at one request in flight);
 * - @platformatic/kafka: its Producer, not idempotent for the same reason (it sets maxInflights 1).
 * Neither peer batches across send calls: each call is its own request per broker.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KafkaClient, Producer } from '../../src/kafka-wire/index.js';
import { benchDir } from '../inputs.js';

export type DirectName = 'ours' | 'kafkajs' | 'platformatic';

/** What one fetch delivered, written into a reused object. */
export interface FetchCount {
  messages: number;
  payloadBytes: number;
  /** -1 without records. */
  lastOffset: number;
}

export interface DirectClient {
  readonly label: string;
  /** Metadata and connections for these topics, before any timing. */
  prepare(topics: readonly string[]): Promise<void>;
  fetch(topic: string, partition: number, offset: number, maxBytes: number, out: FetchCount): Promise<void>;
  /** The producer and its connection to the topic's leaders, before any timing. */
  prepareProducer(topic: string): Promise<void>;
  /** Sends records and resolves once each has an answer: how many were acknowledged, the first failure's name. */
  produce(topic: string, records: ReadonlyArray<{ key: Buffer; value: Buffer }>): Promise<{ acked: number; error?: string }>;
  /** Long poll: wait up to maxWaitMs for at least one byte (produce-to-client latency). */
  poll?(topic: string, partition: number, offset: number, maxWaitMs: number, onValue: (value: Buffer) => void): Promise<number>;
  close(): Promise<void>;
}

/** `kafkaConnections`: connections per broker of our client, as the proxy has them (the peers keep one). */
export async function createDirectClient(name: DirectName, bootstrap: string, kafkaConnections = 1): Promise<DirectClient> {
  switch (name) {
    case 'ours':
      return ours(bootstrap, kafkaConnections);
    case 'kafkajs':
      return kafkajs(bootstrap);
    case 'platformatic':
      return platformatic(bootstrap);
  }
}

function version(pkg: string): string {
  const file = join(benchDir(), 'node_modules', pkg, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function prop<T>(mod: unknown, name: string): T {
  const v = (mod as Record<string | symbol, unknown>)[name];
  if (v === undefined) throw new Error(`export ${name} not found`);
  return v as T;
}

// ---------------------------------------------------------------------------------------------

function ours(bootstrap: string, connectionsPerBroker: number): DirectClient {
  const client = new KafkaClient({ brokers: [bootstrap], clientId: 'kwp-bench', connectionsPerBroker });
  let producerClient: KafkaClient | undefined;
  let producer: Producer | undefined;
  return {
    label: 'direct: ours',
    async prepare(topics) {
      for (const t of topics) await client.topic(t);
    },
    async prepareProducer(topic) {
      if (producer === undefined) {
        producerClient = new KafkaClient({ brokers: [bootstrap], clientId: 'kwp-bench' });
        producer = new Producer(producerClient);
      }
      const [r] = await producer.send(topic, 0, [{ value: Buffer.from('warm-up') }]);
      if (r?.error !== undefined) throw r.error;
    },
    async produce(topic, records) {
      const results = await producer!.send(topic, undefined, records);
      let acked = 0;
      let error: string | undefined;
      for (const r of results) {
        if (r.error === undefined) acked++;
        else error ??= r.error.errorName;
      }
      return error === undefined ? { acked } : { acked, error };
    },
    async fetch(topic, partition, offset, maxBytes, out) {
      const r = await client.fetch(topic, partition, BigInt(offset), { maxBytes, maxWaitMs: 100, minBytes: 0 });
      const records = r.records;
      let bytes = 0;
      for (let i = 0; i < records.length; i++) {
        const rec = records[i]!;
        const k = rec.key;
        const v = rec.value;
        bytes += (k === null ? 0 : k.length) + (v === null ? 0 : v.length);
      }
      out.messages = records.length;
      out.payloadBytes = bytes;
      out.lastOffset = records.length === 0 ? -1 : Number(records[records.length - 1]!.offset);
      // Done with the records: their memory goes back to the client, as the proxy gives it back.
      r.release();
    },
    async poll(topic, partition, offset, maxWaitMs, onValue) {
      const r = await client.fetch(topic, partition, BigInt(offset), { maxWaitMs, minBytes: 1 });
      for (const rec of r.records) if (rec.value !== null) onValue(rec.value);
      return r.records.length === 0 ? offset : Number(r.records[r.records.length - 1]!.offset) + 1;
    },
    async close() {
      await producer?.close();
      producerClient?.close();
      client.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------

interface KjsMessage { offset: string; key: Buffer | null; value: Buffer | null }
interface KjsFetchResponse { responses: Array<{ partitions: Array<{ errorCode: number; messages: KjsMessage[] }> }> }
interface KjsBroker {
  fetch(request: {
    replicaId: number; isolationLevel: number; maxWaitTime: number; minBytes: number; maxBytes: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<KjsFetchResponse>;
}
interface KjsProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(r: { topic: string; acks: number; messages: ReadonlyArray<{ key: Buffer; value: Buffer }> }): Promise<unknown[]>;
}
interface KjsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number }>;
  findBroker(node: { nodeId: string }): Promise<KjsBroker>;
}

async function kafkajs(bootstrap: string): Promise<DirectClient> {
  const require = createRequire(join(benchDir(), 'package.json'));
  const Kafka = prop<new (o: Record<string, unknown>) => object>(require('kafkajs'), 'Kafka');
  const kafka = new Kafka({ clientId: 'kwp-bench', brokers: [bootstrap], logLevel: 0 });
  // The Kafka object builds its Cluster through a private symbol-keyed factory: the same cluster its
  // consumers use, with its defaults, without a consumer group on top.
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (key === undefined) throw new Error('kafkajs: createCluster factory not found');
  const create = (kafka as Record<symbol, (o: Record<string, unknown>) => KjsCluster>)[key]!;
  const cluster = create({ metadataMaxAge: 300_000, allowAutoTopicCreation: false, maxInFlightRequests: null, isolationLevel: 0 });
  await cluster.connect();
  const brokers = new Map<string, KjsBroker>();
  let producer: KjsProducer | undefined;
  return {
    label: `direct: kafkajs ${version('kafkajs')}`,
    async prepareProducer(topic) {
      if (producer === undefined) {
        producer = (kafka as { producer(o: Record<string, unknown>): KjsProducer }).producer({ allowAutoTopicCreation: false, idempotent: false });
        await producer.connect();
      }
      await producer.send({ topic, acks: -1, messages: [{ key: Buffer.from('warm-up'), value: Buffer.from('warm-up') }] });
    },
    async produce(topic, records) {
      // Resolves once every record is acknowledged, or rejects for the whole call.
      await producer!.send({ topic, acks: -1, messages: records });
      return { acked: records.length };
    },
    async prepare(topics) {
      for (const t of topics) {
        await cluster.addTargetTopic(t);
        for (const p of cluster.findTopicPartitionMetadata(t)) brokers.set(`${t}-${p.partitionId}`, await cluster.findBroker({ nodeId: String(p.leader) }));
      }
    },
    async fetch(topic, partition, offset, maxBytes, out) {
      const broker = brokers.get(`${topic}-${partition}`);
      if (broker === undefined) throw new Error(`kafkajs: ${topic}-${partition} not prepared`);
      const res = await broker.fetch({
        replicaId: -1, isolationLevel: 0, maxWaitTime: 100, minBytes: 0, maxBytes,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes }] }],
      });
      const p = res.responses[0]?.partitions[0];
      if (p === undefined) throw new Error('kafkajs: empty fetch response');
      if (p.errorCode !== 0) throw new Error(`kafkajs: error code ${p.errorCode}`);
      let n = 0;
      let bytes = 0;
      let last = -1;
      for (const m of p.messages) {
        const o = Number(m.offset);
        if (o < offset) continue;
        n++;
        bytes += (m.key === null ? 0 : m.key.length) + (m.value === null ? 0 : m.value.length);
        last = o;
      }
      out.messages = n;
      out.payloadBytes = bytes;
      out.lastOffset = last;
    },
    async close() {
      await producer?.disconnect();
      await cluster.disconnect();
    },
  };
}

// ---------------------------------------------------------------------------------------------

interface PltRecord { offsetDelta: number; key: Buffer | null; value: Buffer | null }
interface PltBatch { firstOffset: bigint; records: PltRecord[] }
interface PltFetchResponse { responses: Array<{ partitions: Array<{ errorCode: number; records: PltBatch[] | null }> }> }
type Callback<T> = (error: Error | null | undefined, value: T) => void;
interface PltConnection { connect(host: string, port: number, cb: Callback<void>): void; close(cb: Callback<void>): void }
interface PltFetchTopic {
  topicId: string;
  partitions: Array<{ partition: number; currentLeaderEpoch: number; fetchOffset: bigint; lastFetchedEpoch: number; partitionMaxBytes: number }>;
}
type PltFetch = (conn: PltConnection, maxWaitMs: number, minBytes: number, maxBytes: number, isolationLevel: number,
  sessionId: number, sessionEpoch: number, topics: PltFetchTopic[], forgotten: unknown[], rackId: string, cb: Callback<PltFetchResponse>) => void;
interface PltMetadata {
  brokers: Map<number, { host: string; port: number }>;
  topics: Map<string, { id: string; partitions: Array<{ leader: number }> }>;
}
interface PltAdmin { metadata(o: { topics: string[] }, cb: Callback<PltMetadata>): void; close(cb: Callback<void>): void }
interface PltProducer {
  send(o: { messages: Array<{ topic: string; key: Buffer; value: Buffer }>; acks: number }, cb: Callback<unknown>): void;
  close(cb: Callback<void>): void;
}

/**
 * @platformatic/kafka's promise forms use Promise.withResolvers (Node >= 22; its engines field says
 * >= 22.22), so on Node 20 we call its callback forms.
 */
function call<T>(f: (cb: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v))));
}

async function platformatic(bootstrap: string): Promise<DirectClient> {
  const mod = await import(pathToFileURL(join(benchDir(), 'node_modules/@platformatic/kafka/dist/index.js')).href) as unknown;
  const Admin = prop<new (o: Record<string, unknown>) => PltAdmin>(mod, 'Admin');
  const Connection = prop<new (clientId: string) => PltConnection>(mod, 'Connection');
  const fetchApi = prop<{ api: PltFetch }>(mod, 'fetchV17').api;
  const connections = new Map<number, PltConnection>();
  const where = new Map<string, { conn: PltConnection; topicId: string }>();
  const ProducerClass = prop<new (o: Record<string, unknown>) => PltProducer>(mod, 'Producer');
  let producer: PltProducer | undefined;
  return {
    label: `direct: @platformatic/kafka ${version('@platformatic/kafka')}`,
    async prepareProducer(topic) {
      producer ??= new ProducerClass({ clientId: 'kwp-bench', bootstrapBrokers: [bootstrap], idempotent: false, acks: -1 });
      const p = producer;
      await call<unknown>((cb) => p.send({ messages: [{ topic, key: Buffer.from('warm-up'), value: Buffer.from('warm-up') }], acks: -1 }, cb));
    },
    async produce(topic, records) {
      const p = producer!;
      // Its messages carry their topic; built per call, as an application hands them over.
      await call<unknown>((cb) => p.send({ messages: records.map((r) => ({ topic, key: r.key, value: r.value })), acks: -1 }, cb));
      return { acked: records.length };
    },
    async prepare(topics) {
      const admin = new Admin({ clientId: 'kwp-bench', bootstrapBrokers: [bootstrap] });
      try {
        const md = await call<PltMetadata>((cb) => admin.metadata({ topics: [...topics] }, cb));
        for (const t of topics) {
          const info = md.topics.get(t);
          if (info === undefined) throw new Error(`@platformatic/kafka: no metadata for ${t}`);
          for (const [i, p] of info.partitions.entries()) {
            let conn = connections.get(p.leader);
            if (conn === undefined) {
              const b = md.brokers.get(p.leader);
              if (b === undefined) throw new Error(`@platformatic/kafka: unknown broker ${p.leader}`);
              conn = new Connection('kwp-bench');
              const c = conn;
              await call<void>((cb) => c.connect(b.host, b.port, cb));
              connections.set(p.leader, conn);
            }
            where.set(`${t}-${i}`, { conn, topicId: info.id });
          }
        }
      } finally {
        await call<void>((cb) => admin.close(cb));
      }
    },
    async fetch(topic, partition, offset, maxBytes, out) {
      const w = where.get(`${topic}-${partition}`);
      if (w === undefined) throw new Error(`@platformatic/kafka: ${topic}-${partition} not prepared`);
      const topics = [{
        topicId: w.topicId,
        partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, partitionMaxBytes: maxBytes }],
      }];
      const res = await call<PltFetchResponse>((cb) => fetchApi(w.conn, 100, 0, maxBytes, 0, 0, -1, topics, [], '', cb));
      const p = res.responses[0]?.partitions[0];
      if (p === undefined) throw new Error('@platformatic/kafka: empty fetch response');
      if (p.errorCode !== 0) throw new Error(`@platformatic/kafka: error code ${p.errorCode}`);
      let n = 0;
      let bytes = 0;
      let last = -1;
      for (const batch of p.records ?? []) {
        // The offset as its MessagesStream computes it: firstOffset + BigInt(offsetDelta).
        const first = batch.firstOffset;
        for (const r of batch.records) {
          const o = Number(first + BigInt(r.offsetDelta));
          if (o < offset) continue;
          n++;
          bytes += (r.key === null ? 0 : r.key.length) + (r.value === null ? 0 : r.value.length);
          last = o;
        }
      }
      out.messages = n;
      out.payloadBytes = bytes;
      out.lastOffset = last;
    },
    async close() {
      const p = producer;
      if (p !== undefined) await call<void>((cb) => p.close(cb));
      for (const c of connections.values()) await call<void>((cb) => c.close(cb));
    },
  };
}
