/**
 * A route's identity settings: `plugins.kafka-proxy.auth` (how tokens are verified and where they
 * may come from), `authorize` (topic rules templated from the claims) and `limits` (per identity).
 * All off by default, so APISIX routes keep working unchanged. docs/security.md describes them.
 */
import { boolean, fail, fieldPath, integer, object, onlyKeys, string, type JsonObject } from '../routes/check.js';
import { jwtConfigOf, type JwtConfig } from './config.js';
import { compileTopicRules, type CompiledRules } from './topic-rules.js';

/** Where a token may come from at the upgrade, and whether the first frame may bring it instead. */
export interface TokenSources {
  /** `Sec-WebSocket-Protocol: kafka-ws-proxy, bearer.<token>`: what a browser page can set. */
  readonly protocol: boolean;
  /** `Authorization: Bearer <token>`: for clients that set headers. */
  readonly header: boolean;
  /** A cookie of this name; undefined: off. */
  readonly cookie: string | undefined;
  /** A query parameter of this name; undefined: off (a token in a URL ends up in access logs). */
  readonly query: string | undefined;
  /** cmd_authenticate as the connection's first command. */
  readonly frame: boolean;
}

export interface RouteAuth {
  readonly jwt: JwtConfig;
  readonly from: TokenSources;
  /** How long a connection without a token may take to send cmd_authenticate. */
  readonly authenticateWithinMs: number;
  /** Each subject's token is the OAUTHBEARER token of its own Kafka connections. */
  readonly passthrough: boolean;
}

export interface IdentityLimits {
  /** Commands per second per identity (per connection before it authenticates, or on a route without auth); 0: no limit. */
  readonly commandsPerSecond: number;
  /** Open connections per subject on the route; 0: no limit. */
  readonly connectionsPerSubject: number;
}

export interface RouteIdentity {
  readonly auth: RouteAuth | undefined;
  /** Topic rules bound per connection to its claims; undefined: every topic the route allows. */
  readonly rules: CompiledRules | undefined;
  readonly limits: IdentityLimits;
}

export const AUTH_DEFAULTS = Object.freeze({ authenticateWithinMs: 10_000 });
export const NO_LIMITS: IdentityLimits = Object.freeze({ commandsPerSecond: 0, connectionsPerSubject: 0 });
/** A route without auth, rules or limits. */
export const NO_IDENTITY: RouteIdentity = Object.freeze({ auth: undefined, rules: undefined, limits: NO_LIMITS });
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const QUERY_NAME = /^[A-Za-z0-9._~-]{1,64}$/;

/**
 * Validates `auth`, `authorize` and `limits` of a kafka-proxy plugin config `p` at `field`.
 * `originsSet`: whether the route has allowed_origins (a cookie token needs them: a browser sends
 * cookies with a cross-site WebSocket upgrade too).
 */
export function routeIdentityOf(p: JsonObject, field: string, originsSet: boolean): RouteIdentity {
  const auth = p['auth'] === undefined ? undefined : authOf(p['auth'], fieldPath(field, 'auth'), originsSet);
  if (auth?.passthrough === true && p['sasl'] !== undefined) {
    fail(fieldPath(fieldPath(field, 'auth'), 'passthrough'), 'cannot go with sasl: each connection logs in to Kafka with its own token');
  }
  let rules: CompiledRules | undefined;
  if (p['authorize'] !== undefined) {
    if (auth === undefined) fail(fieldPath(field, 'authorize'), 'needs auth (the rules are templated from token claims)');
    rules = compileTopicRules(p['authorize'], fieldPath(field, 'authorize'));
  }
  const limits = p['limits'] === undefined ? NO_LIMITS : limitsOf(p['limits'], fieldPath(field, 'limits'), auth !== undefined);
  return { auth, rules, limits };
}

function authOf(v: unknown, field: string, originsSet: boolean): RouteAuth {
  const a = object(v, field);
  onlyKeys(a, field, ['jwt', 'token_from', 'authenticate_within_ms', 'passthrough']);
  if (a['jwt'] === undefined) fail(fieldPath(field, 'jwt'), 'required');
  const jwt = jwtConfigOf(a['jwt'], fieldPath(field, 'jwt'));
  const from = a['token_from'] === undefined ? defaultSources() : sourcesOf(a['token_from'], fieldPath(field, 'token_from'));
  if (from.cookie !== undefined && !originsSet) {
    fail(fieldPath(fieldPath(field, 'token_from'), 'cookie'), 'needs allowed_origins: a browser sends the cookie with a WebSocket upgrade from any site');
  }
  if (!from.protocol && !from.header && from.cookie === undefined && from.query === undefined && !from.frame) {
    fail(fieldPath(field, 'token_from'), 'turns every source off: no client could authenticate');
  }
  const within = a['authenticate_within_ms'];
  return {
    jwt,
    from,
    authenticateWithinMs: within === undefined ? AUTH_DEFAULTS.authenticateWithinMs : integer(within, fieldPath(field, 'authenticate_within_ms'), 100, 300_000),
    passthrough: a['passthrough'] === undefined ? false : boolean(a['passthrough'], fieldPath(field, 'passthrough')),
  };
}

function defaultSources(): TokenSources {
  return { protocol: true, header: true, cookie: undefined, query: undefined, frame: true };
}

function sourcesOf(v: unknown, field: string): TokenSources {
  const s = object(v, field);
  onlyKeys(s, field, ['protocol', 'header', 'cookie', 'query', 'frame']);
  const d = defaultSources();
  const flag = (k: 'protocol' | 'header' | 'frame') => (s[k] === undefined ? d[k] : boolean(s[k], fieldPath(field, k)));
  const name = (k: 'cookie' | 'query', re: RegExp) => {
    if (s[k] === undefined) return undefined;
    const n = string(s[k], fieldPath(field, k), { min: 1, max: 64 });
    if (!re.test(n)) fail(fieldPath(field, k), k === 'cookie' ? 'is not a cookie name' : 'is not a plain query parameter name');
    return n;
  };
  return { protocol: flag('protocol'), header: flag('header'), cookie: name('cookie', COOKIE_NAME), query: name('query', QUERY_NAME), frame: flag('frame') };
}

function limitsOf(v: unknown, field: string, hasAuth: boolean): IdentityLimits {
  const l = object(v, field);
  onlyKeys(l, field, ['commands_per_second', 'connections_per_subject']);
  const perSubject = l['connections_per_subject'] === undefined ? 0 : integer(l['connections_per_subject'], fieldPath(field, 'connections_per_subject'), 1, 1_000_000);
  if (perSubject > 0 && !hasAuth) fail(fieldPath(field, 'connections_per_subject'), 'needs auth (a subject comes from a token)');
  return {
    commandsPerSecond: l['commands_per_second'] === undefined ? 0 : integer(l['commands_per_second'], fieldPath(field, 'commands_per_second'), 1, 1_000_000),
    connectionsPerSubject: perSubject,
  };
}
