import { KafkaProtocolError } from '../errors.js';
import { ErrorCode, kafkaError } from '../protocol/error-codes.js';
import { SaslAuthenticateApi, SaslHandshakeApi } from '../protocol/versions.js';
import type { Connection } from './connection.js';
import { AuthenticationError, KafkaConnectionError } from './errors.js';
import {
  oauthBearerSession, redactToken, saslSession, SaslCredentialsFailure, SaslProtocolFailure, serverText,
  type OAuthBearerServerError, type SaslCredentials, type SaslSession,
} from './sasl/index.js';

export type SaslOptions = SaslCredentials & {
  /**
   * SaslHandshake version: 1 (default when the broker has SaslAuthenticate) frames tokens as
   * SaslAuthenticate requests; 0 sends bare size-prefixed tokens, the pre-1.0 way.
   */
  handshakeVersion?: 0 | 1;
};

/**
 * `o` with an OAUTHBEARER token provider replaced by the token it hands out now (other options
 * unchanged), so that the login itself does not wait for the provider. The provider gets
 * `timeoutMs`; one that does not answer in time is left to finish on its own.
 * @throws AuthenticationError KWIRE_ERR_SASL_TOKEN with the provider's error as `cause`.
 */
export async function withCurrentToken(conn: Connection, o: SaslOptions, timeoutMs: number, reauthentication: boolean): Promise<SaslOptions> {
  if (o.mechanism !== 'OAUTHBEARER' || typeof o.token === 'string') return o;
  const provider = o.token;
  let timer: NodeJS.Timeout | undefined;
  try {
    const token = await Promise.race([
      Promise.resolve().then(() => provider({ broker: conn.broker, reauthentication })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the token provider did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (typeof token !== 'object' || token === null || typeof token.value !== 'string') throw new Error('the token provider returned no token value');
    return { ...o, token: token.value };
  } catch (e) {
    throw new AuthenticationError('KWIRE_ERR_SASL_TOKEN', {
      broker: conn.broker, mechanism: o.mechanism, message: `no token: ${e instanceof Error ? e.message : 'the provider failed'}`, cause: e,
    });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one SASL login on `conn` and returns the KIP-368 session lifetime (0 = unlimited or
 * unknown). An OAUTHBEARER token provider is asked first (withCurrentToken).
 */
export async function authenticate(conn: Connection, options: SaslOptions, left: () => number, reauthentication = false): Promise<{ sessionLifetimeMs: number }> {
  const o = await withCurrentToken(conn, options, left(), reauthentication);
  // Whatever the broker says is cleaned of the token we sent before it reaches a message.
  const secret = o.mechanism === 'OAUTHBEARER' && typeof o.token === 'string' ? o.token : undefined;
  const fail = (code: AuthenticationError['code'], message: string, extra: { brokerMessage?: string | null; oauth?: OAuthBearerServerError | null; cause?: unknown } = {}): AuthenticationError =>
    new AuthenticationError(code, {
      broker: conn.broker, mechanism: o.mechanism, message: redactToken(message, secret),
      brokerMessage: extra.brokerMessage == null ? null : redactToken(extra.brokerMessage, secret),
      oauth: extra.oauth ?? null, cause: extra.cause,
    });

  const authRange = conn.apiVersions.get(SaslAuthenticateApi.key);
  const handshakeVersion = o.handshakeVersion ?? (authRange === undefined ? 0 : 1);
  const hs = await conn.send(SaslHandshakeApi, { mechanism: o.mechanism }, handshakeVersion, left(), true);
  if (hs.body.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
    throw fail('KWIRE_ERR_SASL_MECHANISM', `mechanism not enabled on this listener; the broker offers ${hs.body.mechanisms.join(', ') || 'none'}`);
  }
  if (hs.body.errorCode !== ErrorCode.NONE) {
    const { name } = kafkaError(hs.body.errorCode);
    throw fail('KWIRE_ERR_SASL_PROTOCOL', `SaslHandshake failed with ${name} (${hs.body.errorCode})${reauthentication ? ' on re-authentication' : ''}`);
  }

  let session: SaslSession;
  if (o.mechanism === 'OAUTHBEARER') {
    try {
      session = oauthBearerSession(secret ?? '', o.extensions);
    } catch (e) {
      if (e instanceof SaslCredentialsFailure) throw fail('KWIRE_ERR_SASL_TOKEN', e.message);
      throw e;
    }
  } else {
    session = saslSession(o);
  }
  const refused = (reason: string, brokerMessage?: string | null): AuthenticationError => {
    const oauth = session.serverError?.() ?? null;
    if (oauth === null) return fail('KWIRE_ERR_SASL_AUTH_FAILED', reason, { brokerMessage: brokerMessage ?? null });
    // Kafka's ErrorMessage after an OAUTHBEARER error challenge is that challenge again: said once.
    const status = `the broker rejected the token: ${oauth.status ?? 'no status'}${oauth.scope === null ? '' : ` (scope ${oauth.scope})`}`;
    const more = brokerMessage == null ? ` (${reason})` : brokerMessage.startsWith('{') ? '' : `: ${brokerMessage}`;
    return fail('KWIRE_ERR_SASL_AUTH_FAILED', `${status}${more}`, { brokerMessage: brokerMessage ?? null, oauth });
  };

  let token: Buffer | null = session.initial();
  let lifetime = 0n;
  try {
    if (handshakeVersion === 0) {
      while (token !== null) {
        const reply = await conn.exchangeRaw(token, left()).catch((e: unknown) => {
          // Raw framing has no error response: a failed login is just a closed connection.
          if (e instanceof KafkaConnectionError && e.code === 'KWIRE_ERR_CONNECTION_CLOSED') {
            throw refused(session.serverError?.()
              ? 'it closed the connection after its error challenge'
              : 'the broker closed the connection (wrong credentials? SaslHandshake v0 framing carries no reason)');
          }
          throw e;
        });
        token = session.respond(reply);
      }
    } else {
      if (authRange === undefined) throw fail('KWIRE_ERR_SASL_PROTOCOL', 'the broker does not offer SaslAuthenticate');
      const version = conn.version(SaslAuthenticateApi);
      while (token !== null) {
        const res = await conn.send(SaslAuthenticateApi, { authBytes: token }, version, left(), true);
        if (res.body.errorCode !== ErrorCode.NONE) {
          const message = res.body.errorMessage === null ? null : serverText(res.body.errorMessage, secret);
          throw refused(message ?? `error ${res.body.errorCode}`, message);
        }
        lifetime = res.body.sessionLifetimeMs;
        token = session.respond(res.body.authBytes ?? Buffer.alloc(0));
      }
    }
  } catch (e) {
    if (e instanceof SaslProtocolFailure) throw fail('KWIRE_ERR_SASL_PROTOCOL', e.message);
    if (e instanceof KafkaProtocolError) throw fail('KWIRE_ERR_SASL_PROTOCOL', e.message);
    throw e;
  }
  return { sessionLifetimeMs: Number(lifetime) };
}

