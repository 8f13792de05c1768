/**
 * The JWS algorithms we verify (RFC 7518 §3) and which kind of key each needs. The key decides
 * the family: an HMAC secret verifies only HS*, an RSA key RS* and PS*, an EC key the ES* of its
 * curve, an Ed25519 key EdDSA (RFC 8037). So an RSA public key can never serve as an HMAC secret
 * (the classic RS256 → HS256 confusion), whatever a token's header says; `none` is not in the
 * table at all.
 */
import { constants, createHmac, timingSafeEqual, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';

export const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;
export type JwsAlgorithm = (typeof ALGORITHMS)[number];

/** What a key is, as far as the algorithms care. */
export type KeyKind = 'hmac' | 'rsa' | 'ec-p256' | 'ec-p384' | 'ed25519';

export const KIND_NAMES: Readonly<Record<KeyKind, string>> = {
  hmac: 'an HMAC secret', rsa: 'an RSA key', 'ec-p256': 'a P-256 key', 'ec-p384': 'a P-384 key', ed25519: 'an Ed25519 key',
};

type Hash = 'sha256' | 'sha384' | 'sha512';

interface Spec {
  readonly kind: KeyKind;
  readonly hash: Hash | null;
  /** Bytes of the hash output: the least HMAC key length (RFC 7518 §3.2) and PSS's salt (§3.5). */
  readonly hashBytes: number;
}

const SPECS: Readonly<Record<JwsAlgorithm, Spec>> = {
  HS256: { kind: 'hmac', hash: 'sha256', hashBytes: 32 },
  HS384: { kind: 'hmac', hash: 'sha384', hashBytes: 48 },
  HS512: { kind: 'hmac', hash: 'sha512', hashBytes: 64 },
  RS256: { kind: 'rsa', hash: 'sha256', hashBytes: 32 },
  RS384: { kind: 'rsa', hash: 'sha384', hashBytes: 48 },
  RS512: { kind: 'rsa', hash: 'sha512', hashBytes: 64 },
  PS256: { kind: 'rsa', hash: 'sha256', hashBytes: 32 },
  ES256: { kind: 'ec-p256', hash: 'sha256', hashBytes: 32 },
  ES384: { kind: 'ec-p384', hash: 'sha384', hashBytes: 48 },
  EdDSA: { kind: 'ed25519', hash: null, hashBytes: 0 },
};

/** Bytes of a JWS ECDSA signature: R and S, each as long as the curve's order (RFC 7518 §3.4). */
const EC_SIGNATURE_BYTES: Readonly<Partial<Record<KeyKind, number>>> = { 'ec-p256': 64, 'ec-p384': 96, ed25519: 64 };

export function isAlgorithm(name: unknown): name is JwsAlgorithm {
  return typeof name === 'string' && Object.hasOwn(SPECS, name);
}

export function kindOf(alg: JwsAlgorithm): KeyKind {
  return SPECS[alg].kind;
}

/** The algorithms a key of `kind` can verify, in table order. */
export function algorithmsFor(kind: KeyKind): JwsAlgorithm[] {
  return ALGORITHMS.filter((a) => SPECS[a].kind === kind);
}

/** Least secret length for `alg` in bytes (HMAC only; 0 for the others). */
export function minSecretBytes(alg: JwsAlgorithm): number {
  return SPECS[alg].kind === 'hmac' ? SPECS[alg].hashBytes : 0;
}

/**
 * Whether `signature` is `alg`'s signature of `data` under `key`, a key of `alg`'s kind (the
 * caller checked). `signatureBytes` is the RSA modulus length in bytes: JWA wants signatures of
 * exactly that length (RFC 7518 §3.3 via RFC 8017 §8.2.2), OpenSSL would also take shorter ones.
 * HMAC answers at once. RSA, ECDSA and EdDSA run on libuv's thread pool: on the 2-core machine
 * that nearly doubles verifications per second and keeps the event loop free while a P-384
 * signature takes a millisecond (BENCHMARKS.md, "JWT verification": floor sync against pool).
 */
export function verifySignature(alg: JwsAlgorithm, key: KeyObject, signatureBytes: number, data: Buffer, signature: Buffer): boolean | Promise<boolean> {
  const spec = SPECS[alg];
  switch (spec.kind) {
    case 'hmac': {
      const mac = createHmac(spec.hash as Hash, key).update(data).digest();
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    }
    case 'rsa':
      if (signature.length !== signatureBytes) return false;
      if (alg === 'PS256') return inPool(spec.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.hashBytes }, signature);
      return inPool(spec.hash, data, key, signature);
    default:
      // ES*: JWS carries R||S, not DER (RFC 7518 §3.4), hence ieee-p1363. Ed25519 takes no hash.
      if (signature.length !== EC_SIGNATURE_BYTES[spec.kind]) return false;
      return inPool(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
}

/** crypto.verify with a callback, which Node runs on the thread pool; an error is a signature that does not verify. */
function inPool(hash: Hash | null, data: Buffer, key: KeyObject | VerifyKeyObjectInput, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    verify(hash, data, key, signature, (err, ok) => resolve(err === null && ok));
  });
}
