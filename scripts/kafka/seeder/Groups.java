// Consumer-group modes: "committed" reads a group's committed offsets with the Java Admin client,
// the independent reader behind our OffsetCommit tests; "member" keeps a Java KafkaConsumer in a
// group (classic protocol, or KIP-848's consumer protocol on 4.x) so a test has a live group.

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

final class Groups {
  private Groups() {}

  /**
   * Prints one JSON line per committed partition of the group, in topic then partition order:
   * {"topic":"t","partition":0,"offset":"42","leaderEpoch":3,"metadata":"m"} (leaderEpoch null
   * when none was committed). A group without offsets prints nothing.
   */
  static int committed(String bootstrap, String group) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets;
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
      offsets = admin.listConsumerGroupOffsets(group, new ListConsumerGroupOffsetsOptions().requireStable(true))
          .partitionsToOffsetAndMetadata().get();
    }
    List<TopicPartition> tps = new ArrayList<>(offsets.keySet());
    tps.sort((a, b) -> a.topic().equals(b.topic()) ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
    StringBuilder out = new StringBuilder();
    for (TopicPartition tp : tps) {
      OffsetAndMetadata om = offsets.get(tp);
      // Admin maps a partition without a committed offset to null.
      if (om == null) continue;
      out.append("{\"topic\":").append(Json.jsonString(tp.topic()))
          .append(",\"partition\":").append(tp.partition())
          .append(",\"offset\":\"").append(om.offset()).append('"')
          .append(",\"leaderEpoch\":").append(om.leaderEpoch().map(String::valueOf).orElse("null"))
          .append(",\"metadata\":").append(Json.jsonString(om.metadata()))
          .append("}\n");
    }
    System.out.print(out);
    System.out.flush();
    return 0;
  }

  /**
   * Subscribes a KafkaConsumer of `group` to `topic` with group.protocol `protocol` (classic or
   * consumer) and polls for `seconds`, or until stdin ends (the test that started it went away),
   * then closes it, which leaves the group. Prints "assigned <partitions>" once it owns partitions:
   * from then on the group has an active member. Commits nothing itself.
   */
  static int member(String bootstrap, String group, String topic, String protocol, long seconds) throws Exception {
    if (!protocol.equals("classic") && !protocol.equals("consumer")) {
      System.err.println("seeder: member: protocol must be classic or consumer, not " + protocol);
      return 2;
    }
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "kwp-seeder-member");
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      AtomicBoolean stdinEnded = new AtomicBoolean();
      Thread watch = new Thread(() -> {
        try {
          InputStream in = System.in;
          while (in.read() >= 0) { /* only its end matters */ }
        } catch (Exception e) {
          // A broken stdin counts as its end.
        }
        stdinEnded.set(true);
        c.wakeup();
      });
      watch.setDaemon(true);
      watch.start();
      boolean[] announced = {false};
      c.subscribe(Collections.singletonList(topic), new ConsumerRebalanceListener() {
        @Override public void onPartitionsRevoked(Collection<TopicPartition> parts) {}
        @Override public void onPartitionsAssigned(Collection<TopicPartition> parts) {
          if (announced[0] || parts.isEmpty()) return;
          announced[0] = true;
          System.out.println("assigned " + parts);
          System.out.flush();
        }
      });
      long deadline = System.currentTimeMillis() + seconds * 1000;
      try {
        while (!stdinEnded.get() && System.currentTimeMillis() < deadline) c.poll(Duration.ofMillis(100));
      } catch (WakeupException e) {
        // stdin ended: close() below still leaves the group.
      }
    }
    return 0;
  }
}
