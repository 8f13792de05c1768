import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ApiVersionsApi, CLIENT_SOFTWARE, decodeResponseFrame, encodeMessage, FetchApi, FindCoordinatorApi, ListOffsetsApi, MetadataApi, negotiateVersion,
  OffsetCommitApi, OffsetFetchApi, ProduceApi, readRecords, SaslAuthenticateApi, SaslHandshakeApi, Writer, type ApiSpec,
} from '../../../src/kafka-wire/index.js';
import { BROKER_LINES, ensureBroker, readExpected, readTopics, type BrokerInfo } from '../../harness/kafka.js';
import { sameRecords } from '../../support/expected-records.js';
import { RawKafka } from '../../support/raw-kafka.js';

/**
 * Real Apache Kafka 3.9.x and 4.x answer every version of every API both sides support; each
 * response must decode completely (no bytes left), re-encode to the broker's exact bytes, and
 * carry what the Java producer wrote when the harness seeded the topics.
 */
const CLI = join(process.cwd(), 'dist/src/server/cli.js');

function reencode(api: ApiSpec, version: number, frame: Buffer, headerLength: number): void {
  const decoded = decodeResponseFrame(api, version, frame);
  const w = new Writer();
  encodeMessage(api.response, decoded.version, decoded.body as never, w);
  assert.deepEqual(w.finish(), frame.subarray(headerLength), `${api.name} v${version}: re-encoded body differs from the broker's bytes`);
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: every supported version of every API`, () => {
    let info: BrokerInfo;
    let conn: RawKafka;
    let ranges: Map<number, { min: number; max: number }>;
    const versions = (api: ApiSpec): number[] => {
      const r = ranges.get(api.key);
      assert.ok(r, `broker does not advertise ${api.name}`);
      const top = negotiateVersion(api, r.min, r.max);
      assert.ok(top !== undefined, `no common version for ${api.name}`);
      const out: number[] = [];
      for (let v = Math.max(api.clientMin, r.min); v <= top; v++) out.push(v);
      return out;
    };

    before(async () => {
      info = await ensureBroker(line);
      conn = await RawKafka.open(info.host, info.ports.plaintext);
      const res = await conn.request(ApiVersionsApi, 4, { clientSoftwareName: CLIENT_SOFTWARE.name, clientSoftwareVersion: CLIENT_SOFTWARE.version });
      assert.equal(res.body.errorCode, 0);
      ranges = new Map(res.body.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
    });
    after(() => conn?.close());

    test('ApiVersions at every version both know, and a version the broker does not know answered as v0 (KIP-511)', async () => {
      for (let v = 0; v <= Math.min(ApiVersionsApi.max, ranges.get(ApiVersionsApi.key)!.max); v++) {
        const res = await conn.request(ApiVersionsApi, v, { clientSoftwareName: CLIENT_SOFTWARE.name, clientSoftwareVersion: CLIENT_SOFTWARE.version });
        assert.equal(res.body.errorCode, 0);
        const fetch = res.body.apiKeys.find((k) => k.apiKey === FetchApi.key);
        assert.ok(fetch && fetch.maxVersion >= 17, `v${v}: Fetch advertised`);
        reencode(ApiVersionsApi, v, res.frame, 4);
      }
      // Fetch v18 (KIP-1166 era) exists only on 4.x; 4.x also dropped Fetch v0-3 (KIP-896).
      assert.equal(ranges.get(FetchApi.key)!.min, line === '4' ? 4 : 0);
      // A hand-made request at ApiVersions v99.
      const frame = Buffer.from('0000000f' + '0012' + '0063' + '00000777' + '0003' + '616263' + '00', 'hex');
      frame.writeInt32BE(frame.length - 4, 0);
      const reply = decodeResponseFrame(ApiVersionsApi, 99, await conn.exchangeRaw(frame));
      assert.equal(reply.version, 0);
      assert.equal(reply.header.correlationId, 0x777);
      assert.equal(reply.body.errorCode, 35);
      assert.deepEqual(reply.body.apiKeys.map((k) => k.apiKey), [18]);
    });

    test('Metadata at every version: brokers, topics, partition counts', async () => {
      const topics = readTopics(info);
      for (const v of versions(MetadataApi)) {
        const res = await conn.request(MetadataApi, v, { topics: [{ name: 'multi' }, { name: 'plain' }, { name: 'no-such-topic' }], allowAutoTopicCreation: false });
        reencode(MetadataApi, v, res.frame, v >= 9 ? 5 : 4);
        assert.deepEqual(res.body.brokers.map((b) => [b.host, b.port]), [[info.host, info.ports.plaintext]], `v${v}`);
        const byName = new Map(res.body.topics.map((t) => [t.name, t]));
        assert.equal(byName.get('multi')?.partitions.length, topics.find((t) => t.name === 'multi')!.partitions, `v${v}`);
        assert.equal(byName.get('plain')?.errorCode, 0);
        assert.equal(byName.get('no-such-topic')?.errorCode, 3, `v${v}: UNKNOWN_TOPIC_OR_PARTITION`);
        if (v >= 10) assert.notEqual(byName.get('plain')?.topicId, 'AAAAAAAAAAAAAAAAAAAAAA');
      }
    });

    test('FindCoordinator at every version: the group coordinator is this broker', async () => {
      for (let v = 0; v <= Math.min(FindCoordinatorApi.max, ranges.get(FindCoordinatorApi.key)!.max); v++) {
        // The first ask may create __consumer_offsets: COORDINATOR_NOT_AVAILABLE (15) until it has a leader.
        for (let attempt = 0; ; attempt++) {
          const res = await conn.request(FindCoordinatorApi, v, { key: 'kwp-find-coordinator', keyType: 0, coordinatorKeys: ['kwp-find-coordinator'] });
          reencode(FindCoordinatorApi, v, res.frame, v >= 3 ? 5 : 4);
          const c = v >= 4 ? res.body.coordinators[0]! : res.body;
          if (c.errorCode === 15 && attempt < 50) {
            await new Promise((r) => setTimeout(r, 200));
            continue;
          }
          assert.equal(c.errorCode, 0, `v${v}`);
          assert.deepEqual([c.host, c.port], [info.host, info.ports.plaintext], `v${v}`);
          break;
        }
      }
    });

    test('OffsetCommit and OffsetFetch at every version: a simple commit (no member), read back at every version', async () => {
      // Runs after the FindCoordinator test, which waits until this broker coordinates groups.
      const group = 'kwp-offsets-every-version';
      const md = await conn.request(MetadataApi, 12, { topics: [{ name: 'plain' }], allowAutoTopicCreation: false });
      const topicId = md.body.topics[0]!.topicId;
      for (const v of versions(OffsetCommitApi)) {
        const offset = BigInt(100 + v);
        const res = await conn.request(OffsetCommitApi, v, {
          groupId: group, generationIdOrMemberEpoch: -1, memberId: '',
          topics: [{ name: 'plain', topicId, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: v, committedMetadata: `v${v}` }] }],
        });
        reencode(OffsetCommitApi, v, res.frame, v >= 8 ? 5 : 4);
        assert.equal(res.body.topics[0]!.partitions[0]!.errorCode, 0, `OffsetCommit v${v}`);
        for (const f of versions(OffsetFetchApi)) {
          const r = await conn.request(OffsetFetchApi, f, {
            groupId: group, topics: [{ name: 'plain', partitionIndexes: [0] }],
            groups: [{ groupId: group, topics: [{ name: 'plain', topicId, partitionIndexes: [0] }] }],
            requireStable: true,
          });
          reencode(OffsetFetchApi, f, r.frame, f >= 6 ? 5 : 4);
          const p = f >= 8 ? r.body.groups[0]!.topics[0]!.partitions[0]! : r.body.topics[0]!.partitions[0]!;
          const where = `OffsetCommit v${v}, OffsetFetch v${f}`;
          assert.deepEqual([p.errorCode, p.committedOffset, p.metadata], [0, offset, `v${v}`], where);
          // Committed from v6, returned from v5.
          assert.equal(p.committedLeaderEpoch, v >= 6 && f >= 5 ? v : -1, `${where}: leader epoch`);
        }
      }
    });

    test('ListOffsets at every version: earliest, latest and by timestamp', async () => {
      const tsRecords = readExpected(info, 'timestamps');
      for (const v of versions(ListOffsetsApi)) {
        const ask = (timestamp: bigint) => ({ name: 'timestamps', partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets: 1 }] });
        // One partition per request: the broker rejects a partition listed twice (INVALID_REQUEST).
        const earliestRes = await conn.request(ListOffsetsApi, v, { replicaId: -1, topics: [ask(-2n)], timeoutMs: 5000 });
        reencode(ListOffsetsApi, v, earliestRes.frame, v >= 6 ? 5 : 4);
        const earliest = earliestRes.body.topics[0]!.partitions[0]!;
        assert.equal(earliest.errorCode, 0, `v${v}`);
        assert.equal(v === 0 ? earliest.oldStyleOffsets[0] : earliest.offset, 0n, `v${v} earliest`);
        const latest = (await conn.request(ListOffsetsApi, v, { replicaId: -1, topics: [ask(-1n)], timeoutMs: 5000 })).body.topics[0]!.partitions[0]!;
        assert.equal(v === 0 ? latest.oldStyleOffsets[0] : latest.offset, BigInt(tsRecords.length), `v${v} latest`);
        if (v === 0) continue; // v0 has no lookup by timestamp to the exact record
        const target = tsRecords[7]!;
        const byTime = await conn.request(ListOffsetsApi, v, { replicaId: -1, topics: [ask(target.timestamp - 1n)], timeoutMs: 5000 });
        assert.equal(byTime.body.topics[0]!.partitions[0]!.offset, target.offset, `v${v}: first offset at or after a timestamp`);
      }
    });

    test('Fetch at every version returns what the Java producer wrote', async () => {
      const md = await conn.request(MetadataApi, 12, { topics: [{ name: 'plain' }], allowAutoTopicCreation: false });
      const topicId = md.body.topics[0]!.topicId;
      const want = readExpected(info, 'plain');
      for (const v of versions(FetchApi)) {
        const res = await conn.request(FetchApi, v, {
          maxWaitMs: 100, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
          topics: [{ topic: 'plain', topicId, partitions: [{ partition: 0, fetchOffset: 5n, partitionMaxBytes: 1 << 20 }] }],
        });
        reencode(FetchApi, v, res.frame, v >= 12 ? 5 : 4);
        const p = res.body.responses[0]!.partitions[0]!;
        assert.equal(p.errorCode, 0, `v${v}`);
        assert.equal(p.highWatermark, BigInt(want.length));
        sameRecords(readRecords(p.records, { fromOffset: 5n }).records, want.slice(5), `plain v${v}`);
      }
    });

    const fetchAll = async (topic: string, isolationLevel: number) => {
      const v = Math.min(versions(FetchApi).at(-1)!, 12);
      const res = await conn.request(FetchApi, v, {
        maxWaitMs: 100, minBytes: 0, maxBytes: 64 << 20, isolationLevel,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 64 << 20 }] }],
      });
      return { p: res.body.responses[0]!.partitions[0]!, frame: res.frame, version: v };
    };

    for (const topic of ['codec-gzip', 'codec-snappy', 'codec-lz4', 'codec-zstd', 'headers', 'nulls', 'log-append-time', 'timestamps', 'multi']) {
      test(`records of ${topic} decode exactly as produced`, async () => {
        const { p } = await fetchAll(topic, 0);
        assert.equal(p.errorCode, 0);
        const want = readExpected(info, topic).filter((r) => r.partition === 0);
        sameRecords(readRecords(p.records).records, want, topic);
      });
    }

    test('transactions: read_uncommitted sees aborted data, read_committed drops it, markers never show', async () => {
      const want = readExpected(info, 'txn');
      const unc = await fetchAll('txn', 0);
      sameRecords(readRecords(unc.p.records).records, want, 'txn uncommitted');
      const com = await fetchAll('txn', 1);
      assert.ok((com.p.abortedTransactions ?? []).length >= 2, 'broker lists the aborted transactions');
      sameRecords(readRecords(com.p.records, { abortedTransactions: com.p.abortedTransactions }).records, want.filter((r) => r.committed), 'txn committed');
      const withMarkers = readRecords(unc.p.records, { includeControl: true }).records;
      assert.equal(withMarkers.length, want.length + 5, 'five transaction markers');
    });

    test('Produce at every version answers for an unknown topic', async () => {
      for (const v of versions(ProduceApi)) {
        const res = await conn.request(ProduceApi, v, {
          acks: 1, timeoutMs: 5000,
          topicData: [{ name: 'no-such-topic', topicId: 'AAECAwQFBgcICQoLDA0ODw', partitionData: [{ index: 0, records: Buffer.alloc(0) }] }],
        });
        reencode(ProduceApi, v, res.frame, v >= 9 ? 5 : 4);
        const code = res.body.responses[0]!.partitionResponses[0]!.errorCode;
        assert.ok(code === 3 || code === 100, `v${v}: UNKNOWN_TOPIC_OR_PARTITION or UNKNOWN_TOPIC_ID, got ${code}`);
      }
    });

    test('SaslHandshake v0-1 and SaslAuthenticate v0-2 with PLAIN, and a wrong password', async () => {
      const { username, password } = info.users.plain;
      for (let hv = 0; hv <= 1; hv++) {
        for (let av = 0; av <= 2; av++) {
          const sasl = await RawKafka.open(info.host, info.ports.saslPlaintext);
          try {
            const hs = await sasl.request(SaslHandshakeApi, hv, { mechanism: 'PLAIN' });
            reencode(SaslHandshakeApi, hv, hs.frame, 4);
            assert.equal(hs.body.errorCode, 0);
            assert.ok(hs.body.mechanisms.includes('SCRAM-SHA-512'), 'mechanisms listed');
            if (hv === 0) continue; // v0 sends raw tokens without SaslAuthenticate framing
            const ok = await sasl.request(SaslAuthenticateApi, av, { authBytes: Buffer.from(`\0${username}\0${password}`) });
            reencode(SaslAuthenticateApi, av, ok.frame, av >= 2 ? 5 : 4);
            assert.equal(ok.body.errorCode, 0, `handshake v${hv} authenticate v${av}`);
            // Authenticated: a Metadata request is now served on this connection.
            const md = await sasl.request(MetadataApi, 9, { topics: [{ name: 'plain' }], allowAutoTopicCreation: false });
            assert.equal(md.body.topics[0]!.errorCode, 0);
          } finally {
            sasl.close();
          }
        }
      }
      const bad = await RawKafka.open(info.host, info.ports.saslPlaintext);
      try {
        await bad.request(SaslHandshakeApi, 1, { mechanism: 'PLAIN' });
        const res = await bad.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from(`\0${username}\0wrong`) });
        assert.equal(res.body.errorCode, 58, 'SASL_AUTHENTICATION_FAILED');
        assert.match(res.body.errorMessage ?? '', /Authentication failed|invalid credentials/i);
      } finally {
        bad.close();
      }
    });

    test('the decode CLI prints a real Fetch response with its records, and read_committed', async () => {
      const { frame, version } = await fetchAll('txn', 1);
      const dir = mkdtempSync(join(tmpdir(), 'kwp-decode-'));
      const file = join(dir, 'fetch.bin');
      writeFileSync(file, frame);
      const run = (...extra: string[]) => JSON.parse(execFileSync(process.execPath, [CLI, 'decode', file, '--api', 'Fetch', '--version', String(version), '--response', ...extra], { encoding: 'utf8' }));
      const want = readExpected(info, 'txn');
      const all = run();
      const part = all.body.responses[0].partitions[0];
      assert.equal(typeof part.highWatermark, 'string');
      assert.equal(part.records.length, want.length);
      assert.equal(part.records[0].offset, '0');
      assert.equal(part.records[0].value, want[0]!.value!.toString('base64'));
      assert.deepEqual(part.records[0].headers, [{ key: 'txn', value: Buffer.from('0').toString('base64') }]);
      const committed = run('--read-committed').body.responses[0].partitions[0].records;
      assert.deepEqual(committed.map((r: { offset: string }) => r.offset), want.filter((r) => r.committed).map((r) => String(r.offset)));
      assert.equal(run('--all').body.responses[0].partitions[0].records.length, want.length + 5);
    });
  });
}
