// "consume" and "partitions": the independent side of the producer's tests (test/kafka-wire/client/
// producer.kafka.test.ts). "consume" reads a whole topic with Kafka's own consumer and prints one
// JSON line per record (Json.jsonLine plus "}"), in partition then offset order; "partitions"
// prints, for each key given in hex, the partition Kafka's Java producer chooses for it among
// <count> partitions (BuiltInPartitioner.partitionForKey, what KafkaProducer.partition() calls for
// a record with a key and no partition).

import java.util.Collections;
import java.util.List;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;

final class ReadBack {
  private ReadBack() {}

  static int consume(String bootstrap, String topic) throws Exception {
    List<String> lines = Verify.consume(bootstrap, Collections.singleton(topic), "read_uncommitted").get(topic);
    StringBuilder out = new StringBuilder();
    if (lines != null) for (String l : lines) out.append(l).append("}\n");
    System.out.print(out);
    System.out.flush();
    return 0;
  }

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
