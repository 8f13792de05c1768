/**
 * Strict base64url for JWS segments (RFC 7515 §2: the URL-safe alphabet of RFC 4648 §5, no
 * padding, no line breaks or spaces). Node's Buffer.from(s, 'base64url') skips characters
 * outside the alphabet and accepts padding, so `abc=`, `a.b c` and `ab==c` would all decode:
 * every segment is checked here first. The bits left over in the last character must be zero
 * (RFC 4648 §3.5), so each byte string has exactly one encoding and a token cannot be altered
 * without changing its meaning.
 */

const VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) VALUE[c.charCodeAt(0)] = i;

/**
 * Decodes `text.slice(start, end)`, or returns undefined when it is not canonical unpadded
 * base64url (a character outside the alphabet, `=`, a length of 4n+1, non-zero trailing bits).
 */
export function decodeBase64url(text: string, start: number, end: number): Buffer | undefined {
  const length = end - start;
  if (length % 4 === 1) return undefined;
  let last = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    last = c < 128 ? (VALUE[c] as number) : -1;
    if (last < 0) return undefined;
  }
  // 2 characters carry 12 bits for 8, 3 carry 18 for 16: the last one's low 4 or 2 bits are spare.
  if (length % 4 === 2 && (last & 0x0f) !== 0) return undefined;
  if (length % 4 === 3 && (last & 0x03) !== 0) return undefined;
  return Buffer.from(text.slice(start, end), 'base64url');
}
