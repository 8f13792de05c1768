import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  ApiVersionsApi, AuthenticationError, Connection, decodeRequestFrame, encodeMessage, encodeResponseHeader, FrameReader, oauthBearerInitialResponse,
  oauthBearerSession, parseOAuthBearerChallenge, SaslAuthenticateApi, SaslHandshakeApi, Writer, type ApiSpec, type OAuthTokenProvider,
} from '../../../src/kafka-wire/index.js';

/**
 * Kafka's own parser of the client's first message (OAuthBearerClientInitialResponse in
 * kafka-clients 3.9.2 and 4.4.0, read with javap): the same grammar written out independently,
 * so an encoding that this accepts is one the broker accepts.
 */
// Java's [\x01-\x7F&&[^=,]] (a class intersection) is \x01-\x7F without , (0x2C) and = (0x3D).
const SASLNAME = String.raw`(?:[\x01-\x2B\x2D-\x3C\x3E-\x7F]|=2C|=3D)+`;
const KAFKA_CLIENT_FIRST = new RegExp(`^n,(a=(?<authzid>${SASLNAME}))?,\\x01(?<kvpairs>([A-Za-z]+=[\\x21-\\x7E \\t\\r\\n]+\\x01)*)\\x01$`);
const KAFKA_AUTH = /^(?<scheme>\w+) +(?<token>[-_~+/.a-zA-Z0-9]+(=*))$/;

function kafkaParse(bytes: Buffer): { token: string; extensions: Record<string, string> } {
  const m = KAFKA_CLIENT_FIRST.exec(bytes.toString('utf8'));
  assert.ok(m?.groups, `Kafka would refuse ${JSON.stringify(bytes.toString('utf8'))}`);
  const pairs: Record<string, string> = {};
  for (const kv of m.groups['kvpairs']!.split('\x01').filter((p) => p !== '')) {
    const eq = kv.indexOf('=');
    pairs[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const auth = KAFKA_AUTH.exec(pairs['auth'] ?? '');
  assert.ok(auth?.groups, 'no auth=Bearer pair');
  assert.equal(auth.groups['scheme']!.toLowerCase(), 'bearer');
  delete pairs['auth'];
  return { token: auth.groups['token']!, extensions: pairs };
}

const JWT = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6MX0.';

describe('OAUTHBEARER client initial response (RFC 7628 §3.1, KIP-255, KIP-342)', () => {
  test('is n,, ^Aauth=Bearer <token> ^A ^A, with extensions in the order given', () => {
    assert.equal(oauthBearerInitialResponse(JWT).toString('latin1'), `n,,\x01auth=Bearer ${JWT}\x01\x01`);
    const withExt = oauthBearerInitialResponse('abc==', { traceId: 'a b\tc', logicalCluster: 'lkc-1' });
    assert.equal(withExt.toString('latin1'), 'n,,\x01auth=Bearer abc==\x01traceId=a b\tc\x01logicalCluster=lkc-1\x01\x01');
    assert.deepEqual(kafkaParse(withExt), { token: 'abc==', extensions: { traceId: 'a b\tc', logicalCluster: 'lkc-1' } });
    assert.deepEqual(kafkaParse(oauthBearerInitialResponse('-._~+/AZaz09=')), { token: '-._~+/AZaz09=', extensions: {} });
  });

  test('refuses tokens and extensions that would change the message, without quoting them', () => {
    const secret = 'Hunter2';
    for (const bad of ['', `${secret} x`, `${secret}\x01auth=Bearer other`, `${secret}=x`, `${secret},`, `${secret}é`, `${secret}\n`]) {
      assert.throws(() => oauthBearerInitialResponse(bad), (e: Error) => {
        assert.ok(!e.message.includes(secret), e.message);
        assert.match(e.message, bad === '' ? /empty/ : /RFC 6750/);
        return true;
      });
    }
    const ext = (extensions: Record<string, string>, message: RegExp) => assert.throws(() => oauthBearerInitialResponse('t', extensions), (e: Error) => {
      assert.ok(!e.message.includes(secret), e.message);
      assert.match(e.message, message);
      return true;
    });
    ext({ auth: 'x' }, /reserved/);
    ext({ [`${secret}1`]: 'x' }, /extension #1: a name must be ASCII letters only/);
    ext({ a: 'x', [`${secret} x`]: 'x' }, /extension #2/);
    ext({ '': 'x' }, /extension #1/);
    ext({ name: '' }, /extension name: the value/);
    ext({ name: `${secret}\x01auth=Bearer x` }, /extension name: the value/);
    ext({ name: `${secret}\x7F` }, /extension name: the value/);
    ext({ name: 1 as unknown as string }, /extension name: the value/);
  });
});

describe('OAUTHBEARER server error challenge (RFC 7628 §3.2.2)', () => {
  test('reads status, scope and openid-configuration', () => {
    assert.deepEqual(parseOAuthBearerChallenge(Buffer.from('{"status":"invalid_token"}')), { status: 'invalid_token', scope: null, openidConfiguration: null });
    assert.deepEqual(parseOAuthBearerChallenge(Buffer.from('{"status":"insufficient_scope","scope":"kafka write","openid-configuration":"https://idp/.well-known/openid-configuration"}')),
      { status: 'insufficient_scope', scope: 'kafka write', openidConfiguration: 'https://idp/.well-known/openid-configuration' });
  });

  test('hostile challenges give nulls or cleaned, cut text, never an exception or the token', () => {
    const none = { status: null, scope: null, openidConfiguration: null };
    for (const raw of ['', 'not json', '[]', 'null', '"invalid_token"', '{"status":1,"scope":{}}', '{"status":', '\u0000\u00ff']) {
      assert.deepEqual(parseOAuthBearerChallenge(Buffer.from(raw, 'latin1')), none, raw);
    }
    assert.equal(parseOAuthBearerChallenge(Buffer.from('{"status":"a\\u0001b\\nc\u00e9"}')).status, 'a?b?c?');
    assert.equal(parseOAuthBearerChallenge(Buffer.from(JSON.stringify({ status: 'x'.repeat(5000) }))).status, `${'x'.repeat(200)}...`);
    const echoed = parseOAuthBearerChallenge(Buffer.from(JSON.stringify({ status: `bad ${'T'.repeat(300)}`, scope: 'T'.repeat(300) })), 'T'.repeat(300));
    assert.deepEqual([echoed.status, echoed.scope], ['bad [token]', '[token]']);
    // A "token" of a few characters is no secret worth garbling the text for.
    assert.equal(parseOAuthBearerChallenge(Buffer.from('{"status":"invalid_token"}'), 'token').status, 'invalid_token');
  });

  test('the session answers an error challenge with ^A alone, remembers it, and refuses a server that goes on', () => {
    const ok = oauthBearerSession(JWT);
    assert.equal(ok.serverError?.(), null);
    assert.equal(ok.respond(Buffer.alloc(0)), null);
    const refused = oauthBearerSession(JWT);
    assert.deepEqual(refused.respond(Buffer.from('{"status":"invalid_token"}')), Buffer.from([1]));
    assert.equal(refused.serverError?.()?.status, 'invalid_token');
    assert.throws(() => refused.respond(Buffer.alloc(0)), /went on after its error challenge/);
  });
});

/** What the loopback broker does with one SaslAuthenticate: its answer, given the client's bytes and the login's round. */
type SaslAnswer = (authBytes: Buffer, round: number) => { errorCode?: number; errorMessage?: string | null; authBytes?: Buffer; sessionLifetimeMs?: bigint };

/**
 * A loopback broker speaking just ApiVersions, SaslHandshake (OAUTHBEARER only) and
 * SaslAuthenticate, answering each login as `answer` says, and keeping every token it got.
 */
class OAuthBroker {
  readonly tokens: string[] = [];
  answer: SaslAnswer = () => ({});
  private readonly server: Server = createServer((s) => this.serve(s));
  private readonly sockets = new Set<Socket>();
  port = 0;

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let round = 0;
    const frames = new FrameReader(1 << 20, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => frames.push(chunk, (frame) => {
      const { header, api, body } = decodeRequestFrame(frame);
      const v = header.requestApiVersion;
      let reply: unknown;
      if (api.key === ApiVersionsApi.key) {
        reply = { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }, { apiKey: 17, minVersion: 0, maxVersion: 1 }, { apiKey: 36, minVersion: 0, maxVersion: 2 }] };
      } else if (api.key === SaslHandshakeApi.key) {
        round = 0;
        reply = { errorCode: body['mechanism'] === 'OAUTHBEARER' ? 0 : 33, mechanisms: ['OAUTHBEARER'] };
      } else if (api.key === SaslAuthenticateApi.key) {
        const bytes = body['authBytes'] as Buffer;
        const auth = bytes.toString('latin1').split('\x01').find((kv) => kv.startsWith('auth=Bearer '));
        if (auth !== undefined) this.tokens.push(auth.slice('auth=Bearer '.length));
        const a = this.answer(bytes, round++);
        reply = { errorCode: a.errorCode ?? 0, errorMessage: a.errorMessage ?? null, authBytes: a.authBytes ?? Buffer.alloc(0), sessionLifetimeMs: a.sessionLifetimeMs ?? 0n };
      } else {
        socket.destroy();
        return;
      }
      const w = new Writer();
      const sizeAt = w.reserveInt32();
      encodeResponseHeader(w, api.key, v, { correlationId: header.correlationId });
      encodeMessage((api as ApiSpec).response, v, reply as never, w);
      w.patchInt32(sizeAt, w.pos - sizeAt - 4);
      socket.write(Buffer.from(w.finish()));
    }));
  }
}

describe('OAUTHBEARER login against a loopback broker', () => {
  const broker = new OAuthBroker();
  before(() => broker.listen());
  after(() => broker.close());
  const connect = (token: string | OAuthTokenProvider, o: { connectTimeoutMs?: number; requestTimeoutMs?: number } = {}) =>
    Connection.connect({ host: '127.0.0.1', port: broker.port, sasl: { mechanism: 'OAUTHBEARER', token }, connectTimeoutMs: 3000, ...o });
  const refusal = async (p: Promise<Connection>): Promise<AuthenticationError> => {
    const e = await p.then((c) => {
      c.close();
      return assert.fail('the login worked');
    }, (err: unknown) => err);
    assert.ok(e instanceof AuthenticationError, String(e));
    return e;
  };

  test('a broker echoing the token in its challenge and its error message: refused, typed, the token replaced', async () => {
    const token = `${'S3cr3t'.repeat(10)}.x.`;
    broker.answer = (bytes, round) => round === 0
      ? { authBytes: Buffer.from(JSON.stringify({ status: 'invalid_token', scope: `needs more than ${bytes.toString('latin1')}` })) }
      : { errorCode: 58, errorMessage: `rejected ${token} after ${JSON.stringify(bytes.toString('latin1'))}` };
    const e = await refusal(connect(token));
    assert.equal(e.code, 'KWIRE_ERR_SASL_AUTH_FAILED');
    assert.equal(e.oauth?.status, 'invalid_token');
    assert.match(e.message, /the broker rejected the token: invalid_token \(scope needs more than n,,\?auth=Bearer \[token\]\?\?\): rejected \[token\] after "\\u0001"/);
    assert.equal(e.brokerMessage, 'rejected [token] after "\\u0001"');
    const all = JSON.stringify({ m: e.message, b: e.brokerMessage, o: e.oauth, s: e.stack });
    assert.ok(!all.includes('S3cr3t'), all);
    assert.equal(broker.tokens.at(-1), token);
  });

  test('a broker that accepts after its error challenge is a protocol failure, not a login', async () => {
    broker.answer = (_b, round) => (round === 0 ? { authBytes: Buffer.from('{"status":"invalid_token"}') } : {});
    const e = await refusal(connect('abc'));
    assert.equal(e.code, 'KWIRE_ERR_SASL_PROTOCOL');
    assert.match(e.message, /went on after its error challenge/);
  });

  test('a token the mechanism cannot carry is refused before anything is sent', async () => {
    const before = broker.tokens.length;
    const e = await refusal(connect(async () => ({ value: 'Hunter2 \x01auth=Bearer x' })));
    assert.equal(e.code, 'KWIRE_ERR_SASL_TOKEN');
    assert.ok(!e.message.includes('Hunter2'), e.message);
    assert.equal(broker.tokens.length, before);
  });

  test('a failing, hanging or empty-handed provider: KWIRE_ERR_SASL_TOKEN with the cause', async () => {
    broker.answer = () => ({});
    const boom = new Error('identity provider on fire');
    const failed = await refusal(connect(() => Promise.reject(boom)));
    assert.equal(failed.code, 'KWIRE_ERR_SASL_TOKEN');
    assert.equal(failed.cause, boom);
    assert.match(failed.message, /no token: identity provider on fire/);
    const thrown = await refusal(connect(() => {
      throw boom;
    }));
    assert.equal(thrown.cause, boom);
    const started = Date.now();
    const hung = await refusal(connect(() => new Promise(() => undefined), { connectTimeoutMs: 300 }));
    assert.match(hung.message, /did not answer within \d+ ms/);
    assert.ok(Date.now() - started < 2000, `gave up after ${Date.now() - started} ms`);
    const empty = await refusal(connect(async () => ({}) as never));
    assert.match(empty.message, /returned no token value/);
  });

  test('KIP-368: every re-authentication asks the provider again and sends its new token', async () => {
    broker.answer = () => ({ sessionLifetimeMs: 1200n });
    const calls: boolean[] = [];
    const provider: OAuthTokenProvider = async (r) => {
      calls.push(r.reauthentication);
      assert.equal(r.broker, `127.0.0.1:${broker.port}`);
      return { value: `token-${calls.length}` };
    };
    const first = broker.tokens.length;
    const c = await connect(provider);
    assert.equal(c.sessionLifetimeMs, 1200);
    const until = Date.now() + 10_000;
    while (c.reauthentications < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    c.close();
    assert.ok(c.reauthentications >= 2, `re-authenticated ${c.reauthentications} times`);
    assert.deepEqual(calls.slice(0, 3), [false, true, true]);
    assert.deepEqual(broker.tokens.slice(first, first + 3), ['token-1', 'token-2', 'token-3']);
  });

  test('a re-authentication never starts within a second of the previous one (Kafka refuses it)', async () => {
    broker.answer = () => ({ sessionLifetimeMs: 100n });
    const starts: number[] = [];
    const c = await connect(async () => {
      starts.push(Date.now());
      return { value: 'short' };
    });
    const until = Date.now() + 10_000;
    while (c.reauthentications < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    c.close();
    assert.ok(starts.length >= 3, `${starts.length} logins`);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 1]! >= 990, `login ${i} came ${starts[i]! - starts[i - 1]!} ms after the one before`);
  });

  test('a re-authentication whose provider fails closes the connection with KWIRE_ERR_SASL_TOKEN', async () => {
    broker.answer = () => ({ sessionLifetimeMs: 1000n });
    let n = 0;
    const c = await connect(async () => {
      if (++n > 1) throw new Error('endpoint gone');
      return { value: 'once' };
    });
    const closed = await new Promise<Error>((r) => c.onClose(r));
    assert.ok(closed instanceof AuthenticationError);
    assert.equal(closed.code, 'KWIRE_ERR_SASL_TOKEN');
    assert.match(closed.message, /endpoint gone/);
  });
});
