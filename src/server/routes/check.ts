/**
 * Small typed readers for validating JSON route bodies. Each takes the value and its JSON path
 * and either returns the value typed or throws a RouteValidationError naming that path.
 */
import { RouteValidationError } from '../errors.js';
import { isPlainName } from '../json-input.js';

export type JsonObject = Record<string, unknown>;

/** `parent.key`, or `parent["k:9092"]` when the key is not a plain name, or `parent[3]`. */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * fieldPath for a key the user chose (an unknown field, a label, a node address, a plugin name):
 * the key when it is a plain name (json-input.ts isPlainName), else its position among the
 * object's keys, `labels (key #2)`, so a secret pasted as a key never reaches a reply or a log.
 */
export function keyPath(parent: string, key: string, position: number): string {
  if (isPlainName(key)) return fieldPath(parent, key);
  return `${parent === '' ? '' : `${parent} `}(key #${position + 1})`;
}

/** Throws a RouteValidationError. `problem` must not quote the value: it may be a misplaced secret. */
export function fail(field: string, problem: string): never {
  throw new RouteValidationError(field, problem);
}

/** JSON type name as people say it: null, array, object, string, number, boolean. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function expected(field: string, what: string, v: unknown): never {
  return fail(field, `expected ${what}, got ${typeName(v)}`);
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function object(v: unknown, field: string): JsonObject {
  if (!isObject(v)) expected(field, 'object', v);
  return v;
}

/** Rejects any key of `obj` not in `allowed`, naming the first one (keyPath). */
export function onlyKeys(obj: JsonObject, field: string, allowed: readonly string[]): void {
  for (const [i, k] of Object.keys(obj).entries()) {
    if (!allowed.includes(k)) {
      const at = keyPath(field, k, i);
      throw new RouteValidationError(at, 'unknown field', `unknown field ${at}`);
    }
  }
}

export function required(obj: JsonObject, field: string, key: string): unknown {
  const v = obj[key];
  if (v === undefined) fail(fieldPath(field, key), 'required');
  return v;
}

export function string(v: unknown, field: string, limits: { min?: number; max?: number } = {}): string {
  if (typeof v !== 'string') expected(field, 'string', v);
  if (limits.min !== undefined && v.length < limits.min) fail(field, limits.min === 1 ? 'must not be empty' : `must be at least ${limits.min} characters`);
  if (limits.max !== undefined && v.length > limits.max) fail(field, `must be at most ${limits.max} characters`);
  return v;
}

export function boolean(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') expected(field, 'boolean', v);
  return v;
}

export function integer(v: unknown, field: string, min?: number, max?: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) expected(field, 'integer', v);
  if (min !== undefined && v < min) fail(field, max === undefined ? `must be >= ${min}` : `must be between ${min} and ${max}`);
  if (max !== undefined && v > max) fail(field, min === undefined ? `must be <= ${max}` : `must be between ${min} and ${max}`);
  return v;
}

/** A finite number strictly greater than zero (APISIX's timeouts). */
export function positive(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) expected(field, 'number', v);
  if (v <= 0) fail(field, 'must be > 0');
  return v;
}

export function oneOf<T extends string | number>(v: unknown, field: string, values: readonly T[]): T {
  if (!values.includes(v as T)) {
    const list = values.map((x) => JSON.stringify(x)).join(', ');
    if (typeof v !== typeof values[0]) expected(field, `one of ${list}`, v);
    fail(field, `expected one of ${list}`);
  }
  return v as T;
}
