/**
 * Verification keys, imported once (node:crypto KeyObjects) when the config or a JWKS is read, so
 * verifying a token parses no key. Each key carries its own algorithm allow-list, always within
 * the algorithms its kind can verify (algorithms.ts). Problems are returned as text that names
 * no value: a PEM, a secret or a JWK member never reaches a message.
 */
import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { algorithmsFor, isAlgorithm, KIND_NAMES, kindOf, minSecretBytes, type JwsAlgorithm, type KeyKind } from './algorithms.js';
import { decodeBase64url } from './base64url.js';

/** A key ready to verify tokens. */
export interface VerifyKey {
  /** The `kid` tokens name it by; undefined for a key without one. */
  readonly kid: string | undefined;
  readonly algs: ReadonlySet<JwsAlgorithm>;
  readonly kind: KeyKind;
  readonly key: KeyObject;
  /** RSA: the modulus length in bytes, which every signature has; 0 for other kinds. */
  readonly signatureBytes: number;
}

/** An imported key before its algorithms are settled. */
export interface ImportedKey {
  readonly kind: KeyKind;
  readonly key: KeyObject;
  readonly signatureBytes: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; problem: string };

const MIN_RSA_BITS = 2048; // RFC 7518 §3.3
/** A bigger modulus or exponent only makes each verification slower: a JWKS could stall the proxy. */
const MAX_RSA_BITS = 8192;
const MAX_RSA_EXPONENT = 0xffffffffn;

const problem = (text: string): { ok: false; problem: string } => ({ ok: false, problem: text });

/** Classifies a KeyObject, refusing key types, curves and sizes we do not verify with. */
export function classify(key: KeyObject): Result<ImportedKey> {
  if (key.type === 'secret') return { ok: true, value: { kind: 'hmac', key, signatureBytes: 0 } };
  if (key.type === 'private') return problem('is a private key; give the public key');
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) return problem(`is an RSA key shorter than ${MIN_RSA_BITS} bits`);
      if (bits > MAX_RSA_BITS) return problem(`is an RSA key longer than ${MAX_RSA_BITS} bits`);
      if ((details.publicExponent ?? 0n) > MAX_RSA_EXPONENT) return problem('is an RSA key with a public exponent over 32 bits');
      return { ok: true, value: { kind: 'rsa', key, signatureBytes: Math.ceil(bits / 8) } };
    }
    case 'ec':
      if (details.namedCurve === 'prime256v1') return { ok: true, value: { kind: 'ec-p256', key, signatureBytes: 0 } };
      if (details.namedCurve === 'secp384r1') return { ok: true, value: { kind: 'ec-p384', key, signatureBytes: 0 } };
      return problem('is an EC key on a curve other than P-256 and P-384');
    case 'ed25519':
      return { ok: true, value: { kind: 'ed25519', key, signatureBytes: 0 } };
    default:
      return problem('is not an RSA, EC (P-256, P-384) or Ed25519 public key');
  }
}

/** A PEM public key (SPKI or PKCS#1) or certificate. Private keys are refused: they do not belong in a route. */
export function importPem(pem: string): Result<ImportedKey> {
  if (pem.includes('PRIVATE KEY-----')) return problem('is a private key; give the public key');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return problem('is not a PEM public key or certificate');
  }
  return classify(key);
}

/** An HMAC secret given as text: its UTF-8 bytes are the key, as jose and jsonwebtoken take a string. */
export function importSecret(text: string): Result<ImportedKey> {
  return classify(createSecretKey(Buffer.from(text, 'utf8')));
}

/**
 * A JWK (RFC 7517): kty `oct` (k), `RSA` (n, e), `EC` (crv P-256/P-384, x, y), `OKP` (crv
 * Ed25519, x). A private JWK is refused like a private PEM. `use` other than `sig` and
 * `key_ops` without `verify` are refused (RFC 7517 §4.2, §4.3).
 */
export function importJwk(jwk: Record<string, unknown>): Result<ImportedKey> {
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return problem('has a use other than "sig"');
  const ops = jwk['key_ops'];
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return problem('has key_ops without "verify"');
  if (jwk['d'] !== undefined) return problem('is a private key; give the public key');
  if (jwk['kty'] === 'oct') {
    const k = jwk['k'];
    const bytes = typeof k === 'string' ? decodeBase64url(k, 0, k.length) : undefined;
    if (bytes === undefined || bytes.length === 0) return problem('has no k, or k is not base64url');
    return classify(createSecretKey(bytes));
  }
  if (jwk['kty'] !== 'RSA' && jwk['kty'] !== 'EC' && jwk['kty'] !== 'OKP') return problem('has a kty other than oct, RSA, EC and OKP');
  let key: KeyObject;
  try {
    // Only the members Node needs: a hostile JWK's other members (x5c, private ones) are not read.
    const { kty, n, e, crv, x, y } = jwk;
    key = createPublicKey({ key: { kty, n, e, crv, x, y } as JsonWebKey, format: 'jwk' });
  } catch {
    return problem('is not a valid public JWK');
  }
  return classify(key);
}

/**
 * The allow-list of an imported key: `requested` when every one fits the key (its kind, and for
 * HMAC a secret at least as long as the hash), else a problem naming the first that does not.
 */
export function allowList(imported: ImportedKey, requested: readonly JwsAlgorithm[]): Result<ReadonlySet<JwsAlgorithm>> {
  for (const alg of requested) {
    if (kindOf(alg) !== imported.kind) return problem(`${alg} cannot be verified with ${KIND_NAMES[imported.kind]}`);
    const least = minSecretBytes(alg);
    if (imported.key.type === 'secret' && (imported.key.symmetricKeySize ?? 0) < least) {
      return problem(`${alg} needs a secret of at least ${least} bytes (RFC 7518 §3.2)`);
    }
  }
  return { ok: true, value: new Set(requested) };
}

/**
 * The allow-list of a JWKS key: its own `alg` when it has one, else every algorithm of its kind;
 * in either case only those also in `restrict` when that is given. Empty when none remains.
 */
export function jwksAllowList(imported: ImportedKey, jwkAlg: unknown, restrict: ReadonlySet<JwsAlgorithm> | undefined): Result<ReadonlySet<JwsAlgorithm>> {
  let algs: JwsAlgorithm[];
  if (jwkAlg === undefined) {
    algs = algorithmsFor(imported.kind);
    // A secret shorter than a hash is not refused whole: it keeps the shorter HMACs it is long enough for.
    if (imported.kind === 'hmac') algs = algs.filter((a) => (imported.key.symmetricKeySize ?? 0) >= minSecretBytes(a));
  } else {
    if (!isAlgorithm(jwkAlg)) return problem('has an alg this verifier does not support');
    algs = [jwkAlg];
  }
  if (restrict !== undefined) algs = algs.filter((a) => restrict.has(a));
  if (algs.length === 0) return problem('allows none of the accepted algorithms');
  return allowList(imported, algs);
}
