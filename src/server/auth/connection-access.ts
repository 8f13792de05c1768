/**
 * The server's side of a connection's identity (pubsub's ConnectionAccess): tokens verified with
 * the route's JWT settings, topic rules bound to the claims, the subject's place among its
 * connections, and the command rate. One RouteAccess per live version of a route; the subjects'
 * counts and rates belong to the route id, so a route update does not reset them.
 */
import { AccessError, type ConnectionAccess, type Grant } from '../../pubsub/index.js';
import { TokenError } from './errors.js';
import type { PassthroughPool } from './passthrough.js';
import type { RouteIdentity } from './route-auth.js';
import { bindTopicRules } from './topic-rules.js';
import type { JwtVerifier, VerifiedToken } from './verifier.js';

/** Commands per second as a bucket of one second's worth, refilled continuously. */
export class RateBucket {
  private tokens: number;
  private last = performance.now();
  private readonly perMs: number;
  private readonly cap: number;

  constructor(perSecond: number) {
    this.cap = perSecond;
    this.tokens = perSecond;
    this.perMs = perSecond / 1000;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.cap, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** What a route id keeps across its versions: each subject's open connections and shared rate. */
export class SubjectTable {
  private readonly subjects = new Map<string, { connections: number; bucket: RateBucket | undefined }>();

  connections(subject: string): number {
    return this.subjects.get(subject)?.connections ?? 0;
  }

  /** Counts one more connection of `subject`; returns its shared bucket (made at `perSecond`, if any). */
  enter(subject: string, perSecond: number): RateBucket | undefined {
    let s = this.subjects.get(subject);
    if (s === undefined) this.subjects.set(subject, (s = { connections: 0, bucket: perSecond > 0 ? new RateBucket(perSecond) : undefined }));
    s.connections++;
    return s.bucket;
  }

  leave(subject: string): void {
    const s = this.subjects.get(subject);
    if (s !== undefined && --s.connections <= 0) this.subjects.delete(subject);
  }

  get size(): number {
    return this.subjects.size;
  }
}

/** A token that passed the checks of the upgrade, with its text (passthrough logs in with it). */
export interface CheckedToken {
  token: string;
  verified: VerifiedToken;
}

/** Why an upgrade or an in-band authentication was refused, for the reply and the metrics. */
export interface Refusal {
  status: 401 | 429;
  reason: string;
  message: string;
}

const ANONYMOUS: Grant = Object.freeze({ subject: '', expiresAtMs: Infinity, consume: () => true, produce: () => true, group: () => true });

/** A live route's identity rules with what they need at run time. */
export class RouteAccess {
  readonly identity: RouteIdentity;
  private readonly verifier: JwtVerifier | undefined;
  private readonly subjects: SubjectTable;
  private readonly rateText: string;
  /** Each subject's own Kafka side, with `auth.passthrough`. */
  readonly passthrough: PassthroughPool | undefined;

  constructor(identity: RouteIdentity, verifier: JwtVerifier | undefined, subjects: SubjectTable, passthrough?: PassthroughPool) {
    this.identity = identity;
    this.verifier = verifier;
    this.subjects = subjects;
    this.passthrough = passthrough;
    this.rateText = `too many commands (limit ${identity.limits.commandsPerSecond} per second)`;
  }

  /** Whether connections on this route need a grant (the route has auth). */
  get authenticates(): boolean {
    return this.identity.auth !== undefined;
  }

  /**
   * Checks a token offered at the upgrade: verified and not past its exp. Resolves with the
   * verified token or a refusal. The subject's connection cap is for the caller to check (`full`)
   * in the same turn as it opens the connection, so concurrent upgrades cannot both pass it.
   */
  async check(token: string): Promise<CheckedToken | Refusal> {
    try {
      return { token, verified: await this.verify(token) };
    } catch (e) {
      if (e instanceof AccessError) return { status: 401, reason: e.reason, message: e.message };
      throw e;
    }
  }

  /** The access of a new connection; `checked` is the upgrade's token, if it had one. */
  connection(checked: CheckedToken | undefined): ConnectionAccess {
    return new IdentityConnection(this, checked);
  }

  /** @throws AccessError */
  async verify(token: string): Promise<VerifiedToken> {
    if (this.verifier === undefined) throw new AccessError('SERVER_ERR_TOKEN', 'not_enabled', 'authentication is not enabled on this route');
    let v: VerifiedToken;
    try {
      v = await this.verifier.verify(token);
    } catch (e) {
      if (e instanceof TokenError) throw new AccessError(e.code, e.reason, `token refused (${e.reason}): ${e.message}`);
      throw e;
    }
    // The verifier allows the leeway after exp for clock skew; a connection still ends at exp.
    if ((v.expiresAtMs ?? Infinity) <= Date.now()) throw new AccessError('SERVER_ERR_TOKEN', 'expired', 'token refused (expired): it is past its exp');
    return v;
  }

  /** The refusal text when `subject` already holds the route's connections_per_subject. */
  full(subject: string): string | undefined {
    const cap = this.identity.limits.connectionsPerSubject;
    return cap > 0 && this.subjects.connections(subject) >= cap ? `too many connections for this identity (limit ${cap})` : undefined;
  }

  enter(subject: string): RateBucket | undefined {
    return this.subjects.enter(subject, this.identity.limits.commandsPerSecond);
  }

  /** The grant of token `c` for connection `holder` (with passthrough, the subject's own Kafka side, now also on this token). */
  grantOf(c: CheckedToken, holder: object): Grant {
    const v = c.verified;
    const rules = this.identity.rules;
    const subject = v.subject ?? '';
    const expiresAtMs = v.expiresAtMs ?? Infinity;
    const own = this.passthrough?.use(subject, holder, c.token, expiresAtMs);
    const ownPart = own === undefined ? {} : { own: { backend: own.backend, subscriptions: own.subscriptions } };
    if (rules === undefined) return { subject, expiresAtMs, consume: () => true, produce: () => true, group: () => true, ...ownPart };
    const bound = bindTopicRules(rules, v.claims);
    return { subject, expiresAtMs, consume: (t) => bound.consume(t), produce: (t) => bound.produce(t), group: (g) => bound.group(g), ...ownPart };
  }

  /** Connection `holder` of `subject` has closed. */
  release(subject: string, holder: object): void {
    this.subjects.leave(subject);
    this.passthrough?.release(subject, holder);
  }

  get rateLimited(): string {
    return this.rateText;
  }

  newBucket(): RateBucket | undefined {
    const r = this.identity.limits.commandsPerSecond;
    return r > 0 ? new RateBucket(r) : undefined;
  }
}

/** One connection's ConnectionAccess. */
class IdentityConnection implements ConnectionAccess {
  readonly initial: Grant | undefined;
  readonly authenticateWithinMs: number;
  private readonly route: RouteAccess;
  /** The subject counted among the route's connections, once the connection has one. */
  private subject: string | undefined;
  private bucket: RateBucket | undefined;
  private released = false;

  constructor(route: RouteAccess, checked: CheckedToken | undefined) {
    this.route = route;
    this.authenticateWithinMs = route.identity.auth?.authenticateWithinMs ?? 0;
    this.bucket = route.newBucket();
    if (!route.authenticates) {
      this.initial = ANONYMOUS;
    } else if (checked !== undefined) {
      this.count(checked.verified.subject ?? '');
      this.initial = route.grantOf(checked, this);
    } else {
      this.initial = undefined;
    }
  }

  async authenticate(token: string, current: Grant | undefined): Promise<Grant> {
    const v = await this.route.verify(token);
    if (this.released) throw new AccessError('SERVER_ERR_TOKEN', 'closed', 'the connection has closed');
    const subject = v.subject ?? '';
    if (current !== undefined) {
      if (subject !== current.subject) throw new AccessError('SERVER_ERR_TOKEN', 'subject_changed', 'the token is for another subject: a connection keeps its identity');
      return this.route.grantOf({ token, verified: v }, this);
    }
    const full = this.route.full(subject);
    if (full !== undefined) throw new AccessError('SERVER_ERR_TOKEN', 'too_many_connections', full);
    this.count(subject);
    return this.route.grantOf({ token, verified: v }, this);
  }

  admitCommand(): string | undefined {
    return this.bucket === undefined || this.bucket.take() ? undefined : this.route.rateLimited;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.subject !== undefined) this.route.release(this.subject, this);
  }

  /** Takes the subject's place among the route's connections and its shared rate. */
  private count(subject: string): void {
    this.subject = subject;
    const shared = this.route.enter(subject);
    if (shared !== undefined) this.bucket = shared;
  }
}
