import { defineMessage } from '../codec.js';
import { array, bytes, int16, int64, string } from '../schema.js';

/** SaslHandshake (key 17), versions 0-1, never flexible. Schema: SaslHandshakeRequest.json. Mechanism string. */
export const SaslHandshakeRequest = defineMessage('SaslHandshakeRequest', '0-1', 'none', {
  mechanism: string('0+'),
});

/** Schema: SaslHandshakeResponse.json. ErrorCode int16, Mechanisms [string]. */
export const SaslHandshakeResponse = defineMessage('SaslHandshakeResponse', '0-1', 'none', {
  errorCode: int16('0+'),
  mechanisms: array('0+', 'string'),
});

/** SaslAuthenticate (key 36), versions 0-2, flexible from 2. Schema: SaslAuthenticateRequest.json. AuthBytes bytes. */
export const SaslAuthenticateRequest = defineMessage('SaslAuthenticateRequest', '0-2', '2+', {
  authBytes: bytes('0+'),
});

/**
 * Schema: SaslAuthenticateResponse.json.
 *   ErrorCode int16, ErrorMessage nullable string, AuthBytes bytes, SessionLifetimeMs int64 (1+; KIP-368).
 */
export const SaslAuthenticateResponse = defineMessage('SaslAuthenticateResponse', '0-2', '2+', {
  errorCode: int16('0+'),
  errorMessage: string('0+', { nullable: '0+' }),
  authBytes: bytes('0+'),
  sessionLifetimeMs: int64('1+', { default: 0n }),
});
