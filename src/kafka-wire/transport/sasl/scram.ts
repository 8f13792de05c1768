import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslProtocolFailure, type SaslSession } from './mechanism.js';

/** Kafka refuses fewer (ScramMechanism.minIterations); a server offering fewer is not a Kafka broker we trust. */
const MIN_ITERATIONS = 4096;
/** Guards PBKDF2 against a hostile server asking for billions of rounds. */
const MAX_ITERATIONS = 1_000_000;

const HASHES = { 'SCRAM-SHA-256': ['sha256', 32], 'SCRAM-SHA-512': ['sha512', 64] } as const;

/**
 * RFC 5802 client as Kafka runs it: gs2 header `n,,` (no channel binding, no authzid), the raw
 * UTF-8 password with no SASLprep (ScramFormatter), and the server signature checked in
 * constant time so a broker that does not know the credential cannot pass as one.
 */
export function scramSession(
  mechanism: keyof typeof HASHES,
  username: string,
  password: string,
  nonce: string = randomBytes(24).toString('base64url'),
): SaslSession {
  const [hash, size] = HASHES[mechanism];
  const bare = `n=${username.replaceAll('=', '=3D').replaceAll(',', '=2C')},r=${nonce}`;
  let expectedServerSignature: Buffer | undefined;

  const hmac = (key: Buffer, text: string): Buffer => createHmac(hash, key).update(text, 'utf8').digest();

  return {
    initial: () => Buffer.from(`n,,${bare}`, 'utf8'),
    respond(serverToken) {
      const text = serverToken.toString('utf8');
      if (expectedServerSignature === undefined) {
        const attrs = parseAttributes(text);
        const fullNonce = attrs.get('r');
        const salt = attrs.get('s');
        const iterations = Number(attrs.get('i'));
        if (attrs.has('e')) throw new SaslProtocolFailure(`server error: ${attrs.get('e')}`);
        if (fullNonce === undefined || !fullNonce.startsWith(nonce) || fullNonce.length === nonce.length) {
          throw new SaslProtocolFailure('server-first-message nonce does not extend ours');
        }
        if (salt === undefined) throw new SaslProtocolFailure('server-first-message has no salt');
        if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
          throw new SaslProtocolFailure(`server-first-message iteration count ${attrs.get('i')} is outside ${MIN_ITERATIONS}-${MAX_ITERATIONS}`);
        }
        const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'base64'), iterations, size, hash);
        const clientKey = hmac(salted, 'Client Key');
        const storedKey = createHash(hash).update(clientKey).digest();
        const withoutProof = `c=biws,r=${fullNonce}`;
        const authMessage = `${bare},${text},${withoutProof}`;
        const signature = hmac(storedKey, authMessage);
        for (let i = 0; i < size; i++) clientKey[i]! ^= signature[i]!;
        expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
        return Buffer.from(`${withoutProof},p=${clientKey.toString('base64')}`, 'utf8');
      }
      const attrs = parseAttributes(text);
      if (attrs.has('e')) throw new SaslProtocolFailure(`server error: ${attrs.get('e')}`);
      const v = Buffer.from(attrs.get('v') ?? '', 'base64');
      if (v.length !== expectedServerSignature.length || !timingSafeEqual(v, expectedServerSignature)) {
        throw new SaslProtocolFailure('server signature does not verify: the broker does not hold this credential');
      }
      return null;
    },
  };
}

function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}
