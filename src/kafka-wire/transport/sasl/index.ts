import type { SaslCredentials, SaslSession } from './mechanism.js';
import { plainSession } from './plain.js';
import { scramSession } from './scram.js';

export { SaslProtocolFailure, type SaslCredentials, type SaslMechanismName, type SaslSession } from './mechanism.js';
export { plainSession } from './plain.js';
export { scramSession } from './scram.js';

export function saslSession(c: SaslCredentials): SaslSession {
  return c.mechanism === 'PLAIN' ? plainSession(c.username, c.password) : scramSession(c.mechanism, c.username, c.password);
}
