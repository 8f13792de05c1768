/**
 * One SASL login: the client's first token, then one answer per server challenge until the
 * mechanism is satisfied. `respond` throws SaslProtocolFailure when the server's token is wrong
 * (bad nonce, too few iterations, a server signature that does not verify).
 */
export interface SaslSession {
  initial(): Buffer;
  /** The next client token, or null when the exchange is complete and verified. */
  respond(serverToken: Buffer): Buffer | null;
}

export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslCredentials {
  mechanism: SaslMechanismName;
  username: string;
  password: string;
}

/** Thrown by a SaslSession; the connection turns it into an AuthenticationError. */
export class SaslProtocolFailure extends Error {}
