import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { apiByKey, decodeRequestFrame, decodeResponseFrame, EARLIEST, KafkaClient } from '../../../src/kafka-wire/index.js';
import { createLogger } from '../../../src/server/log.js';
import { Recorder, type Manifest } from '../../../src/server/record/index.js';
import { BROKER_LINES, ensureBroker, readExpected } from '../../harness/kafka.js';
import { sameRecords } from '../../support/expected-records.js';

/**
 * The recorder between our own client and the real brokers, on PLAINTEXT and SASL_PLAINTEXT
 * (SCRAM-SHA-256): the client only ever learns the recorder's addresses, reads exactly what the
 * Java producer wrote, and every recorded frame decodes.
 */
for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: kafka-ws-proxy record`, () => {
    for (const listener of ['plaintext', 'saslPlaintext'] as const) {
      test(`${listener}: a client reads through the recorder; the files hold the broker's frames`, async () => {
        const info = await ensureBroker(line);
        const dir = join(mkdtempSync(join(tmpdir(), 'kwp-record-kafka-')), 'out');
        const recorder = await Recorder.start({
          listen: { host: '127.0.0.1', port: 0 }, broker: { host: info.host, port: info.ports[listener] }, outDir: dir,
          labels: { brokerVersion: info.version, client: 'kafka-ws-proxy', listener }, logger: createLogger({ level: 'error', write: () => undefined }),
        });
        const local = await recorder.address;
        const client = new KafkaClient({
          brokers: [`${local.host}:${local.port}`], clientId: 'record-test',
          ...(listener === 'saslPlaintext' ? { sasl: { mechanism: 'SCRAM-SHA-256' as const, ...info.users.scram } } : {}),
        });
        try {
          const { offset } = await client.listOffsets('plain', 0, EARLIEST);
          const r = await client.fetch('plain', 0, offset, { maxWaitMs: 100 });
          sameRecords(r.records, readExpected(info, 'plain'), 'plain through the recorder');
        } finally {
          client.close();
          await recorder.close();
        }
        const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
        assert.equal(manifest.listeners.length, 1, 'one broker, one listener');
        assert.ok(manifest.exchanges.some((e) => e.api === 'Metadata' && e.rewritten), 'Metadata was rewritten for the client');
        if (listener === 'saslPlaintext') assert.ok(manifest.exchanges.some((e) => e.api === 'SaslAuthenticate'));
        for (const e of manifest.exchanges) {
          assert.ok(e.raw !== true, `${e.api} v${e.version} is declared`);
          const req = decodeRequestFrame(readFileSync(join(dir, e.request!)));
          assert.equal(req.header.correlationId, e.correlationId);
          if (e.response === null) continue;
          const res = decodeResponseFrame(apiByKey(e.apiKey)!, e.version, readFileSync(join(dir, e.response)));
          assert.equal(res.header.correlationId, e.correlationId);
          if (e.api === 'Metadata') {
            // The file keeps the broker's own address, not the recorder's.
            const brokers = (res.body as unknown as { brokers: Array<{ port: number }> }).brokers;
            assert.deepEqual(brokers.map((b) => b.port), [info.ports[listener]]);
          }
        }
      });
    }
  });
}
