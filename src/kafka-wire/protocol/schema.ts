/**
 * Our own declarations of Kafka message schemas, as data. A message is an ordered record of
 * fields (object key order = wire order); each field says in which versions it exists, in which
 * it may be null, and whether it is a tagged field (KIP-482). The TypeScript type of a decoded
 * message is derived from the declaration, so the codec and the types cannot drift apart.
 *
 * Field names are the camelCase of Kafka's JSON schema names.
 */

export type Scalar =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'bytes' | 'uuid' | 'records';

export interface FieldOptions {
  /** Versions in which null is allowed, e.g. '12+'. */
  readonly nullable?: string;
  /** Tagged field number; the field is tagged in all of its versions. */
  readonly tag?: number;
  /** Value assumed when the field is absent at a version, and not written when tagged. */
  readonly default?: unknown;
  /** RequestHeader.ClientId: a classic string even in flexible versions. */
  readonly neverCompact?: boolean;
}

export interface ScalarField extends FieldOptions {
  readonly type: Scalar;
  readonly versions: string;
}

export interface ArrayField extends FieldOptions {
  readonly type: 'array';
  readonly versions: string;
  readonly items: Scalar | Fields;
}

export interface StructField extends FieldOptions {
  readonly type: 'struct';
  readonly versions: string;
  readonly fields: Fields;
}

export type Field = ScalarField | ArrayField | StructField;
export type Fields = { readonly [name: string]: Field };

/** Bytes of a tagged field we do not know, kept so a re-encode is byte-identical. */
export interface UnknownTag {
  tag: number;
  data: Buffer;
}

type ScalarType<S extends Scalar> = S extends 'bool'
  ? boolean
  : S extends 'int64'
    ? bigint
    : S extends 'string' | 'uuid'
      ? string
      : S extends 'bytes' | 'records'
        ? Buffer
        : number;

type ItemsType<I> = I extends string ? ScalarType<I & Scalar> : I extends Fields ? Infer<I> : never;

// The element and struct types are read from phantom properties (`__items`, `__fields`) that exist
// only in the types: TypeScript intersects inferred field types with their constraint (ArrayField),
// which turns `items` into a union with every Scalar and would spoil inference from `items` itself.
type FieldType<F extends Field> = F extends { readonly type: 'array' }
  ? F extends { readonly __items?: infer I } ? ItemsType<I>[] : never
  : F extends { readonly type: 'struct' }
    ? F extends { readonly __fields?: infer S extends Fields } ? Infer<S> : never
    : F extends { readonly type: infer T extends Scalar }
      ? ScalarType<T>
      : never;

type WithNull<F extends Field, T> = F extends { readonly nullable: string } ? T | null : T;

/** The decoded (and encodable) shape of a message declared by `S`. */
export type Infer<S extends Fields> = {
  -readonly [K in keyof S]: WithNull<S[K], FieldType<S[K]>>;
} & { _unknownTags?: UnknownTag[] };

// Constructors keep the declarations short and keep literal types for inference.
function scalar<T extends Scalar>(type: T) {
  return <O extends FieldOptions = Record<never, never>>(versions: string, opts?: O) =>
    ({ type, versions, ...opts }) as { readonly type: T; readonly versions: string } & O;
}

export const bool = scalar('bool');
export const int8 = scalar('int8');
export const int16 = scalar('int16');
export const uint16 = scalar('uint16');
export const int32 = scalar('int32');
export const uint32 = scalar('uint32');
export const int64 = scalar('int64');
export const float64 = scalar('float64');
export const string = scalar('string');
export const bytes = scalar('bytes');
export const uuid = scalar('uuid');
export const records = scalar('records');

export function array<I extends Scalar | Fields, O extends FieldOptions = Record<never, never>>(
  versions: string,
  items: I,
  opts?: O,
) {
  return { type: 'array', versions, items, ...opts } as { readonly type: 'array'; readonly versions: string; readonly items: I; readonly __items?: I } & O;
}

export function struct<F extends Fields, O extends FieldOptions = Record<never, never>>(versions: string, fields: F, opts?: O) {
  return { type: 'struct', versions, fields, ...opts } as { readonly type: 'struct'; readonly versions: string; readonly fields: F; readonly __fields?: F } & O;
}

/** A version range as Kafka writes it: 'N', 'N-M', 'N+' or 'none'. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

const rangeCache = new Map<string, VersionRange>();

export function parseRange(s: string): VersionRange {
  let r = rangeCache.get(s);
  if (r !== undefined) return r;
  let m: RegExpMatchArray | null;
  if (s === 'none') r = { min: 1, max: 0 };
  else if ((m = /^(\d+)\+$/.exec(s))) r = { min: Number(m[1]), max: Infinity };
  else if ((m = /^(\d+)-(\d+)$/.exec(s))) r = { min: Number(m[1]), max: Number(m[2]) };
  else if ((m = /^(\d+)$/.exec(s))) r = { min: Number(m[1]), max: Number(m[1]) };
  else throw new Error(`bad version range ${JSON.stringify(s)}`);
  rangeCache.set(s, r);
  return r;
}

export function inRange(version: number, s: string | undefined): boolean {
  if (s === undefined) return false;
  const r = parseRange(s);
  return version >= r.min && version <= r.max;
}
