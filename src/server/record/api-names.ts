import { apiByKey } from '../../kafka-wire/index.js';

/**
 * Names of Kafka API keys our codec does not declare (org.apache.kafka.common.protocol.ApiKeys of
 * Kafka 4.4.0), only to label the fixture files and manifest entries of their frames, which are
 * recorded as raw bytes. Keys 4-7 (ZooKeeper-era inter-broker APIs) and the controller-only ones
 * never come from a client and are left out.
 */
const NAMES: Readonly<Record<number, string>> = {
  15: 'DescribeGroups', 16: 'ListGroups', 19: 'CreateTopics', 20: 'DeleteTopics', 21: 'DeleteRecords',
  23: 'OffsetForLeaderEpoch', 25: 'AddOffsetsToTxn', 28: 'TxnOffsetCommit', 29: 'DescribeAcls', 30: 'CreateAcls', 31: 'DeleteAcls', 32: 'DescribeConfigs',
  33: 'AlterConfigs', 35: 'DescribeLogDirs', 37: 'CreatePartitions', 42: 'DeleteGroups', 43: 'ElectLeaders',
  44: 'IncrementalAlterConfigs', 47: 'OffsetDelete', 60: 'DescribeCluster', 61: 'DescribeProducers',
  65: 'DescribeTransactions', 66: 'ListTransactions', 68: 'ConsumerGroupHeartbeat', 69: 'ConsumerGroupDescribe',
  71: 'GetTelemetrySubscriptions', 72: 'PushTelemetry', 75: 'DescribeTopicPartitions', 76: 'ShareGroupHeartbeat',
  77: 'ShareGroupDescribe', 78: 'ShareFetch', 79: 'ShareAcknowledge', 88: 'StreamsGroupHeartbeat',
};

/** The API's name (ours if we declare it), else Kafka's, else `Api<key>`. */
export function apiName(key: number): string {
  return apiByKey(key)?.name ?? NAMES[key] ?? `Api${key}`;
}
