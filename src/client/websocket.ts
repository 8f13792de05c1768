/**
 * The part of the WHATWG WebSocket the client uses. Browsers' `WebSocket`, Node 22's global one
 * and the `ws` package's class all fit.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: (event: unknown) => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

// readyState values of the WebSocket standard.
export const WS_OPEN = 1;
export const WS_CLOSED = 3;

/** A reason from a WebSocket error event, when the implementation gives one (`ws` does, browsers do not). */
export function errorEventMessage(event: unknown): string {
  if (typeof event === 'object' && event !== null) {
    const m = (event as { message?: unknown; error?: unknown }).message;
    if (typeof m === 'string' && m !== '') return m;
  }
  return '';
}

/** Whether `data` is an ArrayBuffer, also one from another realm (where instanceof fails). */
export function isArrayBuffer(data: unknown): data is ArrayBuffer {
  return data instanceof ArrayBuffer || Object.prototype.toString.call(data) === '[object ArrayBuffer]';
}
