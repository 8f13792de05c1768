import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterRetries, GroupCoordinators, groupRetry } from '../../../src/kafka-wire/client/group-coordinator.js';
import { groupError } from '../../../src/kafka-wire/client/group-offsets.js';
import { kafkaErrorOf } from '../../../src/kafka-wire/protocol/frame.js';
import {
  ActiveGroupError, CoordinatorUnavailableError, ErrorCode, GroupAuthorizationError, GroupOffsets, InvalidGroupIdError, InvalidOffsetError,
  KafkaClient, KafkaClientClosedError, KafkaConnectionError, type KafkaProtocolError, NoBrokerError, RetriesExhaustedError,
  type OffsetToCommit,
} from '../../../src/kafka-wire/index.js';

/**
 * The pure parts of GroupOffsets: what a failure calls for, which typed error Kafka's answers
 * become, the arguments refused before any request, and the client's retry loop they run in.
 * The requests themselves are tested against real brokers (group-offsets.kafka.test.ts).
 */
const commitError = (code: number): KafkaProtocolError => kafkaErrorOf('OffsetCommit', 9, code, 't-0');
const closed = new KafkaConnectionError('KWIRE_ERR_CONNECTION_CLOSED', '127.0.0.1:9092', 'closed');
const tls = new KafkaConnectionError('KWIRE_ERR_TLS', '127.0.0.1:9092', 'untrusted');

test('groupRetry: coordinator errors and a failed coordinator connection rediscover; other retriable errors retry; the rest fail', () => {
  assert.equal(groupRetry(commitError(ErrorCode.NOT_COORDINATOR)), 'rediscover');
  assert.equal(groupRetry(commitError(ErrorCode.COORDINATOR_NOT_AVAILABLE)), 'rediscover');
  assert.equal(groupRetry(commitError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)), 'rediscover');
  assert.equal(groupRetry(kafkaErrorOf('FindCoordinator', 6, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'group "g"')), 'rediscover');
  assert.equal(groupRetry(closed), 'rediscover');
  assert.equal(groupRetry(new NoBrokerError([closed])), 'retry');
  assert.equal(groupRetry(kafkaErrorOf('OffsetFetch', 9, ErrorCode.UNSTABLE_OFFSET_COMMIT, 't-0')), 'retry');
  assert.equal(groupRetry(commitError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)), 'retry');
  assert.equal(groupRetry(commitError(ErrorCode.UNKNOWN_MEMBER_ID)), 'fail');
  assert.equal(groupRetry(commitError(ErrorCode.GROUP_AUTHORIZATION_FAILED)), 'fail');
  assert.equal(groupRetry(commitError(ErrorCode.OFFSET_METADATA_TOO_LARGE)), 'fail');
  assert.equal(groupRetry(tls), 'fail');
  assert.equal(groupRetry(new NoBrokerError([tls])), 'fail');
  assert.equal(groupRetry(new Error('a bug')), 'fail');
});

test('afterRetries: retries that ended on a coordinator error become CoordinatorUnavailableError; others stay', () => {
  const last = commitError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  const e = afterRetries('orders', new RetriesExhaustedError('OffsetCommit group "orders"', 6, last));
  assert.ok(e instanceof CoordinatorUnavailableError);
  assert.equal(e.code, 'KWIRE_ERR_COORDINATOR_UNAVAILABLE');
  assert.equal(e.attempts, 6);
  assert.equal(e.groupId, 'orders');
  assert.equal(e.cause, last);
  assert.match(e.message, /"orders" after 6 attempts \(last: COORDINATOR_LOAD_IN_PROGRESS\)/);
  const network = new RetriesExhaustedError('OffsetCommit group "orders"', 6, closed);
  assert.equal(afterRetries('orders', network), network);
  const other = commitError(ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(afterRetries('orders', other), other);
});

test('groupError: authorization and, for commits, the answers to a group with members become typed errors', () => {
  const auth = groupError('g', commitError(ErrorCode.GROUP_AUTHORIZATION_FAILED), true);
  assert.ok(auth instanceof GroupAuthorizationError);
  assert.equal(auth.code, 'KWIRE_ERR_GROUP_AUTHORIZATION');
  assert.ok(groupError('g', kafkaErrorOf('OffsetFetch', 9, ErrorCode.GROUP_AUTHORIZATION_FAILED, 'group "g"'), false) instanceof GroupAuthorizationError);
  for (const code of [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.STALE_MEMBER_EPOCH, ErrorCode.REBALANCE_IN_PROGRESS]) {
    const e = groupError('live-app', commitError(code), true);
    assert.ok(e instanceof ActiveGroupError, `code ${code}`);
    assert.equal(e.code, 'KWIRE_ERR_GROUP_ACTIVE');
    assert.equal((e.cause as KafkaProtocolError).errorCode, code);
  }
  // Not for a fetch, and not for other errors: those stay Kafka's error.
  assert.ok(!(groupError('g', kafkaErrorOf('OffsetFetch', 9, ErrorCode.UNKNOWN_MEMBER_ID, 'g'), false) instanceof ActiveGroupError));
  const denied = commitError(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  assert.equal(groupError('g', denied, true), denied);
});

test('arguments Kafka must not see are refused before any request', async () => {
  // Nothing listens on port 1: a request would fail with a connection error, not these.
  const client = new KafkaClient({ brokers: ['127.0.0.1:1'], retries: 0 });
  const offsets = new GroupOffsets(client);
  const ok: OffsetToCommit = { topic: 't', partition: 0, offset: 1n };
  const refused = async (p: Promise<unknown>, type: new (...a: never[]) => Error, message: RegExp): Promise<void> => {
    await assert.rejects(p, (e: unknown) => e instanceof type && message.test((e as Error).message));
  };
  await refused(offsets.commit('', [ok]), InvalidGroupIdError, /group id "" is invalid: it is empty/);
  await refused(offsets.fetch('', 't'), InvalidGroupIdError, /empty/);
  await refused(offsets.commit('é'.repeat(16_384), [ok]), InvalidGroupIdError, /longer than 32767 bytes/);
  await refused(offsets.commit('g', [{ ...ok, offset: -1n }]), InvalidOffsetError, /t-0: offset -1 is not a bigint/);
  await refused(offsets.commit('g', [{ ...ok, offset: 2n ** 63n }]), InvalidOffsetError, /offset 9223372036854775808/);
  await refused(offsets.commit('g', [{ ...ok, offset: 5 as unknown as bigint }]), InvalidOffsetError, /offset 5 is not a bigint/);
  await refused(offsets.commit('g', [{ ...ok, leaderEpoch: -2 }]), InvalidOffsetError, /leader epoch -2/);
  await refused(offsets.commit('g', [{ ...ok, leaderEpoch: 1.5 }]), InvalidOffsetError, /leader epoch 1.5/);
  await refused(offsets.commit('g', [ok, { ...ok, offset: 2n }]), InvalidOffsetError, /t-0 is listed twice/);
  // Nothing to do is done without a request too.
  await offsets.commit('g', []);
  assert.deepEqual(await offsets.fetch('g', 't', []), []);
  assert.equal(client.stats.metadataRequests, 0);
  assert.equal(offsets.coordinators.lookups, 0);
  assert.deepEqual(await client.openConnections(), []);
  client.close();
});

test('GroupCoordinators refuses a cache size that cannot work', () => {
  const client = new KafkaClient({ brokers: ['127.0.0.1:1'] });
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new GroupCoordinators(client, bad), { code: 'KWIRE_ERR_CONFIG' });
  client.close();
});

test('KafkaClient.withRetries: retriable failures are retried with onRetry before each backoff, then it succeeds', async () => {
  const client = new KafkaClient({ brokers: ['127.0.0.1:1'], retries: 3, retryBackoffMs: 1 });
  const seen: unknown[] = [];
  let calls = 0;
  const failure = commitError(ErrorCode.NOT_COORDINATOR);
  const got = await client.withRetries('op', async () => {
    if (++calls <= 2) throw failure;
    return 'done';
  }, (e) => seen.push(e));
  assert.equal(got, 'done');
  assert.equal(calls, 3);
  assert.deepEqual(seen, [failure, failure]);
  assert.equal(client.stats.retries, 2);
  client.close();
});

test('KafkaClient.withRetries: gives up after `retries` retries, and at once on a non-retriable error', async () => {
  const client = new KafkaClient({ brokers: ['127.0.0.1:1'], retries: 2, retryBackoffMs: 1 });
  let calls = 0;
  const e = await client.withRetries('OffsetCommit group "g"', async () => {
    calls++;
    throw commitError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }, () => {}).catch((x: unknown) => x);
  assert.ok(e instanceof RetriesExhaustedError);
  assert.equal(e.attempts, 3);
  assert.equal(calls, 3);
  assert.match(e.message, /^OffsetCommit group "g" failed after 3 attempts/);
  calls = 0;
  const fatal = commitError(ErrorCode.UNKNOWN_MEMBER_ID);
  await assert.rejects(client.withRetries('op', async () => {
    calls++;
    throw fatal;
  }, () => assert.fail('no retry for a non-retriable error')), (x: unknown) => x === fatal);
  assert.equal(calls, 1);
  client.close();
});

test('KafkaClient.withRetries: close() during a backoff ends it with KafkaClientClosedError', async () => {
  const client = new KafkaClient({ brokers: ['127.0.0.1:1'], retries: 5, retryBackoffMs: 60_000, retryBackoffMaxMs: 60_000 });
  const started = Date.now();
  const p = client.withRetries('op', async () => {
    throw closed;
  }, () => setImmediate(() => client.close()));
  await assert.rejects(p, KafkaClientClosedError);
  assert.ok(Date.now() - started < 5_000, 'the 60 s backoff was cut short');
});
