/**
 * Errors across the IPC channel. The admin API answers by the class of a route store error
 * (400, 404, 503) and quotes its message, so a write committed by the primary must fail in the
 * worker with the same class, code and message it would have had in one process.
 */
import {
  ProxyError, RouteConflictError, RouteNotFoundError, RouteReadOnlyError, RouteStoreError, RouteValidationError,
} from '../errors.js';

export interface WireError {
  name: string;
  message: string;
  code?: string;
  /** RouteValidationError's field, RouteReadOnlyError's and RouteNotFoundError's id, RouteConflictError's otherId. */
  detail?: string;
}

export function errorToWire(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const code = (e as { code?: unknown }).code;
  const out: WireError = { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
  if (e instanceof RouteValidationError) out.detail = e.field;
  else if (e instanceof RouteReadOnlyError || e instanceof RouteNotFoundError) out.detail = e.id;
  else if (e instanceof RouteConflictError) out.detail = e.otherId;
  return out;
}

/** The error `errorToWire` described: a store error's own class, else a ProxyError or an Error. */
export function errorFromWire(w: WireError): Error {
  const detail = w.detail ?? '';
  let e: Error;
  switch (w.name) {
    case 'RouteValidationError':
      e = new RouteValidationError(detail, '');
      break;
    case 'RouteReadOnlyError':
      e = new RouteReadOnlyError(detail);
      break;
    case 'RouteNotFoundError':
      e = new RouteNotFoundError(detail);
      break;
    case 'RouteConflictError':
      e = new RouteConflictError(detail);
      break;
    case 'RouteStoreError':
      e = new RouteStoreError(w.message);
      break;
    default:
      e = w.code !== undefined ? new ProxyError(w.code, w.message) : new Error(w.message);
      if (w.code === undefined) e.name = w.name;
  }
  e.message = w.message;
  return e;
}
