// "seed": (re)creates the fixed topics, produces their records (SeedContents) and writes the
// ground truth: <expectedDir>/<topic>.jsonl, big.json and topics.json. The files are built in
// <expectedDir>.tmp and moved into place at the end, so an interrupted seed leaves no half-written
// expectations; its topics are deleted and made again by the next run.

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

final class Seeding {
  private Seeding() {}

  /** Explicit CreateTime base for `timestamps` and `big`: 2023-11-14T22:13:20Z. */
  static final long TIMESTAMP_BASE = 1_700_000_000_000L;
  static final int BIG_COUNT = 100_000;

  static int seed(String bootstrap, Path expectedDir) throws Exception {
    Path tmp = expectedDir.resolveSibling(expectedDir.getFileName() + ".tmp");
    deleteTree(tmp);
    Files.createDirectories(tmp);
    List<TopicSummary> summaries = new ArrayList<>();

    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
      Map<String, NewTopic> topics = new LinkedHashMap<>();
      topics.put("plain", new NewTopic("plain", 1, (short) 1));
      topics.put("multi", new NewTopic("multi", 3, (short) 1));
      for (String c : SeedContents.CODECS) topics.put("codec-" + c, new NewTopic("codec-" + c, 1, (short) 1));
      topics.put("headers", new NewTopic("headers", 1, (short) 1));
      topics.put("nulls", new NewTopic("nulls", 1, (short) 1));
      topics.put("txn", new NewTopic("txn", 1, (short) 1));
      topics.put("log-append-time", new NewTopic("log-append-time", 1, (short) 1)
          .configs(Collections.singletonMap("message.timestamp.type", "LogAppendTime")));
      topics.put("timestamps", new NewTopic("timestamps", 1, (short) 1));
      topics.put("big", new NewTopic("big", 1, (short) 1));
      TopicTools.recreateTopics(admin, topics);

      long t0 = System.currentTimeMillis();
      summaries.add(write(tmp, "plain", 1, "none", "CreateTime", SeedContents.plain(),
          Clients.producerProps(bootstrap), 0, "20 records, key \"key-NN\", value \"value-NN\" (NN = 00..19), no headers"));
      summaries.add(write(tmp, "multi", 3, "none", "CreateTime", SeedContents.multi(),
          Clients.producerProps(bootstrap), 0, "19 records by explicit partition: p0 10, p1 6, p2 3; key \"m-<i>\", value \"multi-p<partition>-<i>\""));
      for (String c : SeedContents.CODECS) {
        Properties p = Clients.producerProps(bootstrap);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, c);
        summaries.add(write(tmp, "codec-" + c, 1, c, "CreateTime", SeedContents.codec(c), p, 60,
            "300 records in 5 batches of 60, compression " + c + "; every 7th key null; values 8..4096 bytes; 0..3 headers"));
      }
      summaries.add(write(tmp, "headers", 1, "none", "CreateTime", SeedContents.headers(), Clients.producerProps(bootstrap), 0,
          "10 records with 0..3 headers: ordered keys, duplicate keys, a null header value, an empty value, an empty key, UTF-8 and binary values"));
      summaries.add(write(tmp, "nulls", 1, "none", "CreateTime", SeedContents.nulls(), Clients.producerProps(bootstrap), 0,
          "6 records: null key, null value (tombstone), empty key, empty value, both null, both empty"));
      summaries.add(txn(bootstrap, tmp));
      summaries.add(write(tmp, "log-append-time", 1, "none", "LogAppendTime", SeedContents.logAppendTime(), Clients.producerProps(bootstrap), 0,
          "10 records sent with CreateTime 1600000000000+i; the broker replaces them with its append time (recorded here)"));
      summaries.add(write(tmp, "timestamps", 1, "none", "CreateTime", SeedContents.timestamps(), Clients.producerProps(bootstrap), 5,
          "20 records in 4 batches of 5, timestamp 1700000000000 + 1000*i, key \"ts-<i>\", value \"at-<timestamp>\""));
      summaries.add(big(bootstrap, tmp));
      System.err.println("seeder: produced in " + (System.currentTimeMillis() - t0) + " ms");

      TopicSummary.writeTopicsJson(admin, tmp, summaries);
    }

    deleteTree(expectedDir);
    Files.move(tmp, expectedDir, StandardCopyOption.ATOMIC_MOVE);
    return 0;
  }

  /** Sends recs in order, flushing every batchEvery records (0: one flush at the end). */
  static TopicSummary write(Path dir, String topic, int partitions, String codec,
      String timestampType, List<Rec> recs, Properties props, int batchEvery, String contents) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      List<Future<RecordMetadata>> futures = new ArrayList<>();
      for (int i = 0; i < recs.size(); i++) {
        futures.add(producer.send(recs.get(i).toRecord(topic)));
        if (batchEvery > 0 && (i + 1) % batchEvery == 0) producer.flush();
      }
      producer.flush();
      for (int i = 0; i < recs.size(); i++) recs.get(i).fill(futures.get(i).get());
    }
    TopicSummary s = new TopicSummary(topic, partitions, codec, timestampType, false, topic + ".jsonl", contents);
    s.records = recs.size();
    Json.writeJsonl(dir.resolve(topic + ".jsonl"), recs);
    return s;
  }

  /** `txn`: commit 3, abort 2, commit 2, abort 1, commit 1 (9 data records, 5 control records). */
  static TopicSummary txn(String bootstrap, Path dir) throws Exception {
    Properties p = Clients.producerProps(bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kwp-seeder-txn");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    int[][] plan = {{3, 1}, {2, 0}, {2, 1}, {1, 0}, {1, 1}};
    List<Rec> all = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.initTransactions();
      int n = 0;
      for (int t = 0; t < plan.length; t++) {
        boolean commit = plan[t][1] == 1;
        producer.beginTransaction();
        List<Rec> recs = new ArrayList<>();
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        for (int i = 0; i < plan[t][0]; i++, n++) {
          String state = commit ? "committed" : "aborted";
          Rec r = new Rec(0, Rec.utf8("txn-" + n), Rec.utf8("txn" + t + "-" + state + "-" + n), Rec.hs("txn", Integer.toString(t)), null);
          r.aborted = !commit;
          recs.add(r);
          futures.add(producer.send(r.toRecord("txn")));
        }
        // Flush so aborted records get offsets too (they stay in the log, hidden by the abort marker).
        producer.flush();
        for (int i = 0; i < recs.size(); i++) recs.get(i).fill(futures.get(i).get());
        if (commit) producer.commitTransaction();
        else producer.abortTransaction();
        all.addAll(recs);
      }
    }
    TopicSummary s = new TopicSummary("txn", 1, "none", "CreateTime", true, "txn.jsonl",
        "transactional only: commit 3, abort 2, commit 2, abort 1, commit 1 (6 committed + 3 aborted data records, "
            + "5 control records); key \"txn-<n>\", value \"txn<t>-<committed|aborted>-<n>\", header txn=<t>");
    s.records = all.size();
    for (Rec r : all) if (r.aborted) s.aborted++;
    Json.writeJsonl(dir.resolve("txn.jsonl"), all);
    return s;
  }

  /** `big`: 100 000 records, key null, value "big-%06d" of i, timestamp base + i, lz4; offset == i. */
  static TopicSummary big(String bootstrap, Path dir) throws Exception {
    Properties p = Clients.producerProps(bootstrap);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64L << 20));
    AtomicLong acked = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    AtomicLong lastTimestamp = new AtomicLong(-1);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < BIG_COUNT; i++) {
        final long expect = i;
        byte[] v = Rec.utf8(String.format("big-%06d", i));
        producer.send(new ProducerRecord<>("big", 0, TIMESTAMP_BASE + i, null, v), (md, err) -> {
          if (err != null) firstError.compareAndSet(null, err.toString());
          else if (md.offset() != expect) firstError.compareAndSet(null, "record " + expect + " got offset " + md.offset());
          else {
            acked.incrementAndGet();
            if (expect == BIG_COUNT - 1) lastTimestamp.set(md.timestamp());
          }
        });
      }
      producer.flush();
    }
    if (firstError.get() != null) throw new IllegalStateException("big: " + firstError.get());
    if (acked.get() != BIG_COUNT) throw new IllegalStateException("big: only " + acked.get() + " acked");
    try (Writer w = Files.newBufferedWriter(dir.resolve("big.json"), StandardCharsets.UTF_8)) {
      w.write("{\"topic\":\"big\",\"partition\":0,\"count\":" + BIG_COUNT
          + ",\"firstOffset\":\"0\",\"lastOffset\":\"" + (BIG_COUNT - 1) + "\""
          + ",\"key\":null,\"valueFormat\":\"big-%06d\",\"valuePattern\":\"value = ASCII 'big-' + offset zero-padded to 6 digits\""
          + ",\"timestampBase\":\"" + TIMESTAMP_BASE + "\",\"timestampStep\":\"1\""
          + ",\"lastTimestamp\":\"" + lastTimestamp.get() + "\""
          + ",\"codec\":\"lz4\",\"headers\":[]}\n");
    }
    TopicSummary s = new TopicSummary("big", 1, "lz4", "CreateTime", false, "big.json",
        "100000 records, key null, value \"big-%06d\" of the offset, timestamp 1700000000000 + offset, lz4");
    s.records = BIG_COUNT;
    return s;
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (java.util.stream.Stream<Path> s = Files.walk(p)) {
      List<Path> all = new ArrayList<>();
      s.forEach(all::add);
      Collections.reverse(all);
      for (Path x : all) Files.delete(x);
    }
  }
}
