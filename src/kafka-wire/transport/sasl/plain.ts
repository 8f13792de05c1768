import { SaslProtocolFailure, type SaslSession } from './mechanism.js';

/** RFC 4616 with an empty authzid, which is what Kafka's PlainSaslServer expects. */
export function plainSession(username: string, password: string): SaslSession {
  return {
    initial: () => Buffer.from(`\0${username}\0${password}`, 'utf8'),
    respond(serverToken) {
      if (serverToken.length !== 0) throw new SaslProtocolFailure('PLAIN: the server sent a challenge, expected none');
      return null;
    },
  };
}
