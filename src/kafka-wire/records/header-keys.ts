/**
 * Header keys as strings, without decoding the same few keys again for every record.
 *
 * Producers use a handful of header keys (`traceparent`, `content-type`, ...) on every record.
 * Decoding one with `buf.toString('utf8', a, b)` costs more than the rest of a header; comparing
 * its bytes with the string returned last time costs a fraction of that and allocates nothing
 * (BENCHMARKS.md, "Record decoding", "What changed", 6.). It also keeps `Buffer#toString` out of
 * the steady state: that shared function is where the header input sometimes ran much slower for
 * a whole benchmark run (BENCHMARKS.md, "Two modes on the header input").
 *
 * The cache is direct-mapped and holds only short ASCII keys, for which bytes and UTF-16 code units
 * are the same numbers, so equal code units mean equal bytes. A collision just replaces the entry.
 */
const SLOTS = 64;
const MAX_CACHED_LENGTH = 64;
const cache: Array<string | null> = new Array<string | null>(SLOTS).fill(null);

/** The UTF-8 string in buf[start, start + length). */
export function headerKey(buf: Buffer, start: number, length: number): string {
  if (length === 0) return '';
  if (length > MAX_CACHED_LENGTH) return buf.toString('utf8', start, start + length);
  const slot = (length * 31 + buf[start]! * 7 + buf[start + length - 1]!) & (SLOTS - 1);
  const hit = cache[slot];
  if (hit !== null && hit !== undefined && hit.length === length) {
    let i = 0;
    while (i < length && hit.charCodeAt(i) === buf[start + i]) i++;
    if (i === length) return hit;
  }
  const key = buf.toString('utf8', start, start + length);
  if (isAscii(buf, start, start + length)) cache[slot] = key;
  return key;
}

function isAscii(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return false;
  return true;
}
