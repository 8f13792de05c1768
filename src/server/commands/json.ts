import { readRecords, type AbortedTransaction } from '../../kafka-wire/index.js';

export interface JsonOptions {
  /** Drop records of aborted transactions using the partition's abortedTransactions. */
  readCommitted?: boolean;
  /** Keep control records (transaction markers). */
  includeControl?: boolean;
  /** Leave records fields as base64 of the raw bytes instead of decoding them. */
  rawRecords?: boolean;
}

/**
 * Converts a decoded Kafka message to JSON-safe values: int64 (bigint) as decimal strings, bytes
 * as base64, records fields as arrays of records.
 */
export function toJson(value: unknown, opts: JsonOptions = {}): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map((v) => toJson(v, opts));
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (k === 'records' && !opts.rawRecords && (v === null || Buffer.isBuffer(v))) {
        out[k] = recordsToJson(v as Buffer | null, o.abortedTransactions as AbortedTransaction[] | null | undefined, opts);
      } else {
        out[k] = toJson(v, opts);
      }
    }
    return out;
  }
  return value;
}

function recordsToJson(buf: Buffer | null, aborted: AbortedTransaction[] | null | undefined, opts: JsonOptions): unknown[] {
  const { records } = readRecords(buf, {
    includeControl: opts.includeControl === true,
    ...(opts.readCommitted ? { abortedTransactions: aborted ?? [] } : {}),
  });
  return records.map((r) => r.toJSON());
}
