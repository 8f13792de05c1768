/**
 * Identity passthrough (`auth.passthrough`): each subject's own JWT is the OAUTHBEARER token of
 * Kafka connections that belong to that subject alone, so the brokers' ACLs apply per user. A
 * subject's connections share its Kafka client; two subjects never share one. The client logs in
 * (and re-authenticates, KIP-368) with the freshest token among the subject's open connections.
 */
import type { OAuthTokenProvider } from '../../kafka-wire/index.js';
import type { PubSubBackend, SubscriptionRoute } from '../../pubsub/index.js';

/** What a subject's Kafka side is made of: made by LiveRoutes, closed when its last connection goes. */
export interface SubjectBackend {
  backend: PubSubBackend;
  /** Undefined on a route where subscribing is off. */
  subscriptions: SubscriptionRoute | undefined;
  close(): void;
}

export type SubjectBackendFactory = (subject: string, token: OAuthTokenProvider) => SubjectBackend;

interface Entry {
  made: SubjectBackend;
  /** The token of each open connection of the subject, with its expiry. */
  tokens: Map<object, { value: string; expiresAtMs: number }>;
}

export class PassthroughPool {
  private readonly entries = new Map<string, Entry>();
  private readonly make: SubjectBackendFactory;

  constructor(make: SubjectBackendFactory) {
    this.make = make;
  }

  /** Subjects with a Kafka client of their own now. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The subject's backend for connection `holder`, whose token is now `token` (a first grant or a
   * refresh: the subject's client uses it from its next login or re-authentication on).
   */
  use(subject: string, holder: object, token: string, expiresAtMs: number): SubjectBackend {
    let e = this.entries.get(subject);
    if (e === undefined) {
      const tokens = new Map<object, { value: string; expiresAtMs: number }>();
      const provider: OAuthTokenProvider = () => {
        let best: { value: string; expiresAtMs: number } | undefined;
        for (const t of tokens.values()) if (best === undefined || t.expiresAtMs > best.expiresAtMs) best = t;
        if (best === undefined) return Promise.reject(new Error('no open connection of this identity holds a token'));
        return Promise.resolve(Number.isFinite(best.expiresAtMs) ? { value: best.value, expiresAtMs: best.expiresAtMs } : { value: best.value });
      };
      e = { made: this.make(subject, provider), tokens };
      this.entries.set(subject, e);
    }
    e.tokens.set(holder, { value: token, expiresAtMs });
    return e.made;
  }

  /** Connection `holder` of `subject` has closed; the subject's client closes with its last one. */
  release(subject: string, holder: object): void {
    const e = this.entries.get(subject);
    if (e === undefined || !e.tokens.delete(holder) || e.tokens.size > 0) return;
    this.entries.delete(subject);
    e.made.close();
  }
}
