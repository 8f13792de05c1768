// Single-topic modes ("truncated", "create", "delete", "offsets-topic") and the topic (re)creation that
// "seed" and "moved" share with them.

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

final class TopicTools {
  private TopicTools() {}

  static final long CREATE_TIMEOUT_MS = 60_000;

  /**
   * A topic whose log no longer starts at 0: 10 records "trunc-<i>" (key "t-<i>"), then
   * DeleteRecords before offset 4, so offsets 0-3 are below the log start. Kept out of the main
   * seed so the seeded topics stay untouched; idempotent. Prints "<logStartOffset> <highWatermark>".
   */
  static int truncated(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
      if (!admin.listTopics().names().get().contains(topic)) {
        // Pinned to node 1: with a second broker up, the controller could place it there instead.
        recreateTopics(admin, Collections.singletonMap(topic, new NewTopic(topic, onReplicas(Clients.NODE_1))));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Clients.producerProps(bootstrap))) {
          for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, 0, Rec.utf8("t-" + i), Rec.utf8("trunc-" + i)));
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

  /**
   * An empty topic with `partitions` partitions, replication 1, every replica on node 1 (as
   * `truncated`: node 2 comes and goes under other tests, and a partition placed there would go
   * offline with it). Idempotent: an existing topic with that many partitions is fine, whatever it
   * holds; another count is an error, because changing it under a reader would break the reader.
   * Returns once every partition has a leader. Prints "created" or "exists". `configs` (e.g.
   * max.message.bytes) apply to a topic this call creates; an existing topic keeps its own.
   */
  static int create(String bootstrap, String topic, int partitions, Map<String, String> configs) throws Exception {
    if (partitions < 1) throw new IllegalArgumentException("partitions must be at least 1, not " + partitions);
    Map<Integer, List<Integer>> assignment = new HashMap<>();
    for (int p = 0; p < partitions; p++) assignment.put(p, Collections.singletonList(Clients.NODE_1));
    boolean created = false;
    long deadline = System.currentTimeMillis() + CREATE_TIMEOUT_MS;
    String last = "no attempt";
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
      while (System.currentTimeMillis() < deadline) {
        try {
          admin.createTopics(Collections.singleton(new NewTopic(topic, assignment).configs(configs))).all().get();
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

  /**
   * Deletes a topic (for tests of what readers see when it goes) and returns once the controller
   * no longer lists it. Idempotent. Prints "deleted" or "absent".
   */
  static int delete(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
      try {
        admin.deleteTopics(Collections.singleton(topic)).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
        System.out.println("absent");
        return 0;
      }
      long deadline = System.currentTimeMillis() + CREATE_TIMEOUT_MS;
      while (admin.listTopics().names().get().contains(topic)) {
        if (System.currentTimeMillis() > deadline) {
          System.err.println("seeder: topic " + topic + " still listed " + CREATE_TIMEOUT_MS + " ms after its deletion");
          return 1;
        }
        Thread.sleep(100);
      }
    }
    System.out.println("deleted");
    return 0;
  }

  static boolean retriableCreate(Throwable t) {
    return t instanceof InvalidReplicationFactorException
        || t instanceof org.apache.kafka.common.errors.InvalidReplicaAssignmentException
        || t instanceof org.apache.kafka.common.errors.RetriableException;
  }

  /**
   * Creates __consumer_offsets through FindCoordinator (what a consumer group's first request
   * does). Run before node 2 joins: the controller places a new topic's replicas on any live
   * broker, and offsets left on node 2 would break every consumer group while it is down.
   */
  static int offsetsTopic(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
      admin.listConsumerGroupOffsets("kwp-seeder-probe").partitionsToOffsetAndMetadata().get();
    }
    return 0;
  }

  /** Replica assignment for a one-partition topic, preferred leader first. */
  static Map<Integer, List<Integer>> onReplicas(Integer... nodes) {
    return Collections.singletonMap(0, java.util.Arrays.asList(nodes));
  }

  /**
   * Creates the topics, deleting first those that already exist (left by an interrupted seed),
   * and returns once every partition has a leader.
   */
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
      Map<String, TopicDescription> d;
      try {
        d = admin.describeTopics(topics.keySet()).allTopicNames().get();
      } catch (ExecutionException ex) {
        // A topic made a moment ago may not be in the broker's metadata yet (seen when a seeded
        // broker is seeded again: UnknownTopicOrPartitionException, a RetriableException).
        if (!(ex.getCause() instanceof org.apache.kafka.common.errors.RetriableException)
            || System.currentTimeMillis() > leaderDeadline) throw ex;
        Thread.sleep(100);
        continue;
      }
      boolean ok = true;
      for (TopicDescription t : d.values()) {
        for (TopicPartitionInfo p : t.partitions()) if (p.leader() == null || p.leader().isEmpty()) ok = false;
      }
      if (ok) return;
      if (System.currentTimeMillis() > leaderDeadline) throw new IllegalStateException("topics have no leaders");
      Thread.sleep(100);
    }
  }
}
