// Seeds a test broker with Kafka's own Java Admin client and producer, and records ground truth.
//
//   java -cp <classes>:<kafka lib>/* Seed ready <bootstrap> <timeoutMs>
//   java -cp <classes>:<kafka lib>/* Seed seed  <bootstrap> <expectedDir>
//   java -cp <classes>:<kafka lib>/* Seed verify <bootstrap> <expectedDir>
//   java -cp <classes>:<kafka lib>/* Seed truncated <bootstrap> <topic>
//   java -cp <classes>:<kafka lib>/* Seed create <bootstrap> <topic> <partitions>
//   java -cp <classes>:<kafka lib>/* Seed offsets-topic <bootstrap>
//   java -cp <classes>:<kafka lib>/* Seed registered <bootstrap> <nodeId> <timeoutMs>
//   java -cp <classes>:<kafka lib>/* Seed moved|elect|leader <bootstrap> <topic>
//   java -cp <classes>:<kafka lib>/* Seed produce-latency <bootstrap> <topic> <count> <intervalMs>
//
// "ready" waits until the broker answers DescribeCluster and every existing topic partition has a
// leader (what a test needs right after a restart). "seed" (re)creates the fixed topics, writes
// them, and writes <expectedDir>/<topic>.jsonl (one JSON object per produced record, in
// partition/offset order), <expectedDir>/big.json (a summary instead of 100 000 lines) and
// <expectedDir>/topics.json. "verify" reads every seeded topic back with Kafka's own consumer
// (read_uncommitted and read_committed) and checks it against those files. Topics that already exist are deleted first, so a seed interrupted
// half-way can simply be run again. "truncated" makes the DeleteRecords topic; "create" makes an
// empty topic for a test or the demo (idempotent); the last five modes
// serve the second broker (scripts/kafka/node2.sh). Compiled by scripts/kafka/start.sh against the
// kafka-clients jar of the broker line it seeds; it uses only API present in both 3.9 and 4.x clients.
//
// JSON record shape (64-bit numbers as decimal strings, bytes as base64, absent as null):
//   {"partition":0,"offset":"0","timestamp":"1700000000000","key":"a2V5","value":null,
//    "headers":[{"key":"h","value":"dg=="}],"aborted":false,"committed":true}
// Non-transactional records are "committed": true (visible to read_committed consumers).

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class Seed {
  /** Explicit CreateTime base for `timestamps` and `big`: 2023-11-14T22:13:20Z. */
  static final long TIMESTAMP_BASE = 1_700_000_000_000L;
  static final int BIG_COUNT = 100_000;
  static final String[] CODECS = {"gzip", "snappy", "lz4", "zstd"};

  /** One record to produce, and later its ground truth. */
  static final class Rec {
    final int partition;
    final byte[] key;
    final byte[] value;
    final List<Header> headers;
    final Long timestamp;
    boolean aborted;
    long offset = -1;
    long brokerTimestamp = -1;

    Rec(int partition, byte[] key, byte[] value, List<Header> headers, Long timestamp) {
      this.partition = partition;
      this.key = key;
      this.value = value;
      this.headers = headers;
      this.timestamp = timestamp;
    }
  }

  /** Summary line for topics.json. */
  static final class TopicSummary {
    final String name;
    final int partitions;
    final String codec;
    final String timestampType;
    final boolean transactional;
    final String expectedFile;
    final String contents;
    long records;
    long aborted;

    TopicSummary(String name, int partitions, String codec, String timestampType, boolean transactional,
        String expectedFile, String contents) {
      this.name = name;
      this.partitions = partitions;
      this.codec = codec;
      this.timestampType = timestampType;
      this.transactional = transactional;
      this.expectedFile = expectedFile;
      this.contents = contents;
    }
  }

  public static void main(String[] args) {
    int code;
    try {
      if (args.length == 3 && args[0].equals("ready")) {
        code = ready(args[1], Long.parseLong(args[2]));
      } else if (args.length == 3 && args[0].equals("seed")) {
        code = seed(args[1], Paths.get(args[2]));
      } else if (args.length == 3 && args[0].equals("truncated")) {
        code = truncated(args[1], args[2]);
      } else if (args.length == 4 && args[0].equals("create")) {
        code = create(args[1], args[2], Integer.parseInt(args[3]));
      } else if (args.length == 3 && args[0].equals("verify")) {
        code = verify(args[1], Paths.get(args[2]));
      } else if (args.length == 2 && args[0].equals("offsets-topic")) {
        code = offsetsTopic(args[1]);
      } else if (args.length == 4 && args[0].equals("registered")) {
        code = registered(args[1], Integer.parseInt(args[2]), Long.parseLong(args[3]));
      } else if (args.length == 3 && args[0].equals("moved")) {
        code = moved(args[1], args[2]);
      } else if (args.length == 3 && args[0].equals("elect")) {
        code = elect(args[1], args[2]);
      } else if (args.length == 3 && args[0].equals("leader")) {
        code = leader(args[1], args[2]);
      } else if (args.length == 5 && args[0].equals("produce-latency")) {
        code = produceLatency(args[1], args[2], Integer.parseInt(args[3]), Long.parseLong(args[4]));
      } else {
        System.err.println("usage: Seed ready <bootstrap> <timeoutMs> | Seed seed|verify <bootstrap> <expectedDir>"
            + " | Seed truncated|moved|elect|leader <bootstrap> <topic> | Seed create <bootstrap> <topic> <partitions>"
            + " | Seed offsets-topic <bootstrap>"
            + " | Seed registered <bootstrap> <nodeId> <timeoutMs>"
            + " | Seed produce-latency <bootstrap> <topic> <count> <intervalMs>");
        code = 2;
      }
    } catch (Exception e) {
      System.err.println("seeder: " + e);
      Throwable c = e.getCause();
      while (c != null) {
        System.err.println("  caused by: " + c);
        c = c.getCause();
      }
      code = 1;
    }
    // Client threads must not keep the JVM alive.
    System.exit(code);
  }

  // ---------------------------------------------------------------- ready

  static int ready(String bootstrap, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    String last = "no attempt";
    try (Admin admin = Admin.create(adminProps(bootstrap))) {
      while (System.currentTimeMillis() < deadline) {
        try {
          int nodes = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
          if (nodes == 0) {
            last = "DescribeCluster returned no nodes";
          } else {
            Set<String> names = admin.listTopics().names().get(3, TimeUnit.SECONDS);
            String leaderless = null;
            if (!names.isEmpty()) {
              Map<String, TopicDescription> d = admin.describeTopics(names).allTopicNames().get(3, TimeUnit.SECONDS);
              for (TopicDescription t : d.values()) {
                for (TopicPartitionInfo p : t.partitions()) {
                  if (p.leader() == null || p.leader().isEmpty()) leaderless = t.name() + "-" + p.partition();
                }
              }
            }
            if (leaderless == null) {
              System.out.println("ready: " + nodes + " node(s), " + names.size() + " topic(s)");
              return 0;
            }
            last = "partition " + leaderless + " has no leader";
          }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          last = String.valueOf(e.getCause() != null ? e.getCause() : e);
        }
        Thread.sleep(200);
      }
    }
    System.err.println("seeder: broker at " + bootstrap + " not ready after " + timeoutMs + " ms: " + last);
    return 1;
  }

  // ---------------------------------------------------------------- truncated

  /**
   * A topic whose log no longer starts at 0: 10 records "trunc-<i>" (key "t-<i>"), then
   * DeleteRecords before offset 4, so offsets 0-3 are below the log start. Kept out of the main
   * seed so the seeded topics stay untouched; idempotent. Prints "<logStartOffset> <highWatermark>".
   */
  static int truncated(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(adminProps(bootstrap))) {
      if (!admin.listTopics().names().get().contains(topic)) {
        // Pinned to node 1: with a second broker up, the controller could place it there instead.
        recreateTopics(admin, Collections.singletonMap(topic, new NewTopic(topic, onReplicas(NODE_1))));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(base(bootstrap))) {
          for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, 0, utf8("t-" + i), utf8("trunc-" + i)));
          producer.flush();
        }
      }
      org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(topic, 0);
      admin.deleteRecords(Collections.singletonMap(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(4))).all().get();
      long start = admin.listOffsets(Collections.singletonMap(tp, OffsetSpec.earliest())).all().get().get(tp).offset();
      long end = admin.listOffsets(Collections.singletonMap(tp, OffsetSpec.latest())).all().get().get(tp).offset();
      System.out.println(start + " " + end);
    }
    return 0;
  }

  // ---------------------------------------------------------------- create

  static final long CREATE_TIMEOUT_MS = 60_000;

  /**
   * An empty topic with `partitions` partitions, replication 1, every replica on node 1 (as
   * `truncated`: node 2 comes and goes under other tests, and a partition placed there would go
   * offline with it). Idempotent: an existing topic with that many partitions is fine, whatever it
   * holds; another count is an error, because changing it under a reader would break the reader.
   * Returns once every partition has a leader. Prints "created" or "exists".
   */
  static int create(String bootstrap, String topic, int partitions) throws Exception {
    if (partitions < 1) throw new IllegalArgumentException("partitions must be at least 1, not " + partitions);
    Map<Integer, List<Integer>> assignment = new HashMap<>();
    for (int p = 0; p < partitions; p++) assignment.put(p, Collections.singletonList(NODE_1));
    boolean created = false;
    long deadline = System.currentTimeMillis() + CREATE_TIMEOUT_MS;
    String last = "no attempt";
    try (Admin admin = Admin.create(adminProps(bootstrap))) {
      while (System.currentTimeMillis() < deadline) {
        try {
          admin.createTopics(Collections.singleton(new NewTopic(topic, assignment))).all().get();
          created = true;
        } catch (ExecutionException e) {
          // Exists: fine (checked below). Retriable: right after a start node 1 may not be
          // registered yet, or a topic of that name may still be being deleted.
          if (!(e.getCause() instanceof TopicExistsException) && !retriableCreate(e.getCause())) throw e;
          last = String.valueOf(e.getCause());
        }
        TopicDescription d;
        try {
          d = admin.describeTopics(Collections.singleton(topic)).allTopicNames().get().get(topic);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
          last = "created, but not yet in the metadata";
          Thread.sleep(200);
          continue;
        }
        if (d.partitions().size() != partitions) {
          throw new IllegalStateException("topic " + topic + " exists with " + d.partitions().size()
              + " partitions, not " + partitions + " (delete it or use another name)");
        }
        boolean led = true;
        for (TopicPartitionInfo p : d.partitions()) if (p.leader() == null || p.leader().isEmpty()) led = false;
        if (led) {
          System.out.println(created ? "created" : "exists");
          return 0;
        }
        last = "a partition has no leader yet";
        Thread.sleep(100);
      }
    }
    System.err.println("seeder: topic " + topic + " not ready after " + CREATE_TIMEOUT_MS + " ms: " + last);
    return 1;
  }

  // ---------------------------------------------------------------- produce-latency (bench/e2e)

  /**
   * The source of the end-to-end benchmark's produce-to-client latency (bench/e2e/latency.ts):
   * `count` records to partition 0 of `topic`, one every `intervalMs`, each value the wall clock
   * in epoch microseconds (decimal ASCII) taken just before send(). acks=1 and linger.ms=0, so
   * every record leaves at once, as a latency-sensitive producer sends. Readers on this machine
   * take arrival minus value. Metadata is fetched before the first timestamp. Prints "sent N".
   */
  static int produceLatency(String bootstrap, String topic, int count, long intervalMs) throws Exception {
    Properties p = base(bootstrap);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "kwp-bench-latency");
    p.put(ProducerConfig.ACKS_CONFIG, "1");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "16384");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.partitionsFor(topic);
      List<Future<RecordMetadata>> sent = new ArrayList<>(count);
      long next = System.nanoTime();
      for (int i = 0; i < count; i++) {
        long wait = next - System.nanoTime();
        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
        next += intervalMs * 1_000_000L;
        Instant now = Instant.now();
        long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        sent.add(producer.send(new ProducerRecord<>(topic, 0, null, utf8(Long.toString(micros)))));
      }
      producer.flush();
      for (Future<RecordMetadata> f : sent) f.get();
    }
    System.out.println("sent " + count);
    return 0;
  }

  static boolean retriableCreate(Throwable t) {
    return t instanceof InvalidReplicationFactorException
        || t instanceof org.apache.kafka.common.errors.InvalidReplicaAssignmentException
        || t instanceof org.apache.kafka.common.errors.RetriableException;
  }

  // ---------------------------------------------------------------- second broker (node2.sh)

  /** Node ids: node 1 is start.sh's combined broker+controller, node 2 the broker-only node2.sh. */
  static final int NODE_1 = 1;
  static final int NODE_2 = 2;
  static final int MOVED_RECORDS = 1000;
  /** Long enough for a restarted follower to catch up and rejoin the ISR on a loaded machine. */
  static final long ELECT_TIMEOUT_MS = 60_000;

  /** Replica assignment for a one-partition topic, preferred leader first. */
  static Map<Integer, List<Integer>> onReplicas(Integer... nodes) {
    return Collections.singletonMap(0, java.util.Arrays.asList(nodes));
  }

  /**
   * Creates __consumer_offsets through FindCoordinator (what a consumer group's first request
   * does). Run before node 2 joins: the controller places a new topic's replicas on any live
   * broker, and offsets left on node 2 would break every consumer group while it is down.
   */
  static int offsetsTopic(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(adminProps(bootstrap))) {
      admin.listConsumerGroupOffsets("kwp-seeder-probe").partitionsToOffsetAndMetadata().get();
    }
    return 0;
  }

  /**
   * Waits until DescribeCluster lists nodeId: the broker registered with the controller, caught
   * up with the metadata log and was unfenced, so replicas can be placed on it.
   */
  static int registered(String bootstrap, int nodeId, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    String last = "no attempt";
    try (Admin admin = Admin.create(adminProps(bootstrap))) {
      while (System.currentTimeMillis() < deadline) {
        try {
          Collection<Node> nodes = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
          for (Node n : nodes) {
            if (n.id() == nodeId) {
              System.out.println("registered: node " + nodeId + ", " + nodes.size() + " broker(s)");
              return 0;
            }
          }
          last = "brokers " + nodes;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          last = String.valueOf(e.getCause() != null ? e.getCause() : e);
        }
        Thread.sleep(200);
      }
    }
    System.err.println("seeder: node " + nodeId + " not registered after " + timeoutMs + " ms: " + last);
    return 1;
  }

  /**
   * One partition on replicas [2, 1] (node 2 preferred leader, min.insync.replicas=1) holding
   * 1000 records key "mv-<i>", value "moved-<i>" in 10 batches of 100. Records are written only
   * while the log is empty (new topic, or a run that died before producing), so reruns leave it
   * alone whoever leads. Prints "<leader> <highWatermark>".
   */
  static int moved(String bootstrap, String topic) throws Exception {
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = Admin.create(adminProps(bootstrap))) {
      if (!admin.listTopics().names().get().contains(topic)) {
        recreateTopics(admin, Collections.singletonMap(topic, new NewTopic(topic, onReplicas(NODE_2, NODE_1))
            .configs(Collections.singletonMap("min.insync.replicas", "1"))));
      }
      if (endOffset(admin, tp) == 0) {
        List<Rec> recs = new ArrayList<>();
        for (int i = 0; i < MOVED_RECORDS; i++) recs.add(new Rec(0, utf8("mv-" + i), utf8("moved-" + i), hs(), null));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(base(bootstrap))) {
          List<Future<RecordMetadata>> futures = new ArrayList<>();
          for (int i = 0; i < recs.size(); i++) {
            futures.add(producer.send(toRecord(topic, recs.get(i))));
            if ((i + 1) % 100 == 0) producer.flush();
          }
          for (int i = 0; i < recs.size(); i++) fill(recs.get(i), futures.get(i).get());
        }
      }
      System.out.println(leaderId(partition(admin, tp)) + " " + endOffset(admin, tp));
    }
    return 0;
  }

  /**
   * Preferred leader election for partition 0 (KIP-460). The preferred replica must be in the ISR
   * first, so a just-restarted node 2 is waited for; election errors are retried until the
   * leader is the first replica and every replica is in the ISR. Prints the leader.
   */
  static int elect(String bootstrap, String topic) throws Exception {
    TopicPartition tp = new TopicPartition(topic, 0);
    long deadline = System.currentTimeMillis() + ELECT_TIMEOUT_MS;
    String last = "no attempt";
    try (Admin admin = Admin.create(adminProps(bootstrap))) {
      while (System.currentTimeMillis() < deadline) {
        try {
          TopicPartitionInfo p = partition(admin, tp);
          int preferred = p.replicas().get(0).id();
          boolean allInSync = p.isr().containsAll(p.replicas());
          int leader = leaderId(p);
          if (leader == preferred && allInSync) {
            System.out.println(leader);
            return 0;
          }
          if (!allInSync) {
            last = "ISR " + ids(p.isr()) + " lacks some of " + ids(p.replicas());
          } else {
            java.util.Optional<Throwable> err = admin.electLeaders(ElectionType.PREFERRED, Collections.singleton(tp))
                .partitions().get().get(tp);
            // ElectionNotNeeded: the preferred replica already leads; the next describe shows it.
            if (err != null && err.isPresent() && !(err.get() instanceof ElectionNotNeededException)) last = err.get().toString();
            else last = "elected; waiting for metadata";
          }
        } catch (ExecutionException e) {
          if (e.getCause() instanceof UnknownTopicOrPartitionException) throw e;
          // A broker leaving or joining can fail one request; the deadline bounds the retries.
          last = String.valueOf(e.getCause());
        }
        Thread.sleep(200);
      }
    }
    System.err.println("seeder: " + tp + " has no preferred leader after " + ELECT_TIMEOUT_MS + " ms: " + last);
    return 1;
  }

  /** Prints "<leader> <isr>" for partition 0: leader -1 when there is none, ISR comma-separated. */
  static int leader(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(adminProps(bootstrap))) {
      TopicPartitionInfo p = partition(admin, new TopicPartition(topic, 0));
      System.out.println(leaderId(p) + " " + ids(p.isr()));
    }
    return 0;
  }

  static TopicPartitionInfo partition(Admin admin, TopicPartition tp) throws Exception {
    TopicDescription d = admin.describeTopics(Collections.singleton(tp.topic())).allTopicNames().get().get(tp.topic());
    return d.partitions().get(tp.partition());
  }

  static int leaderId(TopicPartitionInfo p) {
    return p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id();
  }

  static long endOffset(Admin admin, TopicPartition tp) throws Exception {
    return admin.listOffsets(Collections.singletonMap(tp, OffsetSpec.latest())).all().get().get(tp).offset();
  }

  static String ids(List<Node> nodes) {
    StringBuilder sb = new StringBuilder();
    for (Node n : nodes) sb.append(sb.length() == 0 ? "" : ",").append(n.id());
    return sb.toString();
  }

  // ---------------------------------------------------------------- seed

  static int seed(String bootstrap, Path expectedDir) throws Exception {
    Path tmp = expectedDir.resolveSibling(expectedDir.getFileName() + ".tmp");
    deleteTree(tmp);
    Files.createDirectories(tmp);
    List<TopicSummary> summaries = new ArrayList<>();

    try (Admin admin = Admin.create(adminProps(bootstrap))) {
      Map<String, NewTopic> topics = new LinkedHashMap<>();
      topics.put("plain", new NewTopic("plain", 1, (short) 1));
      topics.put("multi", new NewTopic("multi", 3, (short) 1));
      for (String c : CODECS) topics.put("codec-" + c, new NewTopic("codec-" + c, 1, (short) 1));
      topics.put("headers", new NewTopic("headers", 1, (short) 1));
      topics.put("nulls", new NewTopic("nulls", 1, (short) 1));
      topics.put("txn", new NewTopic("txn", 1, (short) 1));
      topics.put("log-append-time", new NewTopic("log-append-time", 1, (short) 1)
          .configs(Collections.singletonMap("message.timestamp.type", "LogAppendTime")));
      topics.put("timestamps", new NewTopic("timestamps", 1, (short) 1));
      topics.put("big", new NewTopic("big", 1, (short) 1));
      recreateTopics(admin, topics);

      long t0 = System.currentTimeMillis();
      summaries.add(write(tmp, "plain", 1, "none", "CreateTime", plain(),
          base(bootstrap), 0, "20 records, key \"key-NN\", value \"value-NN\" (NN = 00..19), no headers"));
      summaries.add(write(tmp, "multi", 3, "none", "CreateTime", multi(),
          base(bootstrap), 0, "19 records by explicit partition: p0 10, p1 6, p2 3; key \"m-<i>\", value \"multi-p<partition>-<i>\""));
      for (String c : CODECS) {
        Properties p = base(bootstrap);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, c);
        summaries.add(write(tmp, "codec-" + c, 1, c, "CreateTime", codec(c), p, 60,
            "300 records in 5 batches of 60, compression " + c + "; every 7th key null; values 8..4096 bytes; 0..3 headers"));
      }
      summaries.add(write(tmp, "headers", 1, "none", "CreateTime", headers(), base(bootstrap), 0,
          "10 records with 0..3 headers: ordered keys, duplicate keys, a null header value, an empty value, an empty key, UTF-8 and binary values"));
      summaries.add(write(tmp, "nulls", 1, "none", "CreateTime", nulls(), base(bootstrap), 0,
          "6 records: null key, null value (tombstone), empty key, empty value, both null, both empty"));
      summaries.add(txn(bootstrap, tmp));
      summaries.add(write(tmp, "log-append-time", 1, "none", "LogAppendTime", logAppendTime(), base(bootstrap), 0,
          "10 records sent with CreateTime 1600000000000+i; the broker replaces them with its append time (recorded here)"));
      summaries.add(write(tmp, "timestamps", 1, "none", "CreateTime", timestamps(), base(bootstrap), 5,
          "20 records in 4 batches of 5, timestamp 1700000000000 + 1000*i, key \"ts-<i>\", value \"at-<timestamp>\""));
      summaries.add(big(bootstrap, tmp));
      System.err.println("seeder: produced in " + (System.currentTimeMillis() - t0) + " ms");

      writeTopicsJson(admin, tmp, summaries);
    }

    deleteTree(expectedDir);
    Files.move(tmp, expectedDir, StandardCopyOption.ATOMIC_MOVE);
    return 0;
  }

  static Properties adminProps(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "kwp-seeder-admin");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
    return p;
  }

  /** Producer defaults: idempotent, acks=all (one replica, so as fast as acks=1), no compression. */
  static Properties base(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "kwp-seeder");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    // Batches are cut by explicit flush() calls, so a long linger and a big batch keep
    // every flushed group in one record batch.
    p.put(ProducerConfig.LINGER_MS_CONFIG, "30000");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(1 << 20));
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(4 << 20));
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
    return p;
  }

  static void recreateTopics(Admin admin, Map<String, NewTopic> topics) throws Exception {
    Set<String> existing = new TreeSet<>(admin.listTopics().names().get());
    existing.retainAll(topics.keySet());
    if (!existing.isEmpty()) {
      System.err.println("seeder: deleting topics left by an interrupted seed: " + existing);
      admin.deleteTopics(existing).all().get();
      long deadline = System.currentTimeMillis() + 30_000;
      while (true) {
        Set<String> now = new TreeSet<>(admin.listTopics().names().get());
        now.retainAll(existing);
        if (now.isEmpty()) break;
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("topics not deleted: " + now);
        Thread.sleep(200);
      }
    }
    long deadline = System.currentTimeMillis() + 60_000;
    Map<String, NewTopic> todo = new LinkedHashMap<>(topics);
    while (!todo.isEmpty()) {
      Map<String, org.apache.kafka.common.KafkaFuture<Void>> r = admin.createTopics(todo.values()).values();
      for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e : r.entrySet()) {
        try {
          e.getValue().get();
          todo.remove(e.getKey());
        } catch (ExecutionException ex) {
          // Right after start the broker may not be registered yet (no brokers to place replicas),
          // or a just-deleted topic may still be being removed.
          boolean retriable = ex.getCause() instanceof InvalidReplicationFactorException
              || ex.getCause() instanceof TopicExistsException
              || ex.getCause() instanceof org.apache.kafka.common.errors.RetriableException;
          if (!retriable || System.currentTimeMillis() > deadline) throw ex;
        }
      }
      if (!todo.isEmpty()) Thread.sleep(250);
    }
    // Wait until every partition has a leader so the first produce does not race the metadata.
    long leaderDeadline = System.currentTimeMillis() + 30_000;
    while (true) {
      Map<String, TopicDescription> d = admin.describeTopics(topics.keySet()).allTopicNames().get();
      boolean ok = true;
      for (TopicDescription t : d.values()) {
        for (TopicPartitionInfo p : t.partitions()) if (p.leader() == null || p.leader().isEmpty()) ok = false;
      }
      if (ok) return;
      if (System.currentTimeMillis() > leaderDeadline) throw new IllegalStateException("topics have no leaders");
      Thread.sleep(100);
    }
  }

  // ---------------------------------------------------------------- topic contents

  static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  static List<Header> hs(String... kv) {
    List<Header> l = new ArrayList<>();
    for (int i = 0; i < kv.length; i += 2) l.add(new RecordHeader(kv[i], utf8(kv[i + 1])));
    return l;
  }

  static List<Rec> plain() {
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      l.add(new Rec(0, utf8(String.format("key-%02d", i)), utf8(String.format("value-%02d", i)), hs(), null));
    }
    return l;
  }

  static List<Rec> multi() {
    // Unequal counts per partition so a test that mixes partitions up notices.
    int[] order = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0};
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < order.length; i++) {
      int p = order[i];
      l.add(new Rec(p, utf8("m-" + i), utf8("multi-p" + p + "-" + i), hs(), null));
    }
    return l;
  }

  static final String LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
      + "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco "
      + "laboris nisi ut aliquip ex ea commodo consequat. ";

  static byte[] text(int size, int seed) {
    StringBuilder sb = new StringBuilder(size + LOREM.length());
    sb.append('#').append(seed).append(' ');
    while (sb.length() < size) sb.append(LOREM);
    sb.setLength(size);
    return utf8(sb.toString());
  }

  static List<Rec> codec(String codec) {
    Random rnd = new Random(20231114L);
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      int size = i % 50 == 0 ? 4096 : i % 10 == 0 ? 1500 + rnd.nextInt(1000) : 8 + rnd.nextInt(300);
      byte[] key = i % 7 == 3 ? null : utf8(String.format("key-%04d", i));
      List<Header> h = new ArrayList<>();
      int n = i % 4;
      if (n >= 1) h.add(new RecordHeader("seq", utf8(Integer.toString(i))));
      if (n >= 2) h.add(new RecordHeader("codec", utf8(codec)));
      if (n >= 3) h.add(new RecordHeader("nullable", i % 8 == 3 ? null : utf8("v" + i)));
      l.add(new Rec(0, key, text(size, i), h, null));
    }
    return l;
  }

  static List<Rec> headers() {
    List<Rec> l = new ArrayList<>();
    l.add(new Rec(0, utf8("h0"), utf8("no headers"), hs(), null));
    l.add(new Rec(0, utf8("h1"), utf8("one header"), hs("a", "1"), null));
    l.add(new Rec(0, utf8("h2"), utf8("two headers"), hs("a", "1", "b", "2"), null));
    l.add(new Rec(0, utf8("h3"), utf8("three headers"), hs("a", "1", "b", "2", "c", "3"), null));
    l.add(new Rec(0, utf8("h4"), utf8("duplicate keys, order matters"), hs("dup", "first", "dup", "second", "dup", "third"), null));
    l.add(new Rec(0, utf8("h5"), utf8("null header value"), hs("null-value", null), null));
    l.add(new Rec(0, utf8("h6"), utf8("empty header value and null among others"), hs("empty", "", "null-value", null, "x", "y"), null));
    l.add(new Rec(0, utf8("h7"), utf8("empty header key"), hs("", "empty-key"), null));
    l.add(new Rec(0, utf8("h8"), utf8("utf-8 header"), hs("ключ", "värde ✓ 🚀"), null));
    List<Header> bin = new ArrayList<>();
    bin.add(new RecordHeader("bin", new byte[] {0, 1, 2, (byte) 0x7f, (byte) 0x80, (byte) 0xfe, (byte) 0xff}));
    l.add(new Rec(0, utf8("h9"), utf8("binary header value"), bin, null));
    return l;
  }

  static List<Rec> nulls() {
    List<Rec> l = new ArrayList<>();
    l.add(new Rec(0, null, utf8("value-with-null-key"), hs(), null));
    l.add(new Rec(0, utf8("key-with-null-value"), null, hs(), null));
    l.add(new Rec(0, new byte[0], utf8("value-with-empty-key"), hs(), null));
    l.add(new Rec(0, utf8("key-with-empty-value"), new byte[0], hs(), null));
    l.add(new Rec(0, null, null, hs(), null));
    l.add(new Rec(0, new byte[0], new byte[0], hs(), null));
    return l;
  }

  static List<Rec> logAppendTime() {
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      l.add(new Rec(0, utf8("lat-" + i), utf8("log-append-time-" + i), hs(), 1_600_000_000_000L + i));
    }
    return l;
  }

  static List<Rec> timestamps() {
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long ts = TIMESTAMP_BASE + 1000L * i;
      l.add(new Rec(0, utf8("ts-" + i), utf8("at-" + ts), hs(), ts));
    }
    return l;
  }

  // ---------------------------------------------------------------- producing

  /** Sends recs in order, flushing every batchEvery records (0: one flush at the end). */
  static TopicSummary write(Path dir, String topic, int partitions, String codec,
      String timestampType, List<Rec> recs, Properties props, int batchEvery, String contents) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      List<Future<RecordMetadata>> futures = new ArrayList<>();
      for (int i = 0; i < recs.size(); i++) {
        futures.add(producer.send(toRecord(topic, recs.get(i))));
        if (batchEvery > 0 && (i + 1) % batchEvery == 0) producer.flush();
      }
      producer.flush();
      for (int i = 0; i < recs.size(); i++) fill(recs.get(i), futures.get(i).get());
    }
    TopicSummary s = new TopicSummary(topic, partitions, codec, timestampType, false, topic + ".jsonl", contents);
    s.records = recs.size();
    writeJsonl(dir.resolve(topic + ".jsonl"), recs);
    return s;
  }

  static ProducerRecord<byte[], byte[]> toRecord(String topic, Rec r) {
    return new ProducerRecord<>(topic, r.partition, r.timestamp, r.key, r.value, r.headers);
  }

  static void fill(Rec r, RecordMetadata md) {
    if (md.partition() != r.partition) throw new IllegalStateException("record went to partition " + md.partition());
    r.offset = md.offset();
    r.brokerTimestamp = md.timestamp();
  }

  /** `txn`: commit 3, abort 2, commit 2, abort 1, commit 1 (9 data records, 5 control records). */
  static TopicSummary txn(String bootstrap, Path dir) throws Exception {
    Properties p = base(bootstrap);
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
          Rec r = new Rec(0, utf8("txn-" + n), utf8("txn" + t + "-" + state + "-" + n), hs("txn", Integer.toString(t)), null);
          r.aborted = !commit;
          recs.add(r);
          futures.add(producer.send(toRecord("txn", r)));
        }
        // Flush so aborted records get offsets too (they stay in the log, hidden by the abort marker).
        producer.flush();
        for (int i = 0; i < recs.size(); i++) fill(recs.get(i), futures.get(i).get());
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
    writeJsonl(dir.resolve("txn.jsonl"), all);
    return s;
  }

  /** `big`: 100 000 records, key null, value "big-%06d" of i, timestamp base + i, lz4; offset == i. */
  static TopicSummary big(String bootstrap, Path dir) throws Exception {
    Properties p = base(bootstrap);
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
        byte[] v = utf8(String.format("big-%06d", i));
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

  // ---------------------------------------------------------------- verify

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
      if (got.size() != BIG_COUNT) failures.add("big: " + got.size() + " records, expected " + BIG_COUNT);
      for (int i = 0; i < got.size() && i < BIG_COUNT; i++) {
        String want = jsonLine(0, i, TIMESTAMP_BASE + i, null, utf8(String.format("big-%06d", i)), Collections.emptyList());
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
              .add(jsonLine(r.partition(), r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
        }
      }
    }
    Map<String, List<String>> out = new HashMap<>();
    for (Map.Entry<TopicPartition, List<String>> e : byPartition.entrySet()) {
      out.computeIfAbsent(e.getKey().topic(), k -> new ArrayList<>()).addAll(e.getValue());
    }
    return out;
  }

  // ---------------------------------------------------------------- output

  static void writeJsonl(Path file, List<Rec> recs) throws IOException {
    List<Rec> sorted = new ArrayList<>(recs);
    sorted.sort(Comparator.<Rec>comparingInt(r -> r.partition).thenComparingLong(r -> r.offset));
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Rec r : sorted) {
        w.write(jsonLine(r.partition, r.offset, r.brokerTimestamp, r.key, r.value, r.headers));
        w.write(",\"aborted\":" + r.aborted + ",\"committed\":" + !r.aborted + "}\n");
      }
    }
  }

  /** The record's JSON object without the transaction flags and the closing brace. */
  static String jsonLine(int partition, long offset, long timestamp, byte[] key, byte[] value, Iterable<Header> headers) {
    Base64.Encoder b64 = Base64.getEncoder();
    StringBuilder sb = new StringBuilder(256);
    sb.append("{\"partition\":").append(partition)
        .append(",\"offset\":\"").append(offset).append('"')
        .append(",\"timestamp\":\"").append(timestamp).append('"')
        .append(",\"key\":").append(b64OrNull(b64, key))
        .append(",\"value\":").append(b64OrNull(b64, value))
        .append(",\"headers\":[");
    boolean first = true;
    for (Header h : headers) {
      if (!first) sb.append(',');
      first = false;
      sb.append("{\"key\":").append(jsonString(h.key())).append(",\"value\":").append(b64OrNull(b64, h.value())).append('}');
    }
    return sb.append(']').toString();
  }

  static String b64OrNull(Base64.Encoder b64, byte[] b) {
    return b == null ? "null" : "\"" + b64.encodeToString(b) + "\"";
  }

  static String jsonString(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default:
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  static void writeTopicsJson(Admin admin, Path dir, List<TopicSummary> summaries) throws Exception {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    for (TopicSummary s : summaries) {
      for (int p = 0; p < s.partitions; p++) {
        latest.put(new TopicPartition(s.name, p), OffsetSpec.latest());
        earliest.put(new TopicPartition(s.name, p), OffsetSpec.earliest());
      }
    }
    // Transaction markers are written asynchronously after commit/abort returns, so wait until
    // the last stable offset has caught up with the high watermark everywhere.
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> hw = null;
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> lso = null;
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      hw = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get();
      lso = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
      boolean same = true;
      for (TopicPartition tp : latest.keySet()) if (hw.get(tp).offset() != lso.get(tp).offset()) same = false;
      if (same) break;
      Thread.sleep(100);
    }
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> start = admin.listOffsets(earliest).all().get();

    StringBuilder sb = new StringBuilder("{\n  \"topics\": [\n");
    for (int i = 0; i < summaries.size(); i++) {
      TopicSummary s = summaries.get(i);
      sb.append("    {\"name\":").append(jsonString(s.name))
          .append(",\"partitions\":").append(s.partitions)
          .append(",\"codec\":").append(jsonString(s.codec))
          .append(",\"timestampType\":").append(jsonString(s.timestampType))
          .append(",\"transactional\":").append(s.transactional)
          .append(",\"records\":").append(s.records)
          .append(",\"committedRecords\":").append(s.records - s.aborted)
          .append(",\"abortedRecords\":").append(s.aborted)
          .append(",\"expectedFile\":").append(jsonString(s.expectedFile))
          .append(",\"contents\":").append(jsonString(s.contents))
          .append(",\"offsets\":[");
      for (int p = 0; p < s.partitions; p++) {
        TopicPartition tp = new TopicPartition(s.name, p);
        if (p > 0) sb.append(',');
        sb.append("{\"partition\":").append(p)
            .append(",\"logStartOffset\":\"").append(start.get(tp).offset()).append('"')
            .append(",\"highWatermark\":\"").append(hw.get(tp).offset()).append('"')
            .append(",\"lastStableOffset\":\"").append(lso.get(tp).offset()).append("\"}");
      }
      sb.append("]}").append(i + 1 < summaries.size() ? ",\n" : "\n");
    }
    sb.append("  ]\n}\n");
    Files.write(dir.resolve("topics.json"), sb.toString().getBytes(StandardCharsets.UTF_8));
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
