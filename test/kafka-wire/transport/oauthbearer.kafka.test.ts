import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  AuthenticationError, clientCredentialsTokenProvider, Connection, KafkaClient, MetadataApi, OAuthTokenError,
  type ConnectionOptions, type OAuthTokenProvider,
} from '../../../src/kafka-wire/index.js';
import { BROKER_LINES, bootstrap, ensureBroker, readExpected, unsecuredJwt, type BrokerInfo } from '../../harness/kafka.js';
import { sameAsProduced } from '../../support/expected-records.js';

/**
 * SASL/OAUTHBEARER against the OAUTH listener of real Kafka 3.9.x and 4.x, whose unsecured
 * validator takes unsigned JWTs with `sub` and `exp` and bounds each session by the token's
 * exp and 4 s (KIP-368). Tokens come fixed, or from a client credentials endpoint run here.
 */
const SECRET = 'Hunter2-client-s3cret';
const METADATA = { topics: [{ name: 'plain', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false };
const seconds = (fromNowMs: number): number => (Date.now() + fromNowMs) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A token endpoint (RFC 6749 §4.4) minting unsigned JWTs for `sub` that live `lifetimeMs`; counts what it is asked. */
class TokenEndpoint {
  lifetimeMs = 600_000;
  /** When set, the endpoint answers this instead of a token. */
  refuse: { status: number; body: unknown } | undefined;
  readonly issued: string[] = [];
  requests = 0;
  url = '';
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => {
      body += c;
    }).on('end', () => this.answer(req.headers.authorization, new URLSearchParams(body), res));
  });

  private answer(authorization: string | undefined, form: URLSearchParams, res: ServerResponse): void {
    this.requests++;
    const send = (status: number, o: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(o));
    };
    if (this.refuse !== undefined) {
      send(this.refuse.status, this.refuse.body);
      return;
    }
    const [id, secret] = Buffer.from((authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
    if (id !== 'kwp' || secret !== SECRET || form.get('grant_type') !== 'client_credentials') {
      send(401, { error: 'invalid_client' });
      return;
    }
    const token = unsecuredJwt({ sub: 'kwp', exp: seconds(this.lifetimeMs), iat: seconds(0), jti: this.requests });
    this.issued.push(token);
    send(200, { access_token: token, token_type: 'Bearer', expires_in: this.lifetimeMs / 1000 });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** The AuthenticationError a connect fails with; no message, field or stack may hold `secrets`. */
async function refused(o: ConnectionOptions, ...secrets: string[]): Promise<AuthenticationError> {
  const e = await Connection.connect({ connectTimeoutMs: 10_000, ...o }).then((c) => {
    c.close();
    return assert.fail('the login worked');
  }, (err: unknown) => err);
  assert.ok(e instanceof AuthenticationError, String(e));
  const all = JSON.stringify({ message: e.message, stack: e.stack, broker: e.brokerMessage, oauth: e.oauth, cause: String(e.cause), causeStack: (e.cause as Error | undefined)?.stack });
  for (const s of secrets) assert.ok(!all.includes(s), `leaked into ${all}`);
  return e;
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: SASL/OAUTHBEARER`, () => {
    let info: BrokerInfo;
    const idp = new TokenEndpoint();
    const at = (): Pick<ConnectionOptions, 'host' | 'port'> => ({ host: info.host, port: info.ports.oauth });
    const grant = (o: Partial<Parameters<typeof clientCredentialsTokenProvider>[0]> = {}) =>
      clientCredentialsTokenProvider({ tokenUrl: idp.url, clientId: 'kwp', clientSecret: SECRET, ...o });

    before(async () => {
      info = await ensureBroker(line);
      await idp.listen();
    });
    after(() => idp.close());

    test('a fixed token (with extensions) reads a seeded topic: metadata, then fetch, exactly as produced', async () => {
      const kafka = new KafkaClient({
        brokers: [bootstrap(info, 'oauth')],
        sasl: { mechanism: 'OAUTHBEARER', token: unsecuredJwt({ sub: 'alice', exp: seconds(600_000) }), extensions: { traceId: 'kwp-test' } },
      });
      try {
        assert.equal((await kafka.topic('plain')).partitions.size, 1);
        const r = await kafka.fetch('plain', 0, 0n);
        sameAsProduced(r.records, readExpected(info, 'plain').filter((x) => x.partition === 0), 'plain-0');
      } finally {
        kafka.close();
      }
    });

    test('garbage, unsigned-without-sub and expired tokens: KWIRE_ERR_SASL_AUTH_FAILED with invalid_token, the token in no message', async () => {
      const tokens = [
        `not-a-jwt-${'x'.repeat(40)}`,
        unsecuredJwt({ exp: seconds(600_000) }),
        unsecuredJwt({ sub: 'alice', exp: seconds(-60_000) }),
      ];
      for (const token of tokens) {
        for (const handshakeVersion of [1, 0] as const) {
          const e = await refused({ ...at(), sasl: { mechanism: 'OAUTHBEARER', token, handshakeVersion } }, token);
          assert.equal(e.code, 'KWIRE_ERR_SASL_AUTH_FAILED');
          assert.deepEqual(e.oauth, { status: 'invalid_token', scope: null, openidConfiguration: null });
          assert.match(e.message, /SASL OAUTHBEARER: the broker rejected the token: invalid_token/);
          // Kafka's ErrorMessage repeats the challenge; the raw v0 framing has none.
          assert.equal(e.brokerMessage, handshakeVersion === 1 ? '{"status":"invalid_token"}' : null);
        }
      }
    });

    test('a token the mechanism cannot carry fails before it is sent, naming no part of it', async () => {
      const e = await refused({ ...at(), sasl: { mechanism: 'OAUTHBEARER', token: `${SECRET} with spaces` } }, SECRET);
      assert.equal(e.code, 'KWIRE_ERR_SASL_TOKEN');
      assert.match(e.message, /not an RFC 6750 bearer token/);
    });

    test('through KafkaClient a refused token fails at once, not after retries', async () => {
      const kafka = new KafkaClient({ brokers: [bootstrap(info, 'oauth')], sasl: { mechanism: 'OAUTHBEARER', token: unsecuredJwt({ sub: 'a', exp: seconds(-1000) }) } });
      const started = Date.now();
      try {
        const e = await kafka.fetch('plain', 0, 0n).then(() => assert.fail('fetched'), (x: unknown) => x);
        assert.ok(e instanceof AuthenticationError, String(e));
        assert.equal(e.oauth?.status, 'invalid_token');
        assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
      } finally {
        kafka.close();
      }
    });

    test('a fixed token outlives nothing: once it expires the broker ends the session', async () => {
      const c = await Connection.connect({ ...at(), sasl: { mechanism: 'OAUTHBEARER', token: unsecuredJwt({ sub: 'alice', exp: seconds(2500) }) } });
      assert.ok(c.sessionLifetimeMs > 0 && c.sessionLifetimeMs <= 2500, `session of ${c.sessionLifetimeMs} ms`);
      const closed = new Promise<Error>((r) => c.onClose(r));
      const until = Date.now() + 8000;
      while (!c.closed && Date.now() < until) {
        await c.request(MetadataApi, METADATA).catch(() => undefined);
        await sleep(100);
      }
      assert.equal(c.closed, true, 'still open 8 s after a 2.5 s token');
      const e = await closed;
      assert.ok(['KWIRE_ERR_CONNECTION_CLOSED', 'KWIRE_ERR_SASL_AUTH_FAILED'].includes((e as AuthenticationError).code), e.message);
    });

    test('client credentials: the endpoint is asked once, the token shared by connections and the client', async () => {
      idp.refuse = undefined;
      idp.lifetimeMs = 600_000;
      const before = idp.requests;
      const provider = grant({ scope: 'kafka' });
      const kafka = new KafkaClient({ brokers: [bootstrap(info, 'oauth')], sasl: { mechanism: 'OAUTHBEARER', token: provider }, connectionsPerBroker: 2 });
      try {
        const r = await kafka.fetch('plain', 0, 0n);
        sameAsProduced(r.records, readExpected(info, 'plain').filter((x) => x.partition === 0), 'plain-0');
        const c = await Connection.connect({ ...at(), sasl: { mechanism: 'OAUTHBEARER', token: provider } });
        c.close();
        assert.equal(idp.requests - before, 1);
      } finally {
        kafka.close();
      }
    });

    test('client credentials: endpoint down is KWIRE_ERR_SASL_TOKEN caused by KWIRE_ERR_OAUTH_UNREACHABLE', async () => {
      const down = createServer();
      await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
      const port = (down.address() as AddressInfo).port;
      await new Promise((r) => down.close(r));
      const e = await refused({ ...at(), sasl: { mechanism: 'OAUTHBEARER', token: grant({ tokenUrl: `http://127.0.0.1:${port}/token` }) } }, SECRET);
      assert.equal(e.code, 'KWIRE_ERR_SASL_TOKEN');
      assert.ok(e.cause instanceof OAuthTokenError);
      assert.equal(e.cause.code, 'KWIRE_ERR_OAUTH_UNREACHABLE');
      assert.match(e.message, /no token: token endpoint http:\/\/127\.0\.0\.1:\d+\/token: unreachable \(ECONNREFUSED\)/);
    });

    test('client credentials: 401 invalid_client is KWIRE_ERR_SASL_TOKEN naming invalid_client, no secret anywhere', async () => {
      idp.refuse = { status: 401, body: { error: 'invalid_client', error_description: `bad secret ${SECRET}` } };
      try {
        const e = await refused({ ...at(), sasl: { mechanism: 'OAUTHBEARER', token: grant() } }, SECRET);
        assert.equal(e.code, 'KWIRE_ERR_SASL_TOKEN');
        assert.ok(e.cause instanceof OAuthTokenError);
        assert.equal(e.cause.code, 'KWIRE_ERR_OAUTH_REFUSED');
        assert.equal(e.cause.oauthError, 'invalid_client');
        assert.equal(e.cause.httpStatus, 401);
        assert.match(e.message, /HTTP 401: invalid_client \(bad secret \[secret\]\)/);
      } finally {
        idp.refuse = undefined;
      }
      // A wrong secret against the real check of the endpoint, too.
      const wrong = await refused({ ...at(), sasl: { mechanism: 'OAUTHBEARER', token: grant({ clientSecret: 'wrong-secret' }) } }, 'wrong-secret');
      assert.equal((wrong.cause as OAuthTokenError).oauthError, 'invalid_client');
    });

    test('KIP-368: a long-lived connection re-authenticates with fresh tokens from the endpoint, well past the first one\'s expiry', async () => {
      idp.lifetimeMs = 3000;
      const firstIssued = idp.issued.length;
      const asked: boolean[] = [];
      const endpoint = grant();
      const provider: OAuthTokenProvider = (r) => {
        asked.push(r.reauthentication);
        return endpoint(r);
      };
      const c = await Connection.connect({ ...at(), sasl: { mechanism: 'OAUTHBEARER', token: provider } });
      const started = Date.now();
      // The first token's expiry bounds the session: about 3 s, not the listener's 4 s.
      assert.ok(c.sessionLifetimeMs > 1500 && c.sessionLifetimeMs <= 3000, `first session ${c.sessionLifetimeMs} ms`);
      const lifetimes: number[] = [];
      let seen = 0;
      let answered = 0;
      while (Date.now() - started < 11_000) {
        const rs = await Promise.all([1, 2].map(() => c.request(MetadataApi, METADATA)));
        for (const r of rs) assert.equal(r.body.topics[0]!.errorCode, 0);
        answered += rs.length;
        if (c.reauthentications !== seen) {
          seen = c.reauthentications;
          lifetimes.push(c.sessionLifetimeMs);
        }
        await sleep(50);
      }
      c.close();
      const issued = idp.issued.length - firstIssued;
      assert.ok(c.reauthentications >= 3, `re-authenticated ${c.reauthentications} times in 11 s`);
      assert.ok(answered > 50, `${answered} requests answered`);
      // A new token each time: the old one, at 85-95 % of its life, would have left a session under 0.5 s.
      assert.ok(lifetimes.every((ms) => ms > 1500), `sessions after re-authentication: ${lifetimes.join(', ')} ms`);
      assert.ok(issued >= c.reauthentications, `${issued} tokens issued for ${c.reauthentications} re-authentications`);
      assert.equal(asked[0], false);
      assert.ok(asked.slice(1).every((r) => r), 'later logins are re-authentications');
      assert.equal(new Set(idp.issued.slice(firstIssued)).size, issued, 'tokens differ');
    });
  });
}
