/**
 * The JWT verifier's configuration as JSON (proposed home: `plugins.kafka-proxy.auth.jwt` of a
 * route), validated with the route validators' helpers: every error names the JSON path of the
 * field and never quotes its value, which may be a secret or a PEM. Keys are imported here, so a
 * bad key fails the admin request, not the first token. docs/security.md describes the fields.
 */
import { isAbsolute } from 'node:path';
import { boolean, fail, fieldPath, integer, object, oneOf, onlyKeys, string, typeName, type JsonObject } from '../routes/check.js';
import { ALGORITHMS, type JwsAlgorithm } from './algorithms.js';
import { allowList, importJwk, importPem, importSecret, type ImportedKey, type Result, type VerifyKey } from './keys.js';

export type JwksSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'url'; readonly url: URL };

/** A validated configuration; keys imported. Times in milliseconds. */
export interface JwtConfig {
  /** Keys given in the route itself. */
  readonly keys: readonly VerifyKey[];
  readonly jwks: JwksSource | undefined;
  /** Algorithms JWKS keys may verify (`jwks_algs`); undefined: whatever each key allows. */
  readonly jwksAlgs: ReadonlySet<JwsAlgorithm> | undefined;
  readonly jwksRefreshMs: number;
  readonly jwksMinRefreshMs: number;
  readonly jwksTimeoutMs: number;
  readonly issuers: readonly string[] | undefined;
  readonly audiences: readonly string[] | undefined;
  readonly leewayMs: number;
  readonly maxTokenBytes: number;
  readonly requireExp: boolean;
  readonly requiredClaims: readonly string[];
}

export const JWT_DEFAULTS = Object.freeze({
  jwksRefreshMs: 300_000,
  jwksMinRefreshMs: 30_000,
  jwksTimeoutMs: 5_000,
  leewayMs: 30_000,
  maxTokenBytes: 8192,
  requireExp: true,
});

const MAX_KEYS = 100;
const MAX_LIST = 32;
const JWKS_FIELDS = ['jwks_algs', 'jwks_refresh_ms', 'jwks_min_refresh_ms', 'jwks_timeout_ms', 'jwks_allow_http'] as const;

/** Validates the JWT settings at `field`. @throws {RouteValidationError} naming the field. */
export function jwtConfigOf(v: unknown, field: string): JwtConfig {
  const c = object(v, field);
  onlyKeys(c, field, ['keys', 'jwks_file', 'jwks_url', ...JWKS_FIELDS, 'issuer', 'audience', 'leeway_ms', 'max_token_bytes', 'require_exp', 'required_claims']);
  const at = (k: string) => fieldPath(field, k);
  const keys = c['keys'] === undefined ? [] : keysOf(c['keys'], at('keys'));
  const jwks = jwksSourceOf(c, field);
  if (keys.length === 0 && jwks === undefined) fail(field, 'needs keys, jwks_file or jwks_url');
  if (jwks === undefined) {
    for (const k of JWKS_FIELDS) if (c[k] !== undefined) fail(at(k), 'only with jwks_file or jwks_url');
  }
  const int = (k: string, dflt: number, min: number, max: number) => (c[k] === undefined ? dflt : integer(c[k], at(k), min, max));
  const d = JWT_DEFAULTS;
  const jwksRefreshMs = int('jwks_refresh_ms', d.jwksRefreshMs, 1000, 86_400_000);
  const jwksMinRefreshMs = int('jwks_min_refresh_ms', Math.min(d.jwksMinRefreshMs, jwksRefreshMs), 1000, 3_600_000);
  if (jwksMinRefreshMs > jwksRefreshMs) fail(at('jwks_min_refresh_ms'), 'must be <= jwks_refresh_ms');
  return {
    keys,
    jwks,
    jwksAlgs: c['jwks_algs'] === undefined ? undefined : new Set(algList(c['jwks_algs'], at('jwks_algs'))),
    jwksRefreshMs,
    jwksMinRefreshMs,
    jwksTimeoutMs: int('jwks_timeout_ms', d.jwksTimeoutMs, 100, 60_000),
    issuers: c['issuer'] === undefined ? undefined : stringOrList(c['issuer'], at('issuer')),
    audiences: c['audience'] === undefined ? undefined : stringOrList(c['audience'], at('audience')),
    leewayMs: int('leeway_ms', d.leewayMs, 0, 600_000),
    maxTokenBytes: int('max_token_bytes', d.maxTokenBytes, 256, 65_536),
    requireExp: c['require_exp'] === undefined ? d.requireExp : boolean(c['require_exp'], at('require_exp')),
    requiredClaims: c['required_claims'] === undefined ? [] : list(c['required_claims'], at('required_claims'), 0, (x, p) => string(x, p, { min: 1, max: 256 })),
  };
}

function jwksSourceOf(c: JsonObject, field: string): JwksSource | undefined {
  const fileAt = fieldPath(field, 'jwks_file');
  const urlAt = fieldPath(field, 'jwks_url');
  if (c['jwks_file'] !== undefined && c['jwks_url'] !== undefined) fail(urlAt, `not with ${fileAt}: give one JWKS`);
  if (c['jwks_file'] !== undefined) {
    if (c['jwks_allow_http'] !== undefined) fail(fieldPath(field, 'jwks_allow_http'), 'only with jwks_url');
    const path = string(c['jwks_file'], fileAt, { min: 1, max: 4096 });
    if (!isAbsolute(path)) fail(fileAt, 'must be an absolute path');
    return { kind: 'file', path };
  }
  if (c['jwks_url'] === undefined) return undefined;
  const text = string(c['jwks_url'], urlAt, { min: 1, max: 2048 });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(urlAt, 'expected an absolute http(s) URL');
  }
  const allowHttp = c['jwks_allow_http'] === undefined ? false : boolean(c['jwks_allow_http'], fieldPath(field, 'jwks_allow_http'));
  // Whoever can alter the JWKS in transit can sign any token: plain HTTP only when asked for.
  if (url.protocol === 'http:' && !allowHttp) fail(urlAt, 'must be https (or set jwks_allow_http)');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(urlAt, 'expected an absolute http(s) URL');
  if (url.username !== '' || url.password !== '') fail(urlAt, 'must not hold a user name or password');
  return { kind: 'url', url };
}

function keysOf(v: unknown, field: string): VerifyKey[] {
  const out = list(v, field, MAX_KEYS, (x, at) => keyOf(x, at));
  const kids = new Set<string>();
  for (const [i, k] of out.entries()) {
    if (k.kid === undefined) continue;
    // One kid, one key: otherwise which of them a token means depends on order.
    if (kids.has(k.kid)) fail(fieldPath(fieldPath(field, i), 'kid'), 'is used by an earlier key');
    kids.add(k.kid);
  }
  return out;
}

const MATERIAL = ['secret', 'pem', 'jwk'] as const;

function keyOf(v: unknown, field: string): VerifyKey {
  const k = object(v, field);
  onlyKeys(k, field, ['kid', 'alg', 'algs', ...MATERIAL]);
  const at = (name: string) => fieldPath(field, name);
  const given = MATERIAL.filter((m) => k[m] !== undefined);
  if (given.length !== 1) fail(field, given.length === 0 ? 'needs one of secret, pem, jwk' : `give only one of ${given.join(', ')}`);
  const material = given[0] as (typeof MATERIAL)[number];
  if (k['alg'] !== undefined && k['algs'] !== undefined) fail(at('algs'), 'not with alg');
  let imported: Result<ImportedKey>;
  let jwk: JsonObject | undefined;
  if (material === 'secret') imported = importSecret(string(k['secret'], at('secret'), { min: 1, max: 4096 }));
  else if (material === 'pem') imported = importPem(string(k['pem'], at('pem'), { min: 1, max: 65_536 }));
  else {
    jwk = object(k['jwk'], at('jwk'));
    imported = importJwk(jwk);
  }
  if (!imported.ok) fail(at(material), imported.problem);
  let kid = k['kid'] === undefined ? undefined : string(k['kid'], at('kid'), { min: 1, max: 256 });
  let algs: JwsAlgorithm[];
  if (k['alg'] !== undefined) algs = [oneOf(k['alg'], at('alg'), ALGORITHMS)];
  else if (k['algs'] !== undefined) algs = algList(k['algs'], at('algs'));
  else if (jwk !== undefined && jwk['alg'] !== undefined) algs = [oneOf(jwk['alg'], fieldPath(at('jwk'), 'alg'), ALGORITHMS)];
  // An explicit list per key (RFC 8725 §3.1): a guessed one would be the whole family.
  else fail(field, 'needs alg or algs');
  if (jwk !== undefined && kid === undefined && jwk['kid'] !== undefined) kid = string(jwk['kid'], fieldPath(at('jwk'), 'kid'), { min: 1, max: 256 });
  const allowed = allowList(imported.value, algs);
  if (!allowed.ok) fail(at(k['alg'] !== undefined ? 'alg' : k['algs'] !== undefined ? 'algs' : 'jwk'), allowed.problem);
  return { kid, algs: allowed.value, ...imported.value };
}

function algList(v: unknown, field: string): JwsAlgorithm[] {
  const algs = list(v, field, ALGORITHMS.length, (x, at) => oneOf(x, at, ALGORITHMS));
  if (algs.length === 0) fail(field, 'must not be empty');
  if (new Set(algs).size !== algs.length) fail(field, 'lists an algorithm twice');
  return algs;
}

function stringOrList(v: unknown, field: string): string[] {
  if (typeof v === 'string') return [string(v, field, { min: 1, max: 1024 })];
  const out = list(v, field, MAX_LIST, (x, at) => string(x, at, { min: 1, max: 1024 }));
  if (out.length === 0) fail(field, 'must not be empty');
  return out;
}

/** An array of at most `max` items (0: MAX_LIST), each read by `item` at its index. */
function list<T>(v: unknown, field: string, max: number, item: (x: unknown, at: string) => T): T[] {
  if (!Array.isArray(v)) fail(field, `expected array, got ${typeName(v)}`);
  const limit = max === 0 ? MAX_LIST : max;
  if (v.length > limit) fail(field, `must have at most ${limit} items`);
  return v.map((x, i) => item(x, fieldPath(field, i)));
}
