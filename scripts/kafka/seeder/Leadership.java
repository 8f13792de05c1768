// The partition whose leader moves between node 1 and node 2 (scripts/kafka/node2.sh):
// "moved" makes and fills it, "elect" moves leadership back to the preferred replica, "leader"
// reports who leads.

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

final class Leadership {
  private Leadership() {}

  static final int MOVED_RECORDS = 1000;
  /** Long enough for a restarted follower to catch up and rejoin the ISR on a loaded machine. */
  static final long ELECT_TIMEOUT_MS = 60_000;

  /**
   * One partition on replicas [2, 1] (node 2 preferred leader, min.insync.replicas=1) holding
   * 1000 records key "mv-<i>", value "moved-<i>" in 10 batches of 100. Records are written only
   * while the log is empty (new topic, or a run that died before producing), so reruns leave it
   * alone whoever leads. Prints "<leader> <highWatermark>".
   */
  static int moved(String bootstrap, String topic) throws Exception {
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
      if (!admin.listTopics().names().get().contains(topic)) {
        TopicTools.recreateTopics(admin, Collections.singletonMap(topic,
            new NewTopic(topic, TopicTools.onReplicas(Clients.NODE_2, Clients.NODE_1))
                .configs(Collections.singletonMap("min.insync.replicas", "1"))));
      }
      if (endOffset(admin, tp) == 0) {
        List<Rec> recs = new ArrayList<>();
        for (int i = 0; i < MOVED_RECORDS; i++) recs.add(new Rec(0, Rec.utf8("mv-" + i), Rec.utf8("moved-" + i), Rec.hs(), null));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Clients.producerProps(bootstrap))) {
          List<Future<RecordMetadata>> futures = new ArrayList<>();
          for (int i = 0; i < recs.size(); i++) {
            futures.add(producer.send(recs.get(i).toRecord(topic)));
            if ((i + 1) % 100 == 0) producer.flush();
          }
          for (int i = 0; i < recs.size(); i++) recs.get(i).fill(futures.get(i).get());
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
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
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
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
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
}
