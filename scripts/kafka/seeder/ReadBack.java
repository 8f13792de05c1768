// "partitions": an independent side of the producer's tests (test/kafka-wire/client/
// producer.kafka.test.ts; they read topics back with "dump"). It prints, for each key given in
// hex, the partition Kafka's Java producer chooses for it among <count> partitions (BuiltInPartitioner.partitionForKey, what KafkaProducer.partition() calls for
// a record with a key and no partition).

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;

final class ReadBack {
  private ReadBack() {}

  static int partitions(int count, String[] hexKeys) {
    StringBuilder out = new StringBuilder();
    for (String hex : hexKeys) {
      byte[] key = new byte[hex.length() / 2];
      for (int i = 0; i < key.length; i++) key[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
      out.append(BuiltInPartitioner.partitionForKey(key, count)).append('\n');
    }
    System.out.print(out);
    System.out.flush();
    return 0;
  }
}
