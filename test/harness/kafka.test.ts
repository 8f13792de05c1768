// Real-broker tier: checks the harness itself. Starts (or reuses) Kafka 3.9.2 and 4.4.0, then
// talks to every listener with node:net / node:tls and a few hand-built Kafka requests
// (ApiVersions v0, SaslHandshake v1, SaslAuthenticate v1), and checks expected/ against the
// broker with Kafka's own Java consumer (scripts/kafka/verify.sh).
//
// Set KWP_KAFKA_TEST_RESTART=1 to also stop and restart each broker (disturbs other test files
// using the same broker, so off by default).
import assert from 'node:assert/strict';
import { createHash, createHmac, generateKeyPairSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { before, describe, it } from 'node:test';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

import {
  BIG_COUNT,
  BROKER_LINES,
  SEEDED_TOPICS,
  TIMESTAMP_BASE,
  ensureBroker,
  jwtClaims,
  readExpected,
  readTopic,
  readTopics,
  restartBroker,
  signedJwt,
  unsecuredJwt,
  verifyBroker,
  type BrokerInfo,
  type BrokerLine,
  type ExpectedRecord,
} from './kafka.js';

// ---------------------------------------------------------------- a minimal Kafka client

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const ERROR_NONE = 0;
const ERROR_SASL_AUTHENTICATION_FAILED = 58;

/** Request/response over one socket, one request in flight; response header v0. */
class KafkaConn {
  private buf: Buffer = Buffer.alloc(0);
  private correlationId = 0;
  private waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failed: Error | undefined;
  readonly socket: Socket;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
    const fail = (e: Error): void => {
      this.failed ??= e;
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(this.failed);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed before a response')));
  }

  /** Request header v1: api key, version, correlation id, client id. Returns the response body. */
  request(apiKey: number, apiVersion: number, body: Buffer): Promise<Buffer> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const clientId = Buffer.from('kwp-harness-test');
    const header = Buffer.alloc(10);
    header.writeInt16BE(apiKey, 0);
    header.writeInt16BE(apiVersion, 2);
    header.writeInt32BE(++this.correlationId, 4);
    header.writeInt16BE(clientId.length, 8);
    const size = Buffer.alloc(4);
    size.writeInt32BE(header.length + clientId.length + body.length, 0);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(Buffer.concat([size, header, clientId, body]));
    });
  }

  private drain(): void {
    if (this.buf.length < 4) return;
    const size = this.buf.readInt32BE(0);
    if (this.buf.length < 4 + size) return;
    const frame = this.buf.subarray(4, 4 + size);
    this.buf = this.buf.subarray(4 + size);
    const w = this.waiting;
    this.waiting = undefined;
    if (w === undefined) return;
    if (frame.readInt32BE(0) !== this.correlationId) w.reject(new Error('correlation id mismatch'));
    else w.resolve(frame.subarray(4));
  }

  close(): void {
    this.socket.destroy();
  }
}

function str16(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const l = Buffer.alloc(2);
  l.writeInt16BE(b.length, 0);
  return Buffer.concat([l, b]);
}

function bytes32(b: Buffer): Buffer {
  const l = Buffer.alloc(4);
  l.writeInt32BE(b.length, 0);
  return Buffer.concat([l, b]);
}

/** ApiVersions v0 -> { errorCode, apiKeys }. */
async function apiVersions(conn: KafkaConn): Promise<{ errorCode: number; apiKeys: number[] }> {
  const r = await conn.request(API_VERSIONS, 0, Buffer.alloc(0));
  const errorCode = r.readInt16BE(0);
  const n = r.readInt32BE(2);
  const apiKeys: number[] = [];
  for (let i = 0; i < n; i++) apiKeys.push(r.readInt16BE(6 + i * 6));
  return { errorCode, apiKeys };
}

/** SaslHandshake v1 -> { errorCode, mechanisms }. */
async function saslHandshake(conn: KafkaConn, mechanism: string): Promise<{ errorCode: number; mechanisms: string[] }> {
  const r = await conn.request(SASL_HANDSHAKE, 1, str16(mechanism));
  const errorCode = r.readInt16BE(0);
  const n = r.readInt32BE(2);
  const mechanisms: string[] = [];
  let at = 6;
  for (let i = 0; i < n; i++) {
    const len = r.readInt16BE(at);
    mechanisms.push(r.toString('utf8', at + 2, at + 2 + len));
    at += 2 + len;
  }
  return { errorCode, mechanisms };
}

/** SaslAuthenticate v1 -> { errorCode, errorMessage, authBytes }. */
async function saslAuthenticate(
  conn: KafkaConn,
  authBytes: Buffer,
): Promise<{ errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs: bigint }> {
  const r = await conn.request(SASL_AUTHENTICATE, 1, bytes32(authBytes));
  const errorCode = r.readInt16BE(0);
  const msgLen = r.readInt16BE(2);
  let at = 4;
  let errorMessage: string | null = null;
  if (msgLen >= 0) {
    errorMessage = r.toString('utf8', at, at + msgLen);
    at += msgLen;
  }
  const len = r.readInt32BE(at);
  const end = at + 4 + Math.max(len, 0);
  // SessionLifetimeMs (v1+, KIP-368) follows, on success only.
  const sessionLifetimeMs = r.length >= end + 8 ? r.readBigInt64BE(end) : 0n;
  return { errorCode, errorMessage, authBytes: len < 0 ? Buffer.alloc(0) : r.subarray(at + 4, end), sessionLifetimeMs };
}

/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255) written out by hand. A refusing broker sends an error
 * challenge first; the client answers ^A and then gets the error code.
 */
async function saslOAuthBearer(conn: KafkaConn, token: string): Promise<{ errorCode: number; challenge: string; sessionLifetimeMs: bigint }> {
  const hs = await saslHandshake(conn, 'OAUTHBEARER');
  assert.equal(hs.errorCode, ERROR_NONE);
  const first = await saslAuthenticate(conn, Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`, 'utf8'));
  if (first.errorCode !== ERROR_NONE || first.authBytes.length === 0) return { errorCode: first.errorCode, challenge: '', sessionLifetimeMs: first.sessionLifetimeMs };
  const second = await saslAuthenticate(conn, Buffer.from([1]));
  return { errorCode: second.errorCode, challenge: first.authBytes.toString('utf8'), sessionLifetimeMs: 0n };
}

/** SASL/PLAIN (RFC 4616); resolves with the SaslAuthenticate error code. */
async function saslPlain(conn: KafkaConn, username: string, password: string): Promise<number> {
  const hs = await saslHandshake(conn, 'PLAIN');
  assert.equal(hs.errorCode, ERROR_NONE);
  const r = await saslAuthenticate(conn, Buffer.from(`\0${username}\0${password}`, 'utf8'));
  return r.errorCode;
}

/** SCRAM (RFC 5802 / RFC 7677, KIP-84); resolves with the first non-zero error code, or 0. */
async function saslScram(conn: KafkaConn, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username: string, password: string): Promise<number> {
  const hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const hashLen = mechanism === 'SCRAM-SHA-256' ? 32 : 64;
  const hs = await saslHandshake(conn, mechanism);
  assert.equal(hs.errorCode, ERROR_NONE, `handshake ${mechanism}: enabled ${hs.mechanisms.join(',')}`);
  const clientNonce = randomBytes(18).toString('base64');
  const clientFirstBare = `n=${username},r=${clientNonce}`;
  const first = await saslAuthenticate(conn, Buffer.from(`n,,${clientFirstBare}`));
  if (first.errorCode !== ERROR_NONE) return first.errorCode;
  const serverFirst = first.authBytes.toString('utf8');
  const attrs = new Map(serverFirst.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
  const nonce = attrs.get('r') ?? '';
  const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
  const iterations = Number(attrs.get('i'));
  assert.ok(nonce.startsWith(clientNonce), 'server nonce extends the client nonce');
  const salted = pbkdf2Sync(password, salt, iterations, hashLen, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac(hash, storedKey).update(authMessage).digest();
  const proof = Buffer.alloc(hashLen);
  for (let i = 0; i < hashLen; i++) proof[i] = (clientKey[i] ?? 0) ^ (signature[i] ?? 0);
  const final = await saslAuthenticate(conn, Buffer.from(`${withoutProof},p=${proof.toString('base64')}`));
  if (final.errorCode !== ERROR_NONE) return final.errorCode;
  const serverKey = createHmac(hash, salted).update('Server Key').digest();
  const serverSignature = createHmac(hash, serverKey).update(authMessage).digest('base64');
  assert.equal(final.authBytes.toString('utf8'), `v=${serverSignature}`, 'server signature');
  return ERROR_NONE;
}

// ---------------------------------------------------------------- sockets

function tcp(port: number): Promise<KafkaConn> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(new KafkaConn(s));
    });
    s.once('error', reject);
  });
}

function tls(port: number, opts: ConnectionOptions): Promise<{ conn: KafkaConn; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ...opts });
    s.once('secureConnect', () => {
      s.off('error', reject);
      resolve({ conn: new KafkaConn(s), socket: s });
    });
    s.once('error', reject);
  });
}

/**
 * Handshake, then ApiVersions. With TLS 1.3 a server that rejects the client certificate does so
 * after the client's handshake completed, so only a request shows whether we were accepted.
 */
async function tlsApiVersions(port: number, opts: ConnectionOptions): Promise<number> {
  const { conn } = await tls(port, opts);
  try {
    return (await apiVersions(conn)).errorCode;
  } finally {
    conn.close();
  }
}

async function withConn<T>(c: Promise<KafkaConn>, f: (conn: KafkaConn) => Promise<T>): Promise<T> {
  const conn = await c;
  try {
    return await f(conn);
  } finally {
    conn.close();
  }
}

// ---------------------------------------------------------------- expected/

function byPartition(recs: ExpectedRecord[]): Map<number, ExpectedRecord[]> {
  const m = new Map<number, ExpectedRecord[]>();
  for (const r of recs) {
    const l = m.get(r.partition) ?? [];
    l.push(r);
    m.set(r.partition, l);
  }
  return m;
}

// ---------------------------------------------------------------- tests

const restartToo = process.env['KWP_KAFKA_TEST_RESTART'] === '1';
const started = new Map<BrokerLine, BrokerInfo>();

before(
  async () => {
    // Sequential: two first-time starts at once would compete for the 2 cores.
    for (const line of BROKER_LINES) started.set(line, await ensureBroker(line));
  },
  { timeout: 900_000 },
);

for (const line of BROKER_LINES) {
  describe(`Kafka ${line} broker`, () => {
    const info = (): BrokerInfo => {
      const i = started.get(line);
      assert.ok(i, `broker ${line} was not started`);
      return i;
    };
    const ca = (): Buffer => readFileSync(info().caPemPath);

    it('reports the expected version and distinct ports', () => {
      const i = info();
      assert.equal(i.line, line);
      assert.match(i.version, line === '3.9' ? /^3\.9\./ : /^4\./);
      const ports = Object.values(i.ports);
      assert.equal(ports.length, 8);
      assert.equal(new Set(ports).size, 8);
      assert.deepEqual(ports, Array.from({ length: 8 }, (_, k) => i.ports.controller + k), 'consecutive from the base');
      assert.equal(i.ports.oauthJwks, i.ports.controller + 7);
    });

    it('readTopic (dump.sh): the Java consumer reads a topic exactly as the seeder wrote it, txn by isolation', async () => {
      const strip = (r: ExpectedRecord) => ({ partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });
      assert.deepEqual(await readTopic(line, 'multi'), readExpected(info(), 'multi').map(strip));
      const txn = readExpected(info(), 'txn');
      assert.deepEqual(await readTopic(line, 'txn', 'read_committed'), txn.filter((r) => r.committed).map(strip));
      assert.deepEqual(await readTopic(line, 'txn'), txn.map(strip));
    });

    it('accepts TCP connections on every listener', async () => {
      for (const [name, port] of Object.entries(info().ports)) {
        await assert.doesNotReject(withConn(tcp(port), async () => undefined), `listener ${name} on ${port}`);
      }
    });

    it('answers ApiVersions on PLAINTEXT', async () => {
      const r = await withConn(tcp(info().ports.plaintext), apiVersions);
      assert.equal(r.errorCode, ERROR_NONE);
      for (const key of [0, 1, 2, 3, API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE]) {
        assert.ok(r.apiKeys.includes(key), `api key ${key} supported`);
      }
    });

    it('SSL: verifies with the CA, for DNS:localhost and IP:127.0.0.1', async () => {
      const { socket, conn } = await tls(info().ports.ssl, { ca: ca(), servername: 'localhost' });
      try {
        assert.equal(socket.authorized, true);
        const san = socket.getPeerCertificate().subjectaltname ?? '';
        assert.match(san, /DNS:localhost/);
        assert.match(san, /IP Address:127\.0\.0\.1/);
        assert.equal((await apiVersions(conn)).errorCode, ERROR_NONE);
      } finally {
        conn.close();
      }
      // No servername: Node checks the certificate against the IP address we dialled.
      assert.equal(await tlsApiVersions(info().ports.ssl, { ca: ca() }), ERROR_NONE);
    });

    it('SSL: fails verification with the untrusted CA', async () => {
      await assert.rejects(tls(info().ports.ssl, { ca: readFileSync(info().untrustedCaPemPath), servername: 'localhost' }), (e: unknown) => {
        const code = (e as { code?: unknown }).code;
        assert.match(String(code), /CERT|SIGNATURE|ISSUER/);
        return true;
      });
    });

    it('MTLS: accepts the client certificate, rejects none and an untrusted one', async () => {
      const port = info().ports.mtls;
      const client = { cert: readFileSync(info().clientCertPemPath), key: readFileSync(info().clientKeyPemPath) };
      assert.equal(await tlsApiVersions(port, { ca: ca(), servername: 'localhost', ...client }), ERROR_NONE);
      await assert.rejects(tlsApiVersions(port, { ca: ca(), servername: 'localhost' }));
      await assert.rejects(
        tlsApiVersions(port, {
          ca: ca(),
          servername: 'localhost',
          cert: readFileSync(info().untrustedClientCertPemPath),
          key: readFileSync(info().untrustedClientKeyPemPath),
        }),
      );
      // TLS 1.2: the rejection happens inside the handshake.
      await assert.rejects(tls(port, { ca: ca(), servername: 'localhost', maxVersion: 'TLSv1.2' }));
    });

    it('SASL_PLAINTEXT: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 users', async () => {
      const { plain, scram, admin } = info().users;
      const port = info().ports.saslPlaintext;
      const hs = await withConn(tcp(port), (c) => saslHandshake(c, 'GSSAPI'));
      assert.notEqual(hs.errorCode, ERROR_NONE);
      assert.deepEqual([...hs.mechanisms].sort(), ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);

      assert.equal(await withConn(tcp(port), (c) => saslPlain(c, plain.username, plain.password)), ERROR_NONE);
      assert.equal(await withConn(tcp(port), (c) => saslPlain(c, admin.username, admin.password)), ERROR_NONE);
      assert.equal(await withConn(tcp(port), (c) => saslPlain(c, plain.username, 'wrong')), ERROR_SASL_AUTHENTICATION_FAILED);
      for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
        const ok = await withConn(tcp(port), async (c) => {
          const code = await saslScram(c, m, scram.username, scram.password);
          // Authenticated: the connection now serves ordinary requests.
          return code === ERROR_NONE ? (await apiVersions(c)).errorCode : code;
        });
        assert.equal(ok, ERROR_NONE, m);
        assert.equal(await withConn(tcp(port), (c) => saslScram(c, m, admin.username, admin.password)), ERROR_NONE, `${m} admin`);
        assert.equal(await withConn(tcp(port), (c) => saslScram(c, m, scram.username, 'wrong')), ERROR_SASL_AUTHENTICATION_FAILED, `${m} wrong password`);
      }
    });

    it('SASL_SSL: TLS with the CA, then PLAIN and SCRAM', async () => {
      const { plain, scram } = info().users;
      const port = info().ports.saslSsl;
      const open = async (): Promise<KafkaConn> => (await tls(port, { ca: ca(), servername: 'localhost' })).conn;
      assert.equal(await withConn(open(), (c) => saslPlain(c, plain.username, plain.password)), ERROR_NONE);
      assert.equal(await withConn(open(), (c) => saslScram(c, 'SCRAM-SHA-512', scram.username, scram.password)), ERROR_NONE);
      assert.equal(await withConn(open(), (c) => saslScram(c, 'SCRAM-SHA-256', scram.username, scram.password)), ERROR_NONE);
      await assert.rejects(tls(port, { ca: readFileSync(info().untrustedCaPemPath), servername: 'localhost' }));
    });

    it('OAUTH: OAUTHBEARER only; an unsigned JWT with sub and exp logs in for at most its life and 4 s; others are challenged', async () => {
      const port = info().ports.oauth;
      const hs = await withConn(tcp(port), (c) => saslHandshake(c, 'PLAIN'));
      assert.notEqual(hs.errorCode, ERROR_NONE);
      assert.deepEqual(hs.mechanisms, ['OAUTHBEARER']);
      const now = Date.now() / 1000;
      const long = await withConn(tcp(port), async (c) => {
        const r = await saslOAuthBearer(c, unsecuredJwt({ sub: 'alice', exp: now + 600 }));
        return { ...r, after: r.errorCode === ERROR_NONE ? (await apiVersions(c)).errorCode : -1 };
      });
      assert.deepEqual(long, { errorCode: ERROR_NONE, challenge: '', sessionLifetimeMs: 4000n, after: ERROR_NONE });
      const short = await withConn(tcp(port), (c) => saslOAuthBearer(c, unsecuredJwt({ sub: 'alice', exp: Date.now() / 1000 + 2 })));
      assert.equal(short.errorCode, ERROR_NONE);
      assert.ok(short.sessionLifetimeMs > 1000n && short.sessionLifetimeMs <= 2000n, `session of ${short.sessionLifetimeMs} ms for a token living 2 s`);
      for (const bad of [unsecuredJwt({ sub: 'alice', exp: now - 60 }), unsecuredJwt({ exp: now + 60 }), 'not-a-jwt']) {
        const r = await withConn(tcp(port), (c) => saslOAuthBearer(c, bad));
        assert.deepEqual([r.errorCode, JSON.parse(r.challenge)], [ERROR_SASL_AUTHENTICATION_FAILED, { status: 'invalid_token' }]);
      }
    });

    it('OAUTH_JWKS: OAUTHBEARER only; an RS256 JWT signed by the harness key with its kid, iss and aud logs in for at most 4 s; others are challenged', async () => {
      const port = info().ports.oauthJwks;
      const { jwt } = info();
      assert.deepEqual({ kid: jwt.kid, algorithm: jwt.algorithm, issuer: jwt.issuer, audience: jwt.audience }, { kid: 'kwp-harness-1', algorithm: 'RS256', issuer: 'kwp-harness', audience: 'kafka' });
      const jwks = JSON.parse(readFileSync(jwt.jwksPath, 'utf8')) as { keys: Array<Record<string, unknown>> };
      assert.deepEqual(jwks.keys.map((k) => [k['kty'], k['kid'], k['alg'], k['e']]), [['RSA', jwt.kid, 'RS256', 'AQAB']]);
      const key = readFileSync(jwt.privateKeyPemPath, 'utf8');
      assert.match(key, /^-----BEGIN PRIVATE KEY-----\n/, 'PKCS#8 PEM');
      const hs = await withConn(tcp(port), (c) => saslHandshake(c, 'PLAIN'));
      assert.notEqual(hs.errorCode, ERROR_NONE);
      assert.deepEqual(hs.mechanisms, ['OAUTHBEARER']);

      const good = await withConn(tcp(port), async (c) => {
        const r = await saslOAuthBearer(c, signedJwt(jwtClaims(info(), 'alice'), key, jwt.kid));
        return { ...r, after: r.errorCode === ERROR_NONE ? (await apiVersions(c)).errorCode : -1 };
      });
      assert.deepEqual(good, { errorCode: ERROR_NONE, challenge: '', sessionLifetimeMs: 4000n, after: ERROR_NONE });

      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const now = Math.floor(Date.now() / 1000);
      const refused: Array<[string, string]> = [
        ['signed by another key', signedJwt(jwtClaims(info(), 'alice'), otherKey, jwt.kid)],
        ['another kid', signedJwt(jwtClaims(info(), 'alice'), key, 'kwp-other')],
        // Past Kafka's default 30 s of clock skew.
        ['expired', signedJwt(jwtClaims(info(), 'alice', 0, { iat: now - 600, exp: now - 300 }), key, jwt.kid)],
        ['another audience', signedJwt(jwtClaims(info(), 'alice', 600_000, { aud: 'not-kafka' }), key, jwt.kid)],
        ['another issuer', signedJwt(jwtClaims(info(), 'alice', 600_000, { iss: 'not-kwp-harness' }), key, jwt.kid)],
        ['no iat', signedJwt(jwtClaims(info(), 'alice', 600_000, { iat: undefined }), key, jwt.kid)],
        ['unsigned, as OAUTH takes it', unsecuredJwt(jwtClaims(info(), 'alice'))],
      ];
      for (const [why, token] of refused) {
        const r = await withConn(tcp(port), (c) => saslOAuthBearer(c, token));
        assert.deepEqual([r.errorCode, r.challenge === '' ? null : JSON.parse(r.challenge)], [ERROR_SASL_AUTHENTICATION_FAILED, { status: 'invalid_token' }], why);
      }
    });

    it('expected/ describes every seeded topic consistently', () => {
      const topics = readTopics(info());
      assert.deepEqual(
        topics.map((t) => t.name),
        [...SEEDED_TOPICS],
      );
      for (const t of topics) {
        const recs = readExpected(info(), t.name);
        assert.equal(recs.length, t.records, `${t.name}: record count`);
        assert.equal(recs.filter((r) => r.aborted).length, t.abortedRecords, `${t.name}: aborted`);
        assert.equal(t.offsets.length, t.partitions);
        const parts = byPartition(recs);
        for (const o of t.offsets) {
          const inPartition = parts.get(o.partition) ?? [];
          assert.equal(o.logStartOffset, 0n);
          assert.equal(o.lastStableOffset, o.highWatermark, `${t.name}: no open transaction`);
          for (let i = 1; i < inPartition.length; i++) {
            assert.ok((inPartition[i]?.offset ?? -1n) > (inPartition[i - 1]?.offset ?? 0n), `${t.name}: offsets increase`);
          }
          if (!t.transactional) {
            // Without control records the offsets are exactly 0..n-1.
            assert.equal(o.highWatermark, BigInt(inPartition.length), `${t.name}-${o.partition}: high watermark`);
            for (const [i, r] of inPartition.entries()) assert.equal(r.offset, BigInt(i));
          }
        }
      }
    });

    it('expected/ holds what each topic promises', () => {
      const i = info();
      const topics = new Map(readTopics(i).map((t) => [t.name, t]));

      const plain = readExpected(i, 'plain');
      assert.equal(plain.length, 20);
      assert.equal(plain[7]?.key?.toString(), 'key-07');
      assert.equal(plain[7]?.value?.toString(), 'value-07');

      const multi = byPartition(readExpected(i, 'multi'));
      assert.deepEqual([0, 1, 2].map((p) => multi.get(p)?.length), [10, 6, 3]);

      for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
        const recs = readExpected(i, `codec-${codec}`);
        assert.equal(topics.get(`codec-${codec}`)?.codec, codec);
        assert.equal(recs.length, 300);
        assert.ok(recs.some((r) => r.key === null));
        assert.ok(recs.some((r) => (r.value?.length ?? 0) >= 4096));
        assert.ok(recs.some((r) => r.headers.length === 3));
      }

      const headers = readExpected(i, 'headers');
      assert.deepEqual(headers[0]?.headers, []);
      assert.deepEqual(headers[4]?.headers.map((h) => h.key), ['dup', 'dup', 'dup']);
      assert.ok(headers.some((r) => r.headers.some((h) => h.value === null)));
      assert.ok(headers.some((r) => r.headers.some((h) => h.key === '')));

      const nulls = readExpected(i, 'nulls');
      assert.ok(nulls.some((r) => r.key === null && r.value !== null));
      assert.ok(nulls.some((r) => r.key !== null && r.value === null));
      assert.ok(nulls.some((r) => r.key?.length === 0));
      assert.ok(nulls.some((r) => r.value?.length === 0));

      const txn = readExpected(i, 'txn');
      // commit 3, abort 2, commit 2, abort 1, commit 1
      assert.equal(txn.map((r) => (r.aborted ? 'A' : 'C')).join(''), 'CCCAACCAC');
      assert.ok(txn.every((r) => r.committed === !r.aborted));
      // 9 data records + 5 transaction markers.
      assert.equal(topics.get('txn')?.offsets[0]?.highWatermark, 14n);

      const lat = readExpected(i, 'log-append-time');
      assert.equal(topics.get('log-append-time')?.timestampType, 'LogAppendTime');
      assert.ok(lat.every((r, n) => r.timestamp !== 1_600_000_000_000n + BigInt(n)), 'broker replaced the timestamps');

      const ts = readExpected(i, 'timestamps');
      assert.deepEqual(
        ts.map((r) => r.timestamp),
        ts.map((_, n) => TIMESTAMP_BASE + 1000n * BigInt(n)),
      );

      const big = readExpected(i, 'big');
      assert.equal(big.length, BIG_COUNT);
      assert.equal(big[BIG_COUNT - 1]?.value?.toString(), 'big-099999');
      assert.equal(topics.get('big')?.offsets[0]?.highWatermark, BigInt(BIG_COUNT));
    });

    it('the broker holds exactly expected/ (read back with the Java consumer)', { timeout: 120_000 }, async () => {
      await verifyBroker(line);
    });

    it('keeps its data across a restart', { skip: !restartToo && 'set KWP_KAFKA_TEST_RESTART=1', timeout: 300_000 }, async () => {
      const before = info();
      const after = await restartBroker(line);
      assert.deepEqual(after.ports, before.ports);
      assert.deepEqual(readExpected(after, 'txn'), readExpected(before, 'txn'));
      assert.equal(await withConn(tcp(after.ports.plaintext), async (c) => (await apiVersions(c)).errorCode), ERROR_NONE);
      await verifyBroker(line);
    });
  });
}
