/**
 * Where a JWKS comes from: a URL (Node's global fetch) or a file. A loader returns the document's
 * text and how long the source says it may be cached, or throws an Error whose message says what
 * went wrong without quoting the document; jwks.ts turns it into `jwks_unavailable`.
 */
import { open } from 'node:fs/promises';

export interface JwksDocument {
  readonly text: string;
  /** From the response's Cache-Control (max-age; 0 for no-store, no-cache); undefined when silent. */
  readonly maxAgeMs: number | undefined;
}

export type JwksLoader = () => Promise<JwksDocument>;

/** A problem a loader found itself (as opposed to one Node reported), passed on as it is. */
class JwksProblem extends Error {}

/** A JWKS of a few keys is a few KiB; a megabyte is no JWKS, and must not fill the heap. */
export const MAX_JWKS_BYTES = 1024 * 1024;

/**
 * GET `url` within `timeoutMs` (connect, headers and body together). Redirects are refused, not
 * followed: a redirect could lead to plain HTTP, and the URL to configure is the final one.
 */
export function urlLoader(url: URL, timeoutMs: number, fetchFn: typeof fetch = fetch): JwksLoader {
  return async () => {
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    try {
      const res = await fetchFn(url, { signal: abort.signal, redirect: 'manual', headers: { accept: 'application/jwk-set+json, application/json' } });
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new JwksProblem(`the JWKS URL answered HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (a redirect: configure the final URL)' : ''}`);
      }
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > MAX_JWKS_BYTES) {
        await res.body?.cancel();
        throw new JwksProblem(`the JWKS is larger than ${MAX_JWKS_BYTES} bytes`);
      }
      const text = await readCapped(res);
      return { text, maxAgeMs: maxAgeOf(res.headers.get('cache-control')) };
    } catch (err) {
      if (timedOut) throw new Error(`no JWKS from the URL within ${timeoutMs} ms`, { cause: err });
      if (err instanceof JwksProblem) throw err;
      throw new Error(`fetching the JWKS failed (${codeOf(err)})`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };
}

async function readCapped(res: Response): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_JWKS_BYTES) {
      await reader.cancel();
      throw new JwksProblem(`the JWKS is larger than ${MAX_JWKS_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Node's error code from fetch's `cause` (ECONNREFUSED, ENOTFOUND, a TLS code), else the error's name. */
function codeOf(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (typeof cause === 'object' && cause !== null && typeof (cause as { code?: unknown }).code === 'string') return (cause as { code: string }).code;
  return err instanceof Error ? err.name : 'unknown error';
}

/** max-age in ms from a Cache-Control value; no-store and no-cache mean 0. */
export function maxAgeOf(header: string | null): number | undefined {
  if (header === null) return undefined;
  let out: number | undefined;
  for (const part of header.split(',')) {
    const d = part.trim().toLowerCase();
    if (d === 'no-store' || d === 'no-cache') return 0;
    const m = /^max-age\s*=\s*"?(\d{1,10})"?$/.exec(d);
    if (m !== null) out = Number(m[1]) * 1000;
  }
  return out;
}

/** Reads the JWKS file at `path` (a regular file of at most MAX_JWKS_BYTES). */
export function fileLoader(path: string): JwksLoader {
  return async () => {
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(path, 'r');
      const st = await handle.stat();
      if (!st.isFile()) throw new JwksProblem('the JWKS file is not a regular file');
      if (st.size > MAX_JWKS_BYTES) throw new JwksProblem(`the JWKS file is larger than ${MAX_JWKS_BYTES} bytes`);
      return { text: await handle.readFile('utf8'), maxAgeMs: undefined };
    } catch (err) {
      if (err instanceof JwksProblem) throw err;
      const code = (err as { code?: unknown }).code;
      throw new Error(`reading the JWKS file failed (${typeof code === 'string' ? code : 'unknown error'})`, { cause: err });
    } finally {
      await handle?.close();
    }
  };
}
