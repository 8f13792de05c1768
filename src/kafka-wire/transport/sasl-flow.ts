import { KafkaProtocolError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { SaslAuthenticateApi, SaslHandshakeApi } from '../protocol/versions.js';
import type { Connection } from './connection.js';
import { AuthenticationError, KafkaConnectionError } from './errors.js';
import { saslSession, SaslProtocolFailure, type SaslCredentials } from './sasl/index.js';

export interface SaslOptions extends SaslCredentials {
  /**
   * SaslHandshake version: 1 (default when the broker has SaslAuthenticate) frames tokens as
   * SaslAuthenticate requests; 0 sends bare size-prefixed tokens, the pre-1.0 way.
   */
  handshakeVersion?: 0 | 1;
}

/** Runs one SASL login on `conn` and returns the KIP-368 session lifetime (0 = unlimited or unknown). */
export async function authenticate(conn: Connection, o: SaslOptions, left: () => number): Promise<{ sessionLifetimeMs: number }> {
  const fail = (code: AuthenticationError['code'], message: string, brokerMessage?: string | null): AuthenticationError =>
    new AuthenticationError(code, { broker: conn.broker, mechanism: o.mechanism, message, brokerMessage: brokerMessage ?? null });

  const authRange = conn.apiVersions.get(SaslAuthenticateApi.key);
  const handshakeVersion = o.handshakeVersion ?? (authRange === undefined ? 0 : 1);
  const hs = await conn.send(SaslHandshakeApi, { mechanism: o.mechanism }, handshakeVersion, left(), true);
  if (hs.body.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
    throw fail('KWIRE_ERR_SASL_MECHANISM', `mechanism not enabled on this listener; the broker offers ${hs.body.mechanisms.join(', ') || 'none'}`);
  }
  if (hs.body.errorCode !== ErrorCode.NONE) throw fail('KWIRE_ERR_SASL_PROTOCOL', `SaslHandshake failed with error ${hs.body.errorCode}`);

  const session = saslSession(o);
  let token: Buffer | null = session.initial();
  let lifetime = 0n;
  try {
    if (handshakeVersion === 0) {
      while (token !== null) {
        const reply = await conn.exchangeRaw(token, left()).catch((e: unknown) => {
          // Raw framing has no error response: a failed login is just a closed connection.
          if (e instanceof KafkaConnectionError && e.code === 'KWIRE_ERR_CONNECTION_CLOSED') {
            throw fail('KWIRE_ERR_SASL_AUTH_FAILED', 'the broker closed the connection (wrong credentials? SaslHandshake v0 framing carries no reason)');
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
          const detail = res.body.errorMessage ?? `error ${res.body.errorCode}`;
          throw fail('KWIRE_ERR_SASL_AUTH_FAILED', detail, res.body.errorMessage);
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
