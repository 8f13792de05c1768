import type { PasswordCredentials, SaslSession } from './mechanism.js';
import { plainSession } from './plain.js';
import { scramSession } from './scram.js';

export {
  SaslCredentialsFailure, SaslProtocolFailure, type OAuthBearerCredentials, type OAuthBearerServerError, type PasswordCredentials,
  type PasswordMechanismName, type SaslCredentials, type SaslMechanismName, type SaslSession,
} from './mechanism.js';
export { oauthBearerInitialResponse, oauthBearerSession, parseOAuthBearerChallenge, redactToken, serverText } from './oauthbearer.js';
export { plainSession } from './plain.js';
export { scramSession } from './scram.js';

export function saslSession(c: PasswordCredentials): SaslSession {
  return c.mechanism === 'PLAIN' ? plainSession(c.username, c.password) : scramSession(c.mechanism, c.username, c.password);
}
