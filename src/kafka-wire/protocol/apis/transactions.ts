import { defineMessage } from '../codec.js';
import { array, bool, int16, int32, int64, string } from '../schema.js';

/*
 * The producer side of transactions (KIP-98; KIP-890 part 2 in InitProducerId 5-6, AddPartitionsToTxn
 * 4-5, EndTxn 5). The proxy never produces; these declarations exist so that the recorded traffic
 * of transactional and idempotent producers (test/fixtures/kafka) decodes like every other frame.
 * Schemas: InitProducerId*.json, AddPartitionsToTxn*.json, EndTxn*.json of Kafka 3.9.2 and 4.4.0
 * (4.4.0 marks InitProducerId v6 latestVersionUnstable; its broker advertises 0-5). Defaults only
 * matter for fields absent at a version: -1 for an unknown producer id or epoch, false for flags,
 * as Kafka's generated classes use.
 */

/**
 * InitProducerId (key 22), versions 0-6, flexible from 2.
 *   TransactionalId nullable string, TransactionTimeoutMs int32, ProducerId int64 (3+),
 *   ProducerEpoch int16 (3+), Enable2Pc bool (6+), KeepPreparedTxn bool (6+)
 */
export const InitProducerIdRequest = defineMessage('InitProducerIdRequest', '0-6', '2+', {
  transactionalId: string('0+', { nullable: '0+' }),
  transactionTimeoutMs: int32('0+'),
  producerId: int64('3+', { default: -1n }),
  producerEpoch: int16('3+', { default: -1 }),
  enable2Pc: bool('6+', { default: false }),
  keepPreparedTxn: bool('6+', { default: false }),
});

/** ThrottleTimeMs int32, ErrorCode int16, ProducerId int64, ProducerEpoch int16, OngoingTxnProducerId int64 (6+), OngoingTxnProducerEpoch int16 (6+) */
export const InitProducerIdResponse = defineMessage('InitProducerIdResponse', '0-6', '2+', {
  throttleTimeMs: int32('0+'),
  errorCode: int16('0+'),
  producerId: int64('0+', { default: -1n }),
  producerEpoch: int16('0+'),
  ongoingTxnProducerId: int64('6+', { default: -1n }),
  ongoingTxnProducerEpoch: int16('6+', { default: -1 }),
});

/**
 * AddPartitionsToTxn (key 24), versions 0-5, flexible from 3; v4 batches transactions (KIP-890,
 * brokers verifying for each other), v0-3 carry one.
 *   Transactions [TransactionalId string, ProducerId int64, ProducerEpoch int16, VerifyOnly bool,
 *     Topics [Name string, Partitions [int32]]] (4+),
 *   V3AndBelowTransactionalId string, V3AndBelowProducerId int64, V3AndBelowProducerEpoch int16,
 *   V3AndBelowTopics [Name string, Partitions [int32]] (all 0-3)
 */
export const AddPartitionsToTxnRequest = defineMessage('AddPartitionsToTxnRequest', '0-5', '3+', {
  transactions: array('4+', {
    transactionalId: string('4+'),
    producerId: int64('4+'),
    producerEpoch: int16('4+'),
    verifyOnly: bool('4+', { default: false }),
    topics: array('4+', {
      name: string('4+'),
      partitions: array('4+', 'int32'),
    }),
  }),
  v3AndBelowTransactionalId: string('0-3'),
  v3AndBelowProducerId: int64('0-3'),
  v3AndBelowProducerEpoch: int16('0-3'),
  v3AndBelowTopics: array('0-3', {
    name: string('0-3'),
    partitions: array('0-3', 'int32'),
  }),
});

/**
 *   ThrottleTimeMs int32, ErrorCode int16 (4+),
 *   ResultsByTransaction [TransactionalId string, TopicResults [Name string,
 *     ResultsByPartition [PartitionIndex int32, PartitionErrorCode int16]]] (4+),
 *   ResultsByTopicV3AndBelow [Name string, ResultsByPartition [PartitionIndex int32, PartitionErrorCode int16]] (0-3)
 */
export const AddPartitionsToTxnResponse = defineMessage('AddPartitionsToTxnResponse', '0-5', '3+', {
  throttleTimeMs: int32('0+'),
  errorCode: int16('4+'),
  resultsByTransaction: array('4+', {
    transactionalId: string('4+'),
    topicResults: array('4+', {
      name: string('4+'),
      resultsByPartition: array('4+', {
        partitionIndex: int32('4+'),
        partitionErrorCode: int16('4+'),
      }),
    }),
  }),
  resultsByTopicV3AndBelow: array('0-3', {
    name: string('0-3'),
    resultsByPartition: array('0-3', {
      partitionIndex: int32('0-3'),
      partitionErrorCode: int16('0-3'),
    }),
  }),
});

/** EndTxn (key 26), versions 0-5, flexible from 3. TransactionalId string, ProducerId int64, ProducerEpoch int16, Committed bool */
export const EndTxnRequest = defineMessage('EndTxnRequest', '0-5', '3+', {
  transactionalId: string('0+'),
  producerId: int64('0+'),
  producerEpoch: int16('0+'),
  committed: bool('0+'),
});

/** ThrottleTimeMs int32, ErrorCode int16, ProducerId int64 (5+), ProducerEpoch int16 (5+; the epoch bumped at the end of each transaction, KIP-890) */
export const EndTxnResponse = defineMessage('EndTxnResponse', '0-5', '3+', {
  throttleTimeMs: int32('0+'),
  errorCode: int16('0+'),
  producerId: int64('5+', { default: -1n }),
  producerEpoch: int16('5+', { default: -1 }),
});
