// Modes that wait for the cluster: "ready" (node 1 after a start or restart) and "registered"
// (node 2 joining, scripts/kafka/node2.sh).

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;

final class Readiness {
  private Readiness() {}

  /**
   * Waits until the broker answers DescribeCluster and every existing topic partition has a
   * leader (what a test needs right after a restart). Prints "ready: <n> node(s), <m> topic(s)".
   */
  static int ready(String bootstrap, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    String last = "no attempt";
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
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

  /**
   * Waits until DescribeCluster lists nodeId: the broker registered with the controller, caught
   * up with the metadata log and was unfenced, so replicas can be placed on it.
   */
  static int registered(String bootstrap, int nodeId, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    String last = "no attempt";
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
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
}
