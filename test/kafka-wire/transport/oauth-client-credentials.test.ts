import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { clientCredentialsTokenProvider, OAuthTokenError, staticTokenProvider, type ClientCredentialsOptions } from '../../../src/kafka-wire/index.js';

const SECRET = 'Hunter2-s3cret';
const REQUEST = { broker: '127.0.0.1:1', reauthentication: false };

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}

/** A token endpoint on loopback: `handle` answers each request; `seen` keeps what arrived. */
class TokenEndpoint {
  readonly seen: Seen[] = [];
  handle: (req: Seen, res: ServerResponse) => void = (_q, res) => json(res, 200, { access_token: 'tok', token_type: 'Bearer', expires_in: 3600 });
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => {
      body += c;
    }).on('end', () => {
      const seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, form: new URLSearchParams(body) };
      this.seen.push(seen);
      this.handle(seen, res);
    });
  });

  url = '';

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/oauth2/token`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The error a provider call ends with; fails the test when it yields a token. */
async function failure(p: Promise<unknown>): Promise<OAuthTokenError> {
  const e = await p.then(() => assert.fail('got a token'), (err: unknown) => err);
  assert.ok(e instanceof OAuthTokenError, String(e));
  const text = JSON.stringify({ message: e.message, stack: e.stack, d: e.oauthErrorDescription, o: e.oauthError });
  assert.ok(!text.includes(SECRET), `the secret leaked: ${text}`);
  return e;
}

describe('client credentials token provider (RFC 6749 §4.4)', () => {
  const idp = new TokenEndpoint();
  before(() => idp.listen());
  after(() => idp.close());
  beforeEach(() => {
    idp.seen.length = 0;
    idp.handle = (_q, res) => json(res, 200, { access_token: `tok-${idp.seen.length}`, token_type: 'Bearer', expires_in: 3600 });
  });
  const provider = (o: Partial<ClientCredentialsOptions> = {}) => clientCredentialsTokenProvider({ tokenUrl: idp.url, clientId: 'kafka-ws-proxy', clientSecret: SECRET, ...o });

  test('POSTs grant_type, scope and audience as a form, with HTTP Basic of the form-encoded id and secret', async () => {
    const t = await provider({ clientId: 'my id', clientSecret: 's:c&é', scope: 'kafka read', audience: 'https://kafka.example' })(REQUEST);
    assert.equal(t.value, 'tok-1');
    const [q] = idp.seen;
    assert.equal(q?.method, 'POST');
    assert.equal(q?.path, '/oauth2/token');
    assert.equal(q?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(q?.headers['accept'], 'application/json');
    // RFC 6749 §2.3.1 and Appendix B: "my id" -> my+id, "s:c&é" -> s%3Ac%26%C3%A9.
    assert.equal(q?.headers['authorization'], `Basic ${Buffer.from('my+id:s%3Ac%26%C3%A9').toString('base64')}`);
    assert.deepEqual([...(q?.form ?? [])], [['grant_type', 'client_credentials'], ['scope', 'kafka read'], ['audience', 'https://kafka.example']]);
  });

  test('client_auth body: id and secret as form fields, no Authorization header', async () => {
    await provider({ clientAuthentication: 'body' })(REQUEST);
    const [q] = idp.seen;
    assert.equal(q?.headers['authorization'], undefined);
    assert.deepEqual([...(q?.form ?? [])], [['grant_type', 'client_credentials'], ['client_id', 'kafka-ws-proxy'], ['client_secret', SECRET]]);
  });

  test('keeps the token: later callers and 20 concurrent ones share one request', async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    idp.handle = (_q, res) => void gate.then(() => json(res, 200, { access_token: 'shared', expires_in: 3600 }));
    const p = provider();
    const all = Promise.all(Array.from({ length: 20 }, () => p(REQUEST)));
    await sleep(100);
    release();
    const tokens = await all;
    assert.ok(tokens.every((t) => t.value === 'shared'));
    assert.equal((await p(REQUEST)).value, 'shared');
    assert.equal(idp.seen.length, 1);
    const expiresAt = tokens[0]!.expiresAtMs ?? 0;
    assert.ok(Math.abs(expiresAt - (Date.now() + 3_600_000)) < 5000, `expiresAtMs ${expiresAt}`);
  });

  test('replaces the token at 80 % of expires_in, before it expires', async () => {
    idp.handle = (_q, res) => json(res, 200, { access_token: `tok-${idp.seen.length}`, expires_in: 1.5 });
    const p = provider({ refreshMarginMs: 0 });
    assert.equal((await p(REQUEST)).value, 'tok-1');
    await sleep(600);
    assert.equal((await p(REQUEST)).value, 'tok-1', 'kept before 80 % (1.2 s)');
    await sleep(750);
    assert.equal((await p(REQUEST)).value, 'tok-2', 'replaced after 1.2 s, before the 1.5 s expiry');
    assert.equal(idp.seen.length, 2);
  });

  test('the margin moves the refresh earlier, but never before half the lifetime', async () => {
    idp.handle = (_q, res) => json(res, 200, { access_token: `tok-${idp.seen.length}`, expires_in: 2 });
    const p = provider({ refreshMarginMs: 1800 });
    await p(REQUEST);
    await sleep(700);
    assert.equal((await p(REQUEST)).value, 'tok-1', 'kept before half of 2 s');
    await sleep(500);
    assert.equal((await p(REQUEST)).value, 'tok-2', 'replaced after 1 s');
  });

  test('a failed refresh hands out the old token while it is valid (onRefreshError), then fails', async () => {
    let down = false;
    idp.handle = (_q, res) => (down ? json(res, 503, { error: 'temporarily_unavailable' }) : json(res, 200, { access_token: 'old', expires_in: 1.2 }));
    const errors: OAuthTokenError[] = [];
    const p = provider({ refreshMarginMs: 0, onRefreshError: (e) => errors.push(e) });
    await p(REQUEST);
    down = true;
    await sleep(1000);
    assert.equal((await p(REQUEST)).value, 'old');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.oauthError, 'temporarily_unavailable');
    await sleep(300);
    const e = await failure(p(REQUEST));
    assert.equal(e.code, 'KWIRE_ERR_OAUTH_REFUSED');
    assert.equal(idp.seen.length, 3);
  });

  test('401 invalid_client: KWIRE_ERR_OAUTH_REFUSED naming it, the description cleaned of the secret; the next call asks again', async () => {
    idp.handle = (_q, res) => json(res, 401, { error: 'invalid_client', error_description: `client secret ${SECRET} is wrong` });
    const p = provider();
    const e = await failure(p(REQUEST));
    assert.equal(e.code, 'KWIRE_ERR_OAUTH_REFUSED');
    assert.equal(e.httpStatus, 401);
    assert.equal(e.oauthError, 'invalid_client');
    assert.equal(e.oauthErrorDescription, 'client secret [secret] is wrong');
    assert.equal(e.message, `token endpoint ${idp.url}: HTTP 401: invalid_client (client secret [secret] is wrong)`);
    await failure(p(REQUEST));
    assert.equal(idp.seen.length, 2, 'failures are not kept');
  });

  test('unusable answers: KWIRE_ERR_OAUTH_REFUSED or _RESPONSE, never quoting the token', async () => {
    const cases: Array<[string, (res: ServerResponse) => void, string, RegExp]> = [
      ['500 text', (res) => res.writeHead(500).end(`oops ${SECRET}`), 'KWIRE_ERR_OAUTH_REFUSED', /: HTTP 500$/],
      ['200 not JSON', (res) => res.writeHead(200).end('<html>'), 'KWIRE_ERR_OAUTH_RESPONSE', /not JSON/],
      ['200 array', (res) => json(res, 200, [1]), 'KWIRE_ERR_OAUTH_RESPONSE', /no access_token/],
      ['no access_token', (res) => json(res, 200, { token_type: 'Bearer' }), 'KWIRE_ERR_OAUTH_RESPONSE', /no access_token/],
      ['access_token a number', (res) => json(res, 200, { access_token: 5 }), 'KWIRE_ERR_OAUTH_RESPONSE', /no access_token/],
      ['access_token with a space', (res) => json(res, 200, { access_token: `${SECRET} x` }), 'KWIRE_ERR_OAUTH_RESPONSE', /not an RFC 6750 bearer token/],
      ['token_type MAC', (res) => json(res, 200, { access_token: 'a', token_type: 'MAC' }), 'KWIRE_ERR_OAUTH_RESPONSE', /token_type "MAC" is not Bearer/],
      ['expires_in negative', (res) => json(res, 200, { access_token: 'a', expires_in: -1 }), 'KWIRE_ERR_OAUTH_RESPONSE', /expires_in/],
      ['expires_in text', (res) => json(res, 200, { access_token: 'a', expires_in: 'soon' }), 'KWIRE_ERR_OAUTH_RESPONSE', /expires_in/],
      ['2 MiB body', (res) => res.writeHead(200).end(Buffer.alloc(2 << 20, 0x20)), 'KWIRE_ERR_OAUTH_RESPONSE', /exceeds 1048576 bytes/],
      ['redirect', (res) => res.writeHead(307, { location: 'http://127.0.0.1:1/steal' }).end(), 'KWIRE_ERR_OAUTH_REFUSED', /HTTP 307: redirects are not followed/],
    ];
    for (const [what, answer, code, message] of cases) {
      idp.handle = (_q, res) => answer(res);
      const e = await failure(provider()(REQUEST));
      assert.equal(e.code, code, what);
      assert.match(e.message, message, what);
    }
  });

  test('lenient where servers differ: lower-case bearer, no token_type, expires_in as a string, the JWT exp when expires_in is missing', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const jwt = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'a', exp })).toString('base64url')}.`;
    const answers: unknown[] = [
      { access_token: 'a', token_type: 'bearer', expires_in: 60 },
      { access_token: 'b', expires_in: '60' },
      { access_token: jwt, token_type: 'Bearer' },
      { access_token: 'opaque' },
    ];
    const got = [];
    for (const a of answers) {
      idp.handle = (_q, res) => json(res, 200, a);
      got.push(await provider()(REQUEST));
    }
    assert.deepEqual(got.map((t) => t.value), ['a', 'b', jwt, 'opaque']);
    assert.ok(Math.abs((got[1]!.expiresAtMs ?? 0) - (Date.now() + 60_000)) < 5000);
    assert.equal(got[2]!.expiresAtMs, exp * 1000);
    assert.equal(got[3]!.expiresAtMs, undefined, 'no lifetime known');
  });

  test('a token of unknown lifetime is reused for unknownLifetimeMs', async () => {
    idp.handle = (_q, res) => json(res, 200, { access_token: `tok-${idp.seen.length}` });
    const p = provider({ unknownLifetimeMs: 400 });
    assert.equal((await p(REQUEST)).value, 'tok-1');
    assert.equal((await p(REQUEST)).value, 'tok-1');
    await sleep(500);
    assert.equal((await p(REQUEST)).value, 'tok-2');
  });

  test('an endpoint that does not answer, or stops halfway: KWIRE_ERR_OAUTH_TIMEOUT', async () => {
    idp.handle = () => undefined;
    const started = Date.now();
    const silent = await failure(provider({ timeoutMs: 300 })(REQUEST));
    assert.equal(silent.code, 'KWIRE_ERR_OAUTH_TIMEOUT');
    assert.match(silent.message, /no complete answer within 300 ms/);
    assert.ok(Date.now() - started < 2000);
    idp.handle = (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).write('{"access_token":');
    assert.equal((await failure(provider({ timeoutMs: 300 })(REQUEST))).code, 'KWIRE_ERR_OAUTH_TIMEOUT');
  });

  test('an endpoint nobody listens on: KWIRE_ERR_OAUTH_UNREACHABLE', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const e = await failure(clientCredentialsTokenProvider({ tokenUrl: `http://127.0.0.1:${port}/token?x=${SECRET}`, clientId: 'a', clientSecret: SECRET })(REQUEST));
    assert.equal(e.code, 'KWIRE_ERR_OAUTH_UNREACHABLE');
    assert.equal(e.message, `token endpoint http://127.0.0.1:${port}/token: unreachable (ECONNREFUSED)`);
  });

  test('unusable options are refused at once with KWIRE_ERR_OAUTH_CONFIG', () => {
    const bad: Array<[Partial<ClientCredentialsOptions>, RegExp]> = [
      [{ tokenUrl: 'not a url' }, /not an absolute URL/],
      [{ tokenUrl: 'ftp://idp/token' }, /http: or https:/],
      [{ tokenUrl: `https://user:${SECRET}@idp/token` }, /must not hold credentials/],
      [{ clientId: '' }, /clientId/],
      [{ refreshRatio: 0 }, /refreshRatio/],
      [{ timeoutMs: Number.NaN }, /timeoutMs/],
    ];
    for (const [o, message] of bad) {
      assert.throws(() => provider(o), (e: unknown) => {
        assert.ok(e instanceof OAuthTokenError);
        assert.equal(e.code, 'KWIRE_ERR_OAUTH_CONFIG');
        assert.match(e.message, message);
        assert.ok(!e.message.includes(SECRET), e.message);
        return true;
      });
    }
  });
});

test('staticTokenProvider hands out the same token every time', async () => {
  const p = staticTokenProvider('abc', 42);
  assert.deepEqual(await p(REQUEST), { value: 'abc', expiresAtMs: 42 });
  assert.deepEqual(await p({ ...REQUEST, reauthentication: true }), { value: 'abc', expiresAtMs: 42 });
  assert.deepEqual(await staticTokenProvider('x')(REQUEST), { value: 'x' });
});
