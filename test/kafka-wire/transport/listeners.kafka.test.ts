import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import {
  AuthenticationError, Connection, type KafkaConnectionError, FetchApi, ListOffsetsApi, MetadataApi, negotiateVersion,
  type ConnectionOptions, type PasswordMechanismName,
} from '../../../src/kafka-wire/index.js';
import { BROKER_LINES, ensureBroker, type BrokerInfo } from '../../harness/kafka.js';

/** Every listener of real Kafka 3.9.x and 4.x, with every TLS and SASL setting, good and bad. */
const METADATA = { topics: [{ name: 'plain', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false };

async function works(o: ConnectionOptions): Promise<Connection> {
  const c = await Connection.connect({ connectTimeoutMs: 10_000, ...o });
  const md = await c.request(MetadataApi, METADATA);
  assert.equal(md.body.topics[0]!.errorCode, 0);
  assert.equal(md.body.topics[0]!.partitions.length, 1);
  return c;
}

async function fails(o: ConnectionOptions, code: string, message?: RegExp): Promise<Error> {
  const err = await Connection.connect({ connectTimeoutMs: 10_000, ...o }).then(
    (c) => {
      c.close();
      assert.fail(`expected ${code}, but the connection worked`);
    },
    (e: unknown) => e as Error,
  );
  assert.equal((err as KafkaConnectionError).code, code, err.message);
  if (message) assert.match(err.message, message);
  return err;
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: connections on every listener`, () => {
    let info: BrokerInfo;
    let ca: Buffer;
    const at = (port: keyof BrokerInfo['ports']) => ({ host: info.host, port: info.ports[port] });

    before(async () => {
      info = await ensureBroker(line);
      ca = readFileSync(info.caPemPath);
    });

    test('PLAINTEXT: ApiVersions picks the highest version both sides speak, for every API', async () => {
      const c = await works(at('plaintext'));
      for (const api of [FetchApi, ListOffsetsApi, MetadataApi]) {
        const r = c.apiVersions.get(api.key)!;
        assert.equal(c.version(api), negotiateVersion(api, r.min, r.max));
        assert.equal(c.version(api), Math.min(api.max, r.max));
      }
      assert.equal(c.version(FetchApi), line === '4' ? 18 : 17);
      c.close();
    });

    test('PLAINTEXT: 200 pipelined requests on one socket each get their own response', async () => {
      const c = await works(at('plaintext'));
      const topics = ['plain', 'headers', 'nulls', 'txn'];
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => c.request(MetadataApi,
        { topics: [{ name: topics[i % 4]!, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false })));
      for (const [i, r] of replies.entries()) assert.equal(r.body.topics[0]!.name, topics[i % 4]);
      assert.equal(c.inFlightCount, 0);
      c.close();
    });

    test('SSL with verify on: the trusted CA works, by IP and by host name', async () => {
      (await works({ ...at('ssl'), tls: { ca } })).close();
      (await works({ ...at('ssl'), host: 'localhost', tls: { ca } })).close();
    });

    test('SSL with verify on: an untrusted CA and a wrong host name fail with KWIRE_ERR_TLS', async () => {
      await fails({ ...at('ssl'), tls: { ca: readFileSync(info.untrustedCaPemPath) } }, 'KWIRE_ERR_TLS', /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO/);
      await fails({ ...at('ssl'), tls: {} }, 'KWIRE_ERR_TLS');
      await fails({ ...at('ssl'), tls: { ca, servername: 'kafka.example.com' } }, 'KWIRE_ERR_TLS', /ALTNAME/);
      // A name that resolves to the broker but is not in its certificate.
      const lookup = ((_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
        (o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4))) as never;
      await fails({ ...at('ssl'), host: 'wrong-host.test', lookup, tls: { ca } }, 'KWIRE_ERR_TLS', /ALTNAME/);
    });

    test('SSL with verify off accepts the broker without a CA', async () => {
      (await works({ ...at('ssl'), tls: { verify: false } })).close();
    });

    test('mTLS: a client certificate signed by the broker CA works; none or an untrusted one fails', async () => {
      const cert = readFileSync(info.clientCertPemPath);
      const key = readFileSync(info.clientKeyPemPath);
      (await works({ ...at('mtls'), tls: { ca, cert, key } })).close();
      await fails({ ...at('mtls'), tls: { ca } }, 'KWIRE_ERR_TLS');
      await fails({ ...at('mtls'), tls: { ca, cert: readFileSync(info.untrustedClientCertPemPath), key: readFileSync(info.untrustedClientKeyPemPath) } }, 'KWIRE_ERR_TLS');
    });

    test('plaintext to a TLS listener and TLS to a plaintext listener fail with KWIRE_ERR_TLS_MISMATCH', async () => {
      await fails(at('ssl'), 'KWIRE_ERR_TLS_MISMATCH', /TLS/);
      await fails({ ...at('plaintext'), tls: { ca } }, 'KWIRE_ERR_TLS_MISMATCH', /plaintext listener/);
    });

    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as PasswordMechanismName[]) {
      test(`SASL ${mechanism} on SASL_PLAINTEXT and SASL_SSL, SaslHandshake v1 and v0`, async () => {
        const user = mechanism === 'PLAIN' ? info.users.plain : info.users.scram;
        for (const handshakeVersion of [1, 0] as const) {
          const sasl = { mechanism, ...user, handshakeVersion };
          (await works({ ...at('saslPlaintext'), sasl })).close();
          (await works({ ...at('saslSsl'), tls: { ca }, sasl })).close();
        }
        (await works({ ...at('saslSsl'), tls: { ca }, sasl: { mechanism, ...info.users.admin } })).close();
      });

      test(`SASL ${mechanism}: a wrong password is an AuthenticationError with the broker's message`, async () => {
        const user = mechanism === 'PLAIN' ? info.users.plain : info.users.scram;
        const e = await fails({ ...at('saslPlaintext'), sasl: { mechanism, username: user.username, password: 'wrong' } }, 'KWIRE_ERR_SASL_AUTH_FAILED');
        assert.ok(e instanceof AuthenticationError);
        assert.match(e.brokerMessage ?? '', /Authentication failed/);
        assert.equal(e.mechanism, mechanism);
        const v0 = await fails({ ...at('saslSsl'), tls: { ca }, sasl: { mechanism, username: user.username, password: 'wrong', handshakeVersion: 0 } }, 'KWIRE_ERR_SASL_AUTH_FAILED');
        assert.match(v0.message, /closed the connection/);
      });
    }

    test('SASL: a mechanism the listener does not enable fails with the list it does', async () => {
      const e = await fails({ ...at('saslPlaintext'), sasl: { mechanism: 'GSSAPI' as PasswordMechanismName, username: 'a', password: 'b' } }, 'KWIRE_ERR_SASL_MECHANISM');
      for (const m of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) assert.match(e.message, new RegExp(`offers .*\\b${m}\\b`));
    });

    test('SASL: re-authenticates before the 4 s session ends (KIP-368) while requests keep flowing', async () => {
      const c = await works({ ...at('saslPlaintext'), sasl: { mechanism: 'SCRAM-SHA-512', ...info.users.scram } });
      assert.equal(c.sessionLifetimeMs, 4000);
      const until = Date.now() + 9000;
      let answered = 0;
      while (Date.now() < until) {
        const rs = await Promise.all([1, 2, 3].map(() => c.request(MetadataApi, METADATA)));
        answered += rs.length;
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(c.reauthentications >= 2, `re-authenticated ${c.reauthentications} times in 9 s`);
      assert.equal(c.closed, false);
      assert.ok(answered > 100);
      c.close();
    });
  });
}
