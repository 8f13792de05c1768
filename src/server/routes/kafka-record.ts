/**
 * One route as a record of the route topic (docs/deployment.md, "Routes shared through Kafka").
 *
 *   key      the route id, UTF-8
 *   value    null: the route is deleted (a tombstone, which compaction keeps for
 *            delete.retention.ms and then drops). Otherwise JSON
 *            {"v": 1, "kid": "<key id>", "iv": "<base64, 12 bytes>", "data": "<base64>"},
 *            data being AES-256-GCM of the payload JSON (then the 16-byte tag), with
 *            "kafka-ws-proxy route v1" NUL id as additional data, so a record cannot be moved to
 *            another route id.
 *   payload  {"value": {the route as the admin API shows it}, "created": createdIndex of the
 *            route it replaces (absent: this record creates it), "claim": "offset" where the
 *            route's hold on its uri began (absent: this record's own offset)}
 *   headers  kwp-writer (the writing process's random id) and kwp-seq (its write counter), so
 *            the writer recognizes its own record when it reads it back, tombstones included.
 *
 * The whole route is encrypted, not only the fields that hold secrets: a password pasted into
 * `desc` or a label is protected too, as the admin API never quotes a value in a message for the
 * same reason. Nothing but the route id and the key id is in the clear.
 */
import { isObject } from './check.js';
import { KID, type KeyRing } from './key-ring.js';
import type { RouteValue } from './route.js';
import { MAX_JSON_DEPTH, parseJsonInput } from '../json-input.js';

export const RECORD_FORMAT = 1;
export const WRITER_HEADER = 'kwp-writer';
export const SEQ_HEADER = 'kwp-seq';
const AAD_PREFIX = 'kafka-ws-proxy route v1\0';

/** What a route record holds besides its id. */
export interface RoutePayload {
  value: RouteValue;
  /** createdIndex of the route this record replaces; absent: this record creates it. */
  created?: number;
  /** The offset where the route's hold on its uri began; absent: the record's own offset. */
  claim?: bigint;
}

/** A record value that is not one of ours (the reason never quotes it). */
export class NotARouteRecord extends Error {}

function aad(id: string): Buffer {
  return Buffer.from(AAD_PREFIX + id, 'utf8');
}

/** The record value of `payload` for route `id`, encrypted with the ring's current key. */
export function encodeRouteValue(id: string, payload: RoutePayload, ring: KeyRing): Buffer {
  const plain: Record<string, unknown> = { value: payload.value };
  if (payload.created !== undefined) plain['created'] = payload.created;
  if (payload.claim !== undefined) plain['claim'] = String(payload.claim);
  const sealed = ring.seal(Buffer.from(JSON.stringify(plain), 'utf8'), aad(id));
  return Buffer.from(JSON.stringify({ v: RECORD_FORMAT, kid: sealed.kid, iv: sealed.iv.toString('base64'), data: sealed.data.toString('base64') }), 'utf8');
}

/**
 * The payload of route `id`'s record value. The route in it is not validated here.
 * @throws RouteKeyError when the ring has no key for it or the key does not decrypt it (fatal for
 *   the replica); NotARouteRecord when it is not a route record of this format (the route is then
 *   absent, on every replica alike).
 */
export function decodeRouteValue(id: string, value: Uint8Array, ring: KeyRing): RoutePayload & { kid: string } {
  const e = envelope(value);
  const plain = ring.open({ kid: e.kid, iv: e.iv, data: e.data }, aad(id)).toString('utf8');
  let doc: unknown;
  try {
    doc = parseJsonInput(plain, MAX_JSON_DEPTH + 1); // the route is under "value"
  } catch {
    // An authenticated record that is not JSON was written with our key by something else.
    throw new NotARouteRecord('its decrypted payload is not JSON');
  }
  if (!isObject(doc) || !isObject(doc['value'])) throw new NotARouteRecord('its payload has no route value');
  const out: RoutePayload & { kid: string } = { value: doc['value'] as RouteValue, kid: e.kid };
  const created = doc['created'];
  if (created !== undefined) {
    if (typeof created !== 'number' || !Number.isSafeInteger(created) || created < 1) throw new NotARouteRecord('its payload has a bad created index');
    out.created = created;
  }
  const claim = doc['claim'];
  if (claim !== undefined) {
    if (typeof claim !== 'string' || !/^[0-9]{1,19}$/.test(claim)) throw new NotARouteRecord('its payload has a bad claim offset');
    out.claim = BigInt(claim);
  }
  return out;
}

function envelope(value: Uint8Array): { kid: string; iv: Buffer; data: Buffer } {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch {
    throw new NotARouteRecord('its value is not JSON');
  }
  if (!isObject(doc)) throw new NotARouteRecord('its value is not a JSON object');
  if (doc['v'] !== RECORD_FORMAT) throw new NotARouteRecord(`its format is not ${RECORD_FORMAT} (a newer version may have written it)`);
  const { kid, iv, data } = doc;
  if (typeof kid !== 'string' || !KID.test(kid)) throw new NotARouteRecord('it has no valid key id');
  if (typeof iv !== 'string' || typeof data !== 'string' || !BASE64.test(iv) || !BASE64.test(data)) throw new NotARouteRecord('its iv or data is not base64');
  return { kid, iv: Buffer.from(iv, 'base64'), data: Buffer.from(data, 'base64') };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
