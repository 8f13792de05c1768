import { KafkaWireError, MalformedError } from '../errors.js';
import { Reader } from '../primitives/reader.js';
import { Writer } from '../primitives/writer.js';
import {
  inRange,
  type Field, type Fields, type Infer, type Scalar, type ScalarField, type UnknownTag,
} from './schema.js';

/** A request or response message declaration: its fields and the versions they are valid for. */
export interface MessageSchema<F extends Fields = Fields> {
  readonly name: string;
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly fields: F;
}

/** What encode accepts: every field optional (absent = the field's default). */
export type Input<S extends Fields> = {
  -readonly [K in keyof S]?: InputField<S[K]>;
} & { _unknownTags?: UnknownTag[] };

type InputField<F extends Field> = F extends { readonly type: 'array'; readonly __items?: infer I }
  ? Nullable<F, (I extends Fields ? Input<I> : I extends Scalar ? Infer<{ x: { type: I; versions: '0+' } }>['x'] : never)[]>
  : F extends { readonly type: 'struct'; readonly __fields?: infer S extends Fields }
    ? Nullable<F, Input<S>>
    : Infer<{ x: F }>['x'];

type Nullable<F, T> = F extends { readonly nullable: string } ? T | null : T;

export function defineMessage<F extends Fields>(
  name: string,
  validVersions: string,
  flexibleVersions: string,
  fields: F,
): MessageSchema<F> {
  return { name, validVersions, flexibleVersions, fields };
}

// Field kinds as small integers so the decode loop switches on a number, not a string.
const BOOL = 0, INT8 = 1, INT16 = 2, UINT16 = 3, INT32 = 4, UINT32 = 5, INT64 = 6, FLOAT64 = 7;
const STRING = 8, BYTES = 9, UUID = 10, RECORDS = 11, ARRAY = 12, STRUCT = 13;
const KIND: Record<Scalar | 'array' | 'struct', number> = {
  bool: BOOL, int8: INT8, int16: INT16, uint16: UINT16, int32: INT32, uint32: UINT32, int64: INT64,
  float64: FLOAT64, string: STRING, bytes: BYTES, uuid: UUID, records: RECORDS, array: ARRAY, struct: STRUCT,
};
/** Smallest wire size of one element, used to reject absurd array counts before allocating. */
const MIN_SIZE = [1, 1, 2, 2, 4, 4, 8, 8, 1, 1, 16, 1, 1, 0];

const WIRE = 0, ABSENT = 1, TAGGED = 2;

interface Entry {
  readonly name: string;
  readonly mode: number;
  readonly kind: number;
  readonly nullable: boolean;
  readonly compact: boolean;
  /** Array element kind (scalar kinds or STRUCT). */
  readonly itemKind: number;
  /** Plan of a struct field, or of a struct array's elements. */
  readonly sub: Plan | undefined;
  readonly field: Field;
  readonly tag: number;
}

interface Plan {
  readonly entries: Entry[];
  readonly flexible: boolean;
  readonly tagged: Entry[];
  readonly byTag: Map<number, Entry>;
  readonly minSize: number;
}

const plans = new WeakMap<Fields, Map<number, Plan>>();

function planFor(fields: Fields, version: number, flexible: boolean): Plan {
  let byVersion = plans.get(fields);
  if (byVersion === undefined) plans.set(fields, (byVersion = new Map()));
  const key = version * 2 + (flexible ? 1 : 0);
  let plan = byVersion.get(key);
  if (plan === undefined) byVersion.set(key, (plan = compile(fields, version, flexible)));
  return plan;
}

function compile(fields: Fields, version: number, flexible: boolean): Plan {
  const entries: Entry[] = [];
  let minSize = flexible ? 1 : 0;
  for (const [name, field] of Object.entries(fields)) {
    const present = inRange(version, field.versions);
    const tagged = present && field.tag !== undefined;
    if (tagged && !flexible) throw new Error(`tagged field ${name} in a non-flexible version ${version}`);
    const mode = !present ? ABSENT : tagged ? TAGGED : WIRE;
    const kind = KIND[field.type];
    let itemKind = -1;
    let sub: Plan | undefined;
    if (field.type === 'array') {
      if (typeof field.items === 'string') itemKind = KIND[field.items];
      else {
        itemKind = STRUCT;
        sub = planFor(field.items, version, flexible);
      }
    } else if (field.type === 'struct') {
      sub = planFor(field.fields, version, flexible);
    }
    const entry: Entry = {
      name, mode, kind, itemKind, sub, field,
      nullable: inRange(version, field.nullable),
      compact: flexible && field.neverCompact !== true,
      tag: field.tag ?? -1,
    };
    if (mode === WIRE) minSize += kind === STRUCT ? (sub?.minSize ?? 0) : MIN_SIZE[kind]!;
    entries.push(entry);
  }
  const tagged = entries.filter((e) => e.mode === TAGGED).sort((a, b) => a.tag - b.tag);
  return { entries, flexible, tagged, byTag: new Map(tagged.map((e) => [e.tag, e])), minSize };
}

// ---------------------------------------------------------------------------------------------
// Defaults

function scalarDefault(field: ScalarField | Field, kind: number): unknown {
  if (field.default !== undefined) return field.default;
  switch (kind) {
    case BOOL: return false;
    case INT64: return 0n;
    case STRING: return '';
    case BYTES: return Buffer.alloc(0);
    case UUID: return 'AAAAAAAAAAAAAAAAAAAAAA';
    case RECORDS: return null;
    default: return 0;
  }
}

function defaultOf(e: Entry): unknown {
  if (e.kind === ARRAY) return e.field.default === null ? null : [];
  if (e.kind === STRUCT) return e.field.default === null ? null : defaultStruct(e.sub!);
  return scalarDefault(e.field, e.kind);
}

function defaultStruct(plan: Plan): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const e of plan.entries) o[e.name] = defaultOf(e);
  return o;
}

function isDefault(e: Entry, v: unknown): boolean {
  if (v === undefined) return true;
  const d = e.field.default;
  if (v === null) return d === null || e.kind === RECORDS;
  if (e.kind === ARRAY) return d !== null && (v as unknown[]).length === 0;
  if (e.kind === STRUCT) {
    if (d === null) return false;
    const o = v as Record<string, unknown>;
    return e.sub!.entries.every((s) => isDefault(s, o[s.name])) && !(o._unknownTags as UnknownTag[] | undefined)?.length;
  }
  const def = scalarDefault(e.field, e.kind);
  if (Buffer.isBuffer(v)) return Buffer.isBuffer(def) && v.equals(def);
  return v === def;
}

// ---------------------------------------------------------------------------------------------
// Decode

function readScalar(kind: number, nullable: boolean, compact: boolean, r: Reader): unknown {
  switch (kind) {
    case BOOL: return r.bool();
    case INT8: return r.int8();
    case INT16: return r.int16();
    case UINT16: return r.uint16();
    case INT32: return r.int32();
    case UINT32: return r.uint32();
    case INT64: return r.int64();
    case FLOAT64: return r.float64();
    case UUID: return r.uuid();
    case STRING: {
      const at = r.pos;
      const s = compact ? r.compactNullableString() : r.nullableString();
      if (s === null && !nullable) throw new MalformedError('null in a non-nullable string', at);
      return s;
    }
    case BYTES:
    case RECORDS: {
      const at = r.pos;
      const b = compact ? r.compactNullableBytes() : r.nullableBytes();
      if (b === null && !nullable) throw new MalformedError('null in non-nullable bytes', at);
      return b;
    }
  }
  throw new Error(`unreachable kind ${kind}`);
}

function readValue(e: Entry, r: Reader): unknown {
  if (e.kind === ARRAY) {
    const at = r.pos;
    const n = r.arrayLength(e.compact, e.itemKind === STRUCT ? Math.max(1, e.sub!.minSize) : MIN_SIZE[e.itemKind]!);
    if (n < 0) {
      if (!e.nullable) throw new MalformedError(`null array ${e.name}`, at);
      return null;
    }
    const out = new Array<unknown>(n);
    if (e.itemKind === STRUCT) for (let i = 0; i < n; i++) out[i] = readStruct(e.sub!, r);
    else for (let i = 0; i < n; i++) out[i] = readScalar(e.itemKind, false, e.compact, r);
    return out;
  }
  if (e.kind === STRUCT) {
    if (e.nullable) {
      const at = r.pos;
      const marker = r.int8();
      if (marker === -1) return null;
      if (marker !== 1) throw new MalformedError(`bad nullable struct marker ${marker}`, at);
    }
    return readStruct(e.sub!, r);
  }
  return readScalar(e.kind, e.nullable, e.compact, r);
}

function readStruct(plan: Plan, r: Reader): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const entries = plan.entries;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    o[e.name] = e.mode === WIRE ? readValue(e, r) : defaultOf(e);
  }
  if (plan.flexible) readTagged(plan, r, o);
  return o;
}

function readTagged(plan: Plan, r: Reader, o: Record<string, unknown>): void {
  const count = r.uvarint();
  let last = -1;
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const tag = r.uvarint();
    if (tag <= last) throw new MalformedError(`tagged fields out of order: ${tag} after ${last}`, at);
    last = tag;
    const size = r.uvarint();
    const start = r.need(size, `tagged field ${tag}`);
    const e = plan.byTag.get(tag);
    if (e === undefined) {
      ((o._unknownTags ??= []) as UnknownTag[]).push({ tag, data: r.raw(size) });
      continue;
    }
    const sub = new Reader(r.buf, start, start + size);
    o[e.name] = readValue(e, sub);
    r.pos = start + size;
  }
}

// ---------------------------------------------------------------------------------------------
// Encode

/*
 * The path of a field in an encode error ("FetchRequest.topics[0].partitions[2].fetchOffset") is
 * assembled on the way up from the failure, each struct and array level adding its part. Building
 * it on the way down, a string per field, was the largest single source of garbage per fetch in
 * the proxy (sampling heap profiler; BENCHMARKS.md, change 11).
 */
class EncodeFailure {
  readonly path: string[] = [];
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

function within(err: unknown, segment: string): unknown {
  // The Writer's own refusals (a string too long for Kafka) get the field's path too.
  if (err instanceof KafkaWireError && err.code === 'KWIRE_ERR_ENCODE') err = new EncodeFailure(err.message);
  if (err instanceof EncodeFailure) err.path.unshift(segment);
  return err;
}

function writeScalar(kind: number, v: unknown, nullable: boolean, compact: boolean, w: Writer): void {
  switch (kind) {
    case BOOL: w.bool(v === true); return;
    case INT8: w.int8(v as number); return;
    case INT16: w.int16(v as number); return;
    case UINT16: w.uint16(v as number); return;
    case INT32: w.int32(v as number); return;
    case UINT32: w.uint32(v as number); return;
    case INT64:
      if (typeof v !== 'bigint') throw new EncodeFailure('int64 must be a bigint');
      w.int64(v);
      return;
    case FLOAT64: w.float64(v as number); return;
    case UUID: w.uuid(v as string); return;
    case STRING:
      if (v === null && !nullable) throw new EncodeFailure('null is not allowed at this version');
      if (compact) w.compactNullableString(v as string | null);
      else w.nullableString(v as string | null);
      return;
    case BYTES:
    case RECORDS:
      if (v === null && !nullable) throw new EncodeFailure('null is not allowed at this version');
      if (compact) w.compactNullableBytes(v as Uint8Array | null);
      else w.nullableBytes(v as Uint8Array | null);
      return;
  }
  throw new Error(`unreachable kind ${kind}`);
}

function writeValue(e: Entry, v: unknown, w: Writer): void {
  if (v === undefined) v = defaultOf(e);
  if (e.kind === ARRAY) {
    if (v === null) {
      if (!e.nullable) throw new EncodeFailure('null is not allowed at this version');
      w.arrayLength(-1, e.compact);
      return;
    }
    const a = v as unknown[];
    w.arrayLength(a.length, e.compact);
    let i = 0;
    try {
      if (e.itemKind === STRUCT) for (; i < a.length; i++) writeStruct(e.sub!, a[i] as Record<string, unknown>, w);
      else for (; i < a.length; i++) writeScalar(e.itemKind, a[i], false, e.compact, w);
    } catch (err) {
      throw within(err, `[${i}]`);
    }
    return;
  }
  if (e.kind === STRUCT) {
    if (e.nullable) {
      if (v === null) {
        w.int8(-1);
        return;
      }
      w.int8(1);
    } else if (v === null) throw new EncodeFailure('null is not allowed at this version');
    writeStruct(e.sub!, v as Record<string, unknown>, w);
    return;
  }
  writeScalar(e.kind, v, e.nullable, e.compact, w);
}

function writeStruct(plan: Plan, o: Record<string, unknown>, w: Writer): void {
  for (const e of plan.entries) {
    if (e.mode !== WIRE) continue;
    try {
      writeValue(e, o[e.name], w);
    } catch (err) {
      throw within(err, `.${e.name}`);
    }
  }
  if (plan.flexible) writeTagged(plan, o, w);
}

function writeTagged(plan: Plan, o: Record<string, unknown>, w: Writer): void {
  const out: Array<{ tag: number; data: Uint8Array }> = [];
  for (const e of plan.tagged) {
    const v = o[e.name];
    if (isDefault(e, v)) continue;
    const sub = new Writer(64);
    try {
      writeValue(e, v, sub);
    } catch (err) {
      throw within(err, `.${e.name}`);
    }
    out.push({ tag: e.tag, data: sub.finish() });
  }
  const unknown = o._unknownTags as UnknownTag[] | undefined;
  if (unknown !== undefined) {
    for (const u of unknown) {
      if (plan.byTag.has(u.tag)) throw new EncodeFailure(`unknown tag ${u.tag} is a known field`);
      out.push(u);
    }
    out.sort((a, b) => a.tag - b.tag);
  }
  w.uvarint(out.length);
  for (const t of out) w.uvarint(t.tag).uvarint(t.data.length).raw(t.data);
}

// ---------------------------------------------------------------------------------------------
// Public entry points

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(version, schema.flexibleVersions);
}

function checkVersion(schema: MessageSchema, version: number): void {
  if (!inRange(version, schema.validVersions)) {
    throw new KafkaWireError('KWIRE_ERR_UNSUPPORTED_VERSION', `${schema.name} has no version ${version} (valid ${schema.validVersions})`);
  }
}

/**
 * Decodes one message body at `version` from `r`. Bytes and records fields are views into the
 * reader's buffer. Throws ShortInputError / MalformedError (annotated with the message name,
 * version and offset) on bad input.
 */
export function decodeMessage<F extends Fields>(schema: MessageSchema<F>, version: number, r: Reader): Infer<F> {
  checkVersion(schema, version);
  try {
    return readStruct(planFor(schema.fields, version, isFlexible(schema, version)), r) as Infer<F>;
  } catch (err) {
    throw annotate(err, schema.name, version);
  }
}

/** Encodes `value` at `version`; fields it omits take their defaults. Throws KWIRE_ERR_ENCODE. */
export function encodeMessage<F extends Fields>(schema: MessageSchema<F>, version: number, value: Input<F>, w: Writer): void {
  checkVersion(schema, version);
  try {
    writeStruct(planFor(schema.fields, version, isFlexible(schema, version)), value as Record<string, unknown>, w);
  } catch (err) {
    if (err instanceof EncodeFailure) throw new KafkaWireError('KWIRE_ERR_ENCODE', `${schema.name}${err.path.join('')}: ${err.message}`);
    throw err;
  }
}

/** A fully defaulted value of the message at `version` (every field present). */
export function defaultMessage<F extends Fields>(schema: MessageSchema<F>, version: number): Infer<F> {
  return defaultStruct(planFor(schema.fields, version, isFlexible(schema, version))) as Infer<F>;
}

function annotate(err: unknown, api: string, version: number): unknown {
  if (err instanceof KafkaWireError && !('api' in err)) {
    const offset = (err as { offset?: number }).offset;
    Object.assign(err, { api, version });
    err.message = `${api} v${version}: ${err.message}${offset === undefined ? '' : ` (at byte ${offset})`}`;
  }
  return err;
}
