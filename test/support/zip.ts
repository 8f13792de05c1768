import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/kafka-wire/primitives/crc.js';

/**
 * Reads entries of a zip file (a jar) with node:zlib, so tests need no unzip tool. Covers what
 * Maven Central's jars use: stored or deflated entries, no zip64, no encryption (APPNOTE.TXT 4.3).
 */
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/**
 * The entries whose name passes `want`, by name, uncompressed; each CRC-32 is verified.
 * @throws Error naming the file when it is not a zip this reader handles or an entry is corrupt.
 */
export function readZipEntries(file: string, want: (name: string) => boolean): Map<string, Buffer> {
  const zip = readFileSync(file);
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why}`);
  };
  // The end record is the last 22 bytes, unless a comment (up to 64 KiB) follows it.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end of central directory record: not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || at === 0xffffffff) fail('zip64 archives are not supported');
  const out = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) fail(`central directory entry ${n} not found at ${at}`);
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    if (!want(name)) continue;
    if ((flags & 1) !== 0) fail(`${name} is encrypted`);
    if (zip.readUInt32LE(local) !== LOCAL) fail(`${name}: no local header at ${local}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressedSize);
    let data: Buffer;
    if (method === STORED) data = raw;
    else if (method === DEFLATED) data = inflateRawSync(raw);
    else return fail(`${name}: compression method ${method} is not supported`);
    if (data.length !== size) fail(`${name}: ${data.length} bytes after inflating, the directory says ${size}`);
    if (crc32(data) !== crc) fail(`${name}: CRC-32 mismatch`);
    out.set(name, data);
  }
  return out;
}
