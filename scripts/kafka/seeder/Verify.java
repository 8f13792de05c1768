// "verify": reads every seeded topic back with Kafka's own consumer, read_uncommitted and
// read_committed, and compares each record with <expectedDir>/ (written by "seed").

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

final class Verify {
  private Verify() {}

  static int verify(String bootstrap, Path expectedDir) throws Exception {
    List<String> failures = new ArrayList<>();
    Map<String, List<String>> all = new java.util.TreeMap<>();
    Map<String, List<String>> committed = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> s = Files.list(expectedDir)) {
      for (Path f : (Iterable<Path>) s.sorted()::iterator) {
        String file = f.getFileName().toString();
        if (!file.endsWith(".jsonl")) continue;
        String topic = file.substring(0, file.length() - ".jsonl".length());
        List<String> a = new ArrayList<>();
        List<String> c = new ArrayList<>();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          String body = line.substring(0, line.indexOf(",\"aborted\":"));
          a.add(body);
          if (line.contains("\"committed\":true")) c.add(body);
        }
        all.put(topic, a);
        committed.put(topic, c);
      }
    }
    if (all.isEmpty()) throw new IllegalStateException("no expected/*.jsonl in " + expectedDir);
    boolean big = Files.exists(expectedDir.resolve("big.json"));
    Set<String> topics = new TreeSet<>(all.keySet());
    if (big) topics.add("big");

    Map<String, List<String>> gotAll = consume(bootstrap, topics, "read_uncommitted");
    Map<String, List<String>> gotCommitted = consume(bootstrap, all.keySet(), "read_committed");
    long checked = 0;
    for (String topic : all.keySet()) {
      compare(failures, topic + " (read_uncommitted)", all.get(topic), gotAll.get(topic));
      compare(failures, topic + " (read_committed)", committed.get(topic), gotCommitted.get(topic));
      checked += all.get(topic).size();
    }
    if (big) {
      List<String> got = gotAll.get("big");
      if (got.size() != Seeding.BIG_COUNT) failures.add("big: " + got.size() + " records, expected " + Seeding.BIG_COUNT);
      for (int i = 0; i < got.size() && i < Seeding.BIG_COUNT; i++) {
        String want = Json.jsonLine(0, i, Seeding.TIMESTAMP_BASE + i, null, Rec.utf8(String.format("big-%06d", i)),
            Collections.emptyList());
        if (!want.equals(got.get(i))) {
          failures.add("big: offset " + i + ": got " + got.get(i));
          break;
        }
      }
      checked += got.size();
    }
    if (!failures.isEmpty()) {
      for (String x : failures) System.err.println("seeder: verify: " + x);
      return 1;
    }
    System.out.println("verified " + checked + " records in " + topics.size() + " topics");
    return 0;
  }

  /**
   * "dump": prints every record of every partition of one topic as read by Kafka's own consumer
   * (from the log start to the end offsets at the start), one JSON object per line, in partition
   * and offset order: the independent reader for tests that claim "no loss, no duplicate".
   */
  static int dump(String bootstrap, String topic, String isolation) throws Exception {
    if (!isolation.equals("read_uncommitted") && !isolation.equals("read_committed")) {
      System.err.println("seeder: dump: isolation must be read_uncommitted or read_committed, not " + isolation);
      return 2;
    }
    StringBuilder out = new StringBuilder();
    for (String line : consume(bootstrap, Collections.singleton(topic), isolation).getOrDefault(topic, Collections.emptyList())) {
      out.append(line).append("}\n");
    }
    System.out.print(out);
    System.out.flush();
    return 0;
  }

  static void compare(List<String> failures, String what, List<String> want, List<String> got) {
    if (want.size() != got.size()) failures.add(what + ": " + got.size() + " records, expected " + want.size());
    for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
      if (!want.get(i).equals(got.get(i))) {
        failures.add(what + ": record " + i + " differs:\n    want " + want.get(i) + "\n    got  " + got.get(i));
        return;
      }
    }
  }

  /** Every record of every partition of the topics, per topic in partition/offset order, as jsonLine strings. */
  static Map<String, List<String>> consume(String bootstrap, Collection<String> topics, String isolation) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "kwp-seeder-verify");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    Map<TopicPartition, List<String>> byPartition = new java.util.TreeMap<>(
        Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      for (String topic : topics) {
        for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(10))) {
          byPartition.put(new TopicPartition(topic, pi.partition()), new ArrayList<>());
        }
      }
      Set<TopicPartition> tps = byPartition.keySet();
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(10));
      long deadline = System.currentTimeMillis() + 60_000;
      while (true) {
        boolean done = true;
        for (TopicPartition tp : tps) if (c.position(tp) < end.get(tp)) done = false;
        if (done) break;
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("consumer did not reach the end offsets " + end);
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          byPartition.get(new TopicPartition(r.topic(), r.partition()))
              .add(Json.jsonLine(r.partition(), r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
        }
      }
    }
    Map<String, List<String>> out = new HashMap<>();
    for (Map.Entry<TopicPartition, List<String>> e : byPartition.entrySet()) {
      out.computeIfAbsent(e.getKey().topic(), k -> new ArrayList<>()).addAll(e.getValue());
    }
    return out;
  }
}
