/**
 * JWT verification micro-benchmark (issue 18: authenticated upgrades per second, where verifying
 * the token dominates). Verifications per second of one realistic access token per algorithm:
 *
 *   ours                 createVerifier(...).verify(token, now), awaited one after another: size,
 *                        shape, strict base64url, header and payload JSON, key choice, signature,
 *                        claims (src/server/auth/verifier.ts)
 *   ours ×16             the same with 16 verifications in flight, as concurrent upgrades would be
 *   floor sync           crypto.verify / createHmac on pre-split, pre-decoded bytes with the same
 *                        KeyObject: the signature alone, what ours cannot go below
 *   floor pool ×16       crypto.verify with a callback (libuv's thread pool), 16 in flight: whether
 *                        moving verification off the main thread would pay on this machine
 *   jose                 jose's jwtVerify (WebCrypto), same key and checks, the popular peer
 *
 *   node dist/bench/jwt-verify.js [--json FILE] [--time-ms 500] [--samples 5] [--quick]
 *
 * jose is a peer of bench/package.json (npm ci --prefix bench); without it its rows are skipped.
 * Every implementation must accept the token and refuse a tampered one, or the run exits 1.
 */
import { constants, createHmac, createSecretKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createVerifier, jwtConfigOf } from '../src/server/auth/index.js';
import { benchDir } from './inputs.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const QUICK = process.argv.includes('--quick');
const SAMPLE_MS = Number(arg('--time-ms') ?? (QUICK ? 50 : 500));
const SAMPLES = Number(arg('--samples') ?? (QUICK ? 2 : 5));
const JSON_FILE = arg('--json');

type Alg = 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA' | 'HS256';
const ALGS: readonly Alg[] = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'HS256'];
const HASH: Record<Alg, string | null> = { RS256: 'sha256', PS256: 'sha256', ES256: 'sha256', ES384: 'sha384', EdDSA: null, HS256: 'sha256' };
const NOW_S = Math.floor(Date.now() / 1000);

interface Material { alg: Alg; signing: KeyObject; verifying: KeyObject; routeKey: Record<string, unknown> }

function material(alg: Alg): Material {
  if (alg === 'HS256') {
    const secret = randomBytes(32);
    const k = createSecretKey(secret);
    return { alg, signing: k, verifying: k, routeKey: { kid: 'k1', alg, jwk: { kty: 'oct', k: secret.toString('base64url') } } };
  }
  const kp = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : alg === 'ES384' ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
      : alg === 'EdDSA' ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { alg, signing: kp.privateKey, verifying: kp.publicKey, routeKey: { kid: 'k1', alg, pem: kp.publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
}

function signature(m: Material, data: Buffer): Buffer {
  const hash = HASH[m.alg];
  if (m.alg === 'HS256') return createHmac('sha256', m.signing).update(data).digest();
  if (m.alg === 'PS256') return sign(hash, data, { key: m.signing, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  if (m.alg.startsWith('ES')) return sign(hash, data, { key: m.signing, dsaEncoding: 'ieee-p1363' });
  return sign(hash, data, m.signing);
}

/** An access token as identity providers issue them: about 500 bytes. */
function token(m: Material): string {
  const header = { alg: m.alg, typ: 'JWT', kid: 'k1' };
  const payload = {
    iss: 'https://idp.example/realms/kafka', sub: 'f3a1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b', aud: ['kafka-ws-proxy', 'account'],
    exp: NOW_S + 3600, iat: NOW_S - 10, nbf: NOW_S - 10, jti: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e', azp: 'web-console',
    scope: 'openid profile kafka:read', realm_access: { roles: ['reader', 'offline_access'] }, tenant: 'acme', email: 'alice@example.com',
  };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${signature(m, Buffer.from(input)).toString('base64url')}`;
}

function floorSync(m: Material, t: string): () => boolean {
  const dot = t.lastIndexOf('.');
  const data = Buffer.from(t.slice(0, dot));
  const sig = Buffer.from(t.slice(dot + 1), 'base64url');
  const hash = HASH[m.alg];
  const key = m.verifying;
  if (m.alg === 'HS256') return () => createHmac('sha256', key).update(data).digest().equals(sig);
  if (m.alg === 'PS256') return () => verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
  if (m.alg.startsWith('ES')) return () => verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  return () => verify(hash, data, key, sig);
}

function floorPool(m: Material, t: string): (() => Promise<boolean>) | undefined {
  if (m.alg === 'HS256') return undefined; // no callback form for HMAC
  const dot = t.lastIndexOf('.');
  const data = Buffer.from(t.slice(0, dot));
  const sig = Buffer.from(t.slice(dot + 1), 'base64url');
  const hash = HASH[m.alg];
  const key = m.alg === 'PS256' ? { key: m.verifying, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
    : m.alg.startsWith('ES') ? { key: m.verifying, dsaEncoding: 'ieee-p1363' as const } : m.verifying;
  return () => new Promise((resolve, reject) => verify(hash, data, key, sig, (err, ok) => (err ? reject(err) : resolve(ok))));
}

interface Jose { jwtVerify: (t: string, key: unknown, opts: Record<string, unknown>) => Promise<unknown>; importJWK: (jwk: unknown, alg: string) => Promise<unknown>; version: string }

async function loadJose(): Promise<Jose | string> {
  try {
    const req = createRequire(join(benchDir(), 'package.json'));
    const mod = (await import(pathToFileURL(req.resolve('jose')).href)) as Omit<Jose, 'version'>;
    const version = (req('jose/package.json') as { version: string }).version;
    return { jwtVerify: mod.jwtVerify, importJWK: mod.importJWK, version };
  } catch (e) {
    return `jose: ${(e as Error).message.split('\n')[0]!} (npm ci --prefix bench)`;
  }
}

/** Operations per second of `op` for `ms`, `inFlight` at once (awaited when it returns a promise). */
async function rate(op: () => unknown, inFlight: number, ms: number): Promise<number> {
  let n = 0;
  const end = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < end) {
      for (let i = 0; i < 16; i++) {
        const r = op();
        if (r instanceof Promise) await r;
        n++;
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (n * 1000) / (performance.now() - start);
}

/**
 * Median rate of each implementation. Samples are taken in rounds, one per implementation per
 * round, so a neighbour's load on a shared machine falls on all rows alike rather than on one.
 */
async function measureAll(impls: ReadonlyArray<readonly [string, () => unknown, number]>): Promise<Array<{ perSecond: number; spreadPct: number }>> {
  for (const [, op, inFlight] of impls) await rate(op, inFlight, Math.min(300, SAMPLE_MS));
  const rates: number[][] = impls.map(() => []);
  for (let s = 0; s < SAMPLES; s++) {
    for (const [i, [, op, inFlight]] of impls.entries()) rates[i]!.push(await rate(op, inFlight, SAMPLE_MS));
  }
  return rates.map((r) => {
    r.sort((a, b) => a - b);
    const median = r[Math.floor(r.length / 2)]!;
    return { perSecond: median, spreadPct: ((r[r.length - 1]! - r[0]!) / median) * 100 };
  });
}

interface Row { alg: Alg; impl: string; perSecond: number; usPerVerify: number; spreadPct: number; vsFloor: number }

async function main(): Promise<void> {
  const jose = await loadJose();
  const rows: Row[] = [];
  let failed = false;
  for (const alg of ALGS) {
    const m = material(alg);
    const t = token(m);
    const tampered = `${t.slice(0, -6)}${t.slice(-6, -5) === 'A' ? 'B' : 'A'}${t.slice(-5)}`;
    const ours = createVerifier(jwtConfigOf({ keys: [m.routeKey], issuer: 'https://idp.example/realms/kafka', audience: 'kafka-ws-proxy' }, 'bench'));
    const impls: Array<[string, () => unknown, number]> = [['floor sync', floorSync(m, t), 1], ['ours', () => ours.verify(t), 1], ['ours ×16', () => ours.verify(t), 16]];
    const pool = floorPool(m, t);
    if (pool !== undefined) impls.push(['floor pool ×16', pool, 16]);
    if (typeof jose !== 'string') {
      const key = alg === 'HS256' ? new Uint8Array(m.verifying.export()) : await jose.importJWK(m.verifying.export({ format: 'jwk' }), alg);
      const opts = { algorithms: [alg], issuer: 'https://idp.example/realms/kafka', audience: 'kafka-ws-proxy', clockTolerance: 30 };
      impls.push([`jose ${jose.version}`, () => jose.jwtVerify(t, key, opts), 1]);
      const agrees = await jose.jwtVerify(t, key, opts).then(() => true, () => false) && await jose.jwtVerify(tampered, key, opts).then(() => false, () => true);
      if (!agrees) {
        console.error(`${alg}: jose does not accept the token or accepts the tampered one`);
        failed = true;
      }
    }
    const oursAgrees = await ours.verify(t).then(() => true, () => false) && await ours.verify(tampered).then(() => false, () => true);
    if (!oursAgrees || floorSync(m, t)() !== true || floorSync(m, tampered)() !== false) {
      console.error(`${alg}: ours or the floor does not accept the token or accepts the tampered one`);
      failed = true;
    }
    const results = await measureAll(impls);
    const floor = results[0]!.perSecond;
    for (const [i, [impl]] of impls.entries()) {
      const r = results[i]!;
      rows.push({ alg, impl, perSecond: r.perSecond, usPerVerify: 1e6 / r.perSecond, spreadPct: r.spreadPct, vsFloor: r.perSecond / floor });
    }
  }
  const cpu = cpus()[0]?.model ?? 'unknown';
  const [load1] = loadavg();
  console.log(`JWT verification, ${cpus().length} × ${cpu}, Node ${process.version}, load average ${load1?.toFixed(1)} at the end; token ${token(material('HS256')).length} bytes (HS256); ${SAMPLES} samples × ${SAMPLE_MS} ms, median`);
  if (typeof jose === 'string') console.log(`skipped: ${jose}`);
  console.log('| alg | implementation | verifies/s | µs/verify | spread | vs floor sync |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.alg} | ${r.impl} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ${r.usPerVerify.toFixed(1)} | ${r.spreadPct.toFixed(0)}% | ${r.vsFloor.toFixed(2)} |`);
  }
  if (JSON_FILE !== undefined) writeFileSync(JSON_FILE, `${JSON.stringify({ node: process.version, cpu, cores: cpus().length, loadAverage1m: load1, sampleMs: SAMPLE_MS, samples: SAMPLES, rows }, null, 2)}\n`);
  if (failed) process.exit(1);
}

await main();
