import type { ReadRecord } from '../harness/kafka.js';
import type { DecodedResp } from './pubsub-proto.js';

/*
 * Produce commands as an APISIX-style client writes them (protobufjs field names), and their
 * replies as data, for the tests that produce through a real proxy. What the topic holds is
 * always checked with Kafka's own Java consumer (readTopic), never with this.
 */

export interface OutRecord {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: Array<{ key: string; value: Buffer | null }>;
  timestamp?: bigint;
}

export type Outcome = { partition: number; offset: bigint; timestamp: bigint; error?: undefined } | { partition: number; error: string };

/** The body of a PubSubReq carrying CmdProduce (without sequence). Null keys and values are left out (absent = null). */
export function produceBody(topic: string, records: readonly OutRecord[], opts: { partition?: number; key?: string } = {}): Record<string, unknown> {
  return {
    cmdProduce: {
      topic,
      records: records.map((r) => ({
        ...(r.key !== undefined && r.key !== null ? { key: r.key } : {}),
        ...(r.value !== undefined && r.value !== null ? { value: r.value } : {}),
        headers: (r.headers ?? []).map((h) => ({ key: h.key, ...(h.value !== null ? { value: h.value } : {}) })),
        ...(r.timestamp !== undefined ? { timestamp: String(r.timestamp) } : {}),
      })),
      ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
      ...(opts.key !== undefined ? { idempotencyKey: opts.key } : {}),
    },
  };
}

/** The outcomes of a produce reply; throws on an error reply, naming its text. */
export function outcomesOf(r: DecodedResp): Outcome[] {
  if (r.produceResp === undefined) throw new Error(`expected a produce reply, got ${JSON.stringify(r)}`);
  return (r.produceResp.records ?? []).map((x) => (x.error !== undefined && x.error !== ''
    ? { partition: x.partition ?? 0, error: x.error }
    : { partition: x.partition ?? 0, offset: BigInt(x.offset ?? '0'), timestamp: BigInt(x.timestamp ?? '0') }));
}

/** "partition/offset" of a record read back. */
export const at = (r: { partition: number; offset: bigint }) => `${r.partition}/${r.offset}`;

/**
 * Every acknowledged record (outcome without error and with an offset) is in `read` exactly once,
 * at its partition and offset, with its value; nothing is in `read` twice; and nothing is in it
 * that was never sent (`sentValues`). Values identify records.
 */
export function assertAckedOnce(read: readonly ReadRecord[], acked: ReadonlyArray<{ value: string; partition: number; offset: bigint }>, sentValues: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const byValue = new Map<string, ReadRecord[]>();
  for (const r of read) {
    const v = r.value?.toString('utf8') ?? '<null>';
    byValue.set(v, [...(byValue.get(v) ?? []), r]);
  }
  for (const [v, list] of byValue) {
    if (list.length > 1) problems.push(`${v} is in the topic ${list.length} times (${list.map(at).join(', ')})`);
    if (!sentValues.has(v)) problems.push(`${v} is in the topic but was never sent`);
  }
  for (const a of acked) {
    const got = byValue.get(a.value);
    if (got === undefined) problems.push(`acknowledged ${a.value} (${at(a)}) is missing`);
    else if (a.offset >= 0n && at(got[0]!) !== at(a)) problems.push(`acknowledged ${a.value} at ${at(a)} is at ${at(got[0]!)}`);
  }
  return problems;
}
