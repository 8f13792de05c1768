import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BROKER_LINES, bootstrap, ensureBroker, readExpected, unsecuredJwt, type BrokerInfo } from '../harness/kafka.js';
import { TestPubSubClient } from '../support/pubsub-client.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';

/** TLS, mutual TLS and SASL between the proxy and real brokers, configured per route through the admin API. */
for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: route TLS and SASL`, () => {
    let info: BrokerInfo;
    let p: RunningProxy;
    let ca: string;
    let n = 0;

    before(async () => {
      info = await ensureBroker(line);
      ca = readFileSync(info.caPemPath, 'utf8');
      p = await startProxy();
    });
    after(() => p?.close());

    /** Creates a route, connects, and returns the first fetch reply of `plain` (or the error text). */
    async function firstFetch(route: Record<string, unknown>): Promise<string> {
      const uri = `/r${++n}`;
      const put = await p.admin('PUT', `/apisix/admin/routes/r${n}`, { ...route, uri });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const c = await TestPubSubClient.connect(p.ws(uri));
      try {
        const r = await c.fetch('plain', 0, 0);
        if (r.resp === 'errorResp') return r.errorResp?.message ?? '';
        const want = readExpected(info, 'plain').filter((x) => x.partition === 0);
        assert.equal(r.kafkaFetchResp?.messages?.length, want.length);
        assert.deepEqual(Buffer.from(r.kafkaFetchResp?.messages?.[1]?.value ?? []), want[1]!.value);
        return 'ok';
      } finally {
        await c.close();
      }
    }

    const FAILED = 'failed to fetch message, topic: plain, partition: 0, err: ';

    test('TLS: verify with the route\'s CA; verify off (APISIX\'s default) without one; verify against Node\'s roots fails', async () => {
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'ssl')], { tls: { verify: true, ca } })), 'ok');
      assert.equal(await firstFetch(kafkaRoute('', [`localhost:${info.ports.ssl}`], { tls: { verify: true, ca } })), 'ok');
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'ssl')], { tls: {} })), 'ok');
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'ssl')], { tls: { verify: false } })), 'ok');
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'ssl')], { tls: { verify: true } })), `${FAILED}not found topic`);
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'ssl')], { tls: { verify: true, ca, sni: 'kafka.example.com' } })), `${FAILED}not found topic`);
      // A TLS route against a plaintext listener and the reverse.
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info)], { tls: { verify: false } })), `${FAILED}not found topic`);
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'ssl')])), `${FAILED}not found topic`);
    });

    test('mutual TLS with client_cert and client_key; without them the mTLS listener refuses', async () => {
      const tls = { verify: true, ca, client_cert: readFileSync(info.clientCertPemPath, 'utf8'), client_key: readFileSync(info.clientKeyPemPath, 'utf8') };
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'mtls')], { tls })), 'ok');
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'mtls')], { tls: { verify: true, ca } })), `${FAILED}not found topic`);
    });

    test('SASL PLAIN (APISIX\'s kafka-proxy plugin), SCRAM-SHA-256 and SCRAM-SHA-512, over plaintext and TLS', async () => {
      const { plain, scram } = info.users;
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'saslPlaintext')], { plugin: { sasl: { username: plain.username, password: plain.password } } })), 'ok');
      for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
        const user = mechanism === 'PLAIN' ? plain : scram;
        const sasl = { mechanism, username: user.username, password: user.password };
        assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'saslPlaintext')], { plugin: { sasl } })), 'ok', mechanism);
        assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'saslSsl')], { tls: { verify: true, ca }, plugin: { sasl } })), 'ok', `${mechanism} over TLS`);
      }
    });

    test('a wrong password answers SASL_AUTHENTICATION_FAILED, other routes are unaffected, and the password never reaches the logs', async () => {
      const secret = 'not-the-password-4f1c9';
      const before = Date.now();
      for (const mechanism of ['PLAIN', 'SCRAM-SHA-512']) {
        const sasl = { mechanism, username: info.users.plain.username, password: secret };
        assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info, 'saslPlaintext')], { plugin: { sasl } })), `${FAILED}SASL_AUTHENTICATION_FAILED`, mechanism);
      }
      // Authentication failures are final: no retries with backoff.
      assert.ok(Date.now() - before < 3000, `took ${Date.now() - before} ms`);
      assert.equal(await firstFetch(kafkaRoute('', [bootstrap(info)])), 'ok');
      const logs = JSON.stringify(p.logs);
      assert.ok(!logs.includes(secret), 'a SASL password was logged');
      assert.ok(!logs.includes(info.users.plain.password), 'a SASL password was logged');
    });

    test('SASL OAUTHBEARER: a fixed token, the client credentials grant, and refusals as SASL_AUTHENTICATION_FAILED; no token or secret logged', async () => {
      const clientSecret = 'route-client-s3cret-77ab';
      const minted: string[] = [];
      const idp = createServer((req, res) => {
        const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        req.resume().on('end', () => {
          if (basic !== `proxy:${clientSecret}`) {
            res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
            return;
          }
          minted.push(unsecuredJwt({ sub: 'proxy', exp: Date.now() / 1000 + 600 }));
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: minted.at(-1), token_type: 'Bearer', expires_in: 600 }));
        });
      });
      await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
      const tokenUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/token`;
      const oauth = [bootstrap(info, 'oauth')];
      const fixed = unsecuredJwt({ sub: 'alice', exp: Date.now() / 1000 + 600 });
      const expired = unsecuredJwt({ sub: 'alice', exp: Date.now() / 1000 - 600 });
      try {
        assert.equal(await firstFetch(kafkaRoute('', oauth, { plugin: { sasl: { mechanism: 'OAUTHBEARER', token: fixed } } })), 'ok');
        const grant = { mechanism: 'OAUTHBEARER', token_url: tokenUrl, client_id: 'proxy', client_secret: clientSecret, extensions: { traceId: 'e2e' } };
        assert.equal(await firstFetch(kafkaRoute('', oauth, { plugin: { sasl: grant } })), 'ok');
        assert.equal(minted.length, 1);
        assert.equal(await firstFetch(kafkaRoute('', oauth, { plugin: { sasl: { mechanism: 'OAUTHBEARER', token: expired } } })), `${FAILED}SASL_AUTHENTICATION_FAILED`);
        assert.equal(await firstFetch(kafkaRoute('', oauth, { plugin: { sasl: { ...grant, client_secret: 'wrong' } } })), `${FAILED}SASL_AUTHENTICATION_FAILED`);
      } finally {
        idp.closeAllConnections();
        await new Promise((r) => idp.close(r));
      }
      const logs = JSON.stringify(p.logs);
      for (const s of [clientSecret, fixed, expired, ...minted]) assert.ok(!logs.includes(s), 'a token or client secret was logged');
    });
  });
}
