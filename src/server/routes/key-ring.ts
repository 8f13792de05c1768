/**
 * The keys that encrypt routes in a Kafka route store (docs/deployment.md, "Routes shared through
 * Kafka"): AES-256-GCM from node:crypto, a 96-bit random nonce per record (NIST SP 800-38D's
 * recommended length; at 2^32 records per key the collision odds stay below 2^-32, far beyond the
 * writes a route topic sees). Each key has an id (`kid`) that travels with the record; the first
 * key of the ring encrypts, every key decrypts, so a key is rotated by adding the new one, moving
 * it first, re-writing the routes, then dropping the old one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { RouteKeyError } from '../errors.js';

export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
/** A key id: what `kid:base64key` names it by; it is written, in the clear, in each record. */
export const KID = /^[A-Za-z0-9._-]{1,64}$/;
const CIPHER = 'aes-256-gcm';

export interface RouteKey {
  kid: string;
  key: Buffer;
}

export interface Sealed {
  kid: string;
  iv: Buffer;
  /** The ciphertext followed by the 16-byte authentication tag. */
  data: Buffer;
}

/**
 * `kid:base64key` (standard or URL-safe base64 of 32 bytes, as `openssl rand -base64 32` prints),
 * or why not. The reason never quotes the text: it holds a key.
 */
export function parseRouteKey(text: string): RouteKey | string {
  const colon = text.indexOf(':');
  if (colon < 0) return 'is not kid:base64key';
  const kid = text.slice(0, colon);
  const b64 = text.slice(colon + 1).trim();
  if (!KID.test(kid)) return 'has a key id that is not 1-64 of A-Z a-z 0-9 . _ -';
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) return `has key ${kid}, which is not base64`;
  const key = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) return `has key ${kid}, which is ${key.length} bytes, not ${KEY_BYTES} (openssl rand -base64 32 makes one)`;
  return { kid, key };
}

export class KeyRing {
  /** Every key id, the encrypting one first. */
  readonly kids: readonly string[];
  readonly #keys: ReadonlyMap<string, Buffer>;

  /** @throws RouteKeyError for an empty ring or a key id given twice */
  constructor(keys: readonly RouteKey[]) {
    if (keys.length === 0) throw new RouteKeyError('the key ring is empty: the route store needs at least one key');
    const map = new Map<string, Buffer>();
    for (const k of keys) {
      if (map.has(k.kid)) throw new RouteKeyError(`key id ${k.kid} is given twice`);
      if (k.key.length !== KEY_BYTES) throw new RouteKeyError(`key ${k.kid} is ${k.key.length} bytes, not ${KEY_BYTES}`);
      map.set(k.kid, Buffer.from(k.key));
    }
    this.#keys = map;
    this.kids = keys.map((k) => k.kid);
  }

  /** The key id new records are encrypted with. */
  get current(): string {
    return this.kids[0]!;
  }

  has(kid: string): boolean {
    return this.#keys.has(kid);
  }

  /** Encrypts `plaintext` with the current key; `aad` is authenticated, not encrypted. */
  seal(plaintext: Buffer, aad: Buffer): Sealed {
    const kid = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.#keys.get(kid)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const data = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { kid, iv, data };
  }

  /**
   * Decrypts what `seal` made with the same `aad`.
   * @throws RouteKeyError (reason `unknown_kid`) when the ring has no key `kid`, (reason
   *   `bad_key`) when the data does not authenticate under it: another key with that id, the
   *   record altered, or moved to another route id.
   */
  open(sealed: Sealed, aad: Buffer): Buffer {
    const key = this.#keys.get(sealed.kid);
    if (key === undefined) throw new RouteKeyError(`a route record is encrypted with key ${sealed.kid}, which this replica does not have (it has ${this.kids.join(', ')})`, 'unknown_kid', sealed.kid);
    if (sealed.iv.length !== IV_BYTES || sealed.data.length < TAG_BYTES) throw new RouteKeyError(`a route record under key ${sealed.kid} is cut short`, 'bad_key', sealed.kid);
    const decipher = createDecipheriv(CIPHER, key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.data.subarray(sealed.data.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.data.subarray(0, sealed.data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new RouteKeyError(`a route record does not decrypt with this replica's key ${sealed.kid}: the key differs from the one that wrote it, or the record was altered`, 'bad_key', sealed.kid);
    }
  }
}
