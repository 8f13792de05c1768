import { crc32 } from '../primitives/crc.js';
import { RecordBatch, type DecodeOptions } from './batch.js';
import { decompress } from './codecs/index.js';
import { CorruptRecordsError, CrcMismatchError } from './errors.js';
import { KafkaRecord } from './record.js';

/**
 * Legacy message sets, magic 0 (before Kafka 0.10) and magic 1 (0.10.x):
 *   offset int64, messageSize int32, crc uint32 (CRC-32 IEEE of magic..value), magic int8,
 *   attributes int8 (bits 0-2 codec, bit 3 LogAppendTime in magic 1), timestamp int64 (magic 1),
 *   key nullable bytes (int32 length), value nullable bytes (int32 length)
 * A compressed message ("wrapper") holds a whole inner message set in its value.
 */
const LOG_OVERHEAD = 12;
const MIN_MESSAGE_SIZE = [14, 22] as const;
const LZ4 = 3;
const ZSTD = 4;

/** Decodes the legacy entry at buf[start, start + 12 + size) into one batch (several records if it is a wrapper). */
export function decodeLegacyEntry(buf: Buffer, start: number, opts: DecodeOptions | undefined): RecordBatch {
  const m = readMessage(buf, start, buf.length, opts);
  if (m.codec === 0) {
    const batch = legacyBatch(m, m.offset, 1);
    batch.records.push(legacyRecord(batch, buf, m, 0, m.timestamp));
    return batch;
  }
  if (m.codec === ZSTD) throw new CorruptRecordsError('zstd is not valid in a legacy message', start, m.offset);
  if (m.valueLength < 0) throw new CorruptRecordsError('compressed wrapper message has a null value', start, m.offset);
  // Kafka wrote a wrong LZ4 header checksum for magic 0 and ignores it on read (KIP-57).
  const inner = decompress(m.codec, buf.subarray(m.valueStart, m.valueStart + m.valueLength), {
    maxOutputBytes: opts?.maxDecompressedBytes,
    lz4HeaderChecksum: m.codec === LZ4 && m.magic === 0 ? 'ignore' : 'strict',
  });
  const messages: Message[] = [];
  for (let p = 0; p < inner.length;) {
    if (inner.length - p < LOG_OVERHEAD) throw new CorruptRecordsError('truncated message inside a wrapper', start, m.offset);
    const im = readMessage(inner, p, inner.length, opts);
    if (im.codec !== 0) throw new CorruptRecordsError('nested compression inside a wrapper message', start, m.offset);
    if (im.magic !== m.magic) throw new CorruptRecordsError(`inner magic ${im.magic} differs from wrapper magic ${m.magic}`, start, m.offset);
    messages.push(im);
    p = im.end;
  }
  if (messages.length === 0) throw new CorruptRecordsError('empty wrapper message', start, m.offset);
  const last = messages[messages.length - 1]!;
  // Magic 1 inner offsets are relative (KIP-31): absolute = wrapper - lastInner + inner; a wrapper
  // offset of 0 (some old librdkafka producers) means the inner offsets are used as they are.
  const shift = m.magic === 1 && m.offset !== 0n ? m.offset - last.offset : 0n;
  const base = messages[0]!.offset + shift;
  const batch = legacyBatch(m, base, messages.length, Number(last.offset + shift - base));
  const logAppend = m.magic === 1 && (m.attributes & 0x08) !== 0;
  for (const im of messages) {
    const offsetDelta = Number(im.offset + shift - base);
    batch.records.push(legacyRecord(batch, inner, im, offsetDelta, logAppend ? m.timestamp : im.timestamp));
  }
  return batch;
}

interface Message {
  offset: bigint;
  magic: number;
  crc: number;
  attributes: number;
  codec: number;
  timestamp: bigint;
  keyStart: number;
  keyLength: number;
  valueStart: number;
  valueLength: number;
  size: number;
  end: number;
}

function readMessage(buf: Buffer, start: number, limit: number, opts: DecodeOptions | undefined): Message {
  const offset = buf.readBigInt64BE(start);
  const size = buf.readInt32BE(start + 8);
  const end = start + LOG_OVERHEAD + size;
  if (size < MIN_MESSAGE_SIZE[0] || end > limit) throw new CorruptRecordsError(`bad legacy message size ${size}`, start, offset);
  const crc = buf.readUInt32BE(start + 12);
  const magic = buf[start + 16]!;
  if (magic > 1) throw new CorruptRecordsError(`magic ${magic} inside a legacy message set`, start, offset);
  if (size < MIN_MESSAGE_SIZE[magic]!) throw new CorruptRecordsError(`legacy message of ${size} bytes is too small for magic ${magic}`, start, offset);
  if (opts?.verifyCrc !== false) {
    const actual = crc32(buf, start + 16, end);
    if (actual !== crc) throw new CrcMismatchError(offset, crc, actual);
  }
  const attributes = buf[start + 17]!;
  let p = start + 18;
  const timestamp = magic === 1 ? buf.readBigInt64BE(p) : -1n;
  if (magic === 1) p += 8;
  const keyLength = buf.readInt32BE(p);
  const keyStart = p + 4;
  if (keyLength < -1 || keyStart + Math.max(keyLength, 0) + 4 > end) throw new CorruptRecordsError(`bad legacy key length ${keyLength}`, start, offset);
  p = keyStart + Math.max(keyLength, 0);
  const valueLength = buf.readInt32BE(p);
  const valueStart = p + 4;
  if (valueLength < -1 || valueStart + Math.max(valueLength, 0) !== end) throw new CorruptRecordsError(`bad legacy value length ${valueLength}`, start, offset);
  return { offset, magic, crc, attributes, codec: attributes & 0x07, timestamp, keyStart, keyLength, valueStart, valueLength, size, end };
}

function legacyBatch(m: Message, base: bigint, count: number, lastOffsetDelta = 0): RecordBatch {
  // Timestamps of legacy records are carried whole in timestampDelta with a base of 0.
  return new RecordBatch(base, m.size, -1, m.magic, m.crc, m.attributes, lastOffsetDelta, 0n, m.timestamp, -1n, -1, -1, count);
}

function legacyRecord(batch: RecordBatch, buf: Buffer, m: Message, offsetDelta: number, timestamp: bigint): KafkaRecord {
  const ts = timestamp >= BigInt(Number.MIN_SAFE_INTEGER) && timestamp <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(timestamp) : timestamp;
  return new KafkaRecord(batch, buf, offsetDelta, ts, m.keyStart, m.keyLength, m.valueStart, m.valueLength, m.end, 0, m.end);
}
