// Seeds a test broker with Kafka's own Java Admin client and producer, and records ground truth.
//
//   java -cp <classes>:<kafka lib>/* Seed ready <bootstrap> <timeoutMs>
//   java -cp <classes>:<kafka lib>/* Seed seed  <bootstrap> <expectedDir>
//   java -cp <classes>:<kafka lib>/* Seed verify <bootstrap> <expectedDir>
//   java -cp <classes>:<kafka lib>/* Seed truncated <bootstrap> <topic>
//   java -cp <classes>:<kafka lib>/* Seed create <bootstrap> <topic> <partitions> [<config>=<value>...]
//   java -cp <classes>:<kafka lib>/* Seed consume <bootstrap> <topic>
//   java -cp <classes>:<kafka lib>/* Seed partitions <count> <hex key>...
//   java -cp <classes>:<kafka lib>/* Seed offsets-topic <bootstrap>
//   java -cp <classes>:<kafka lib>/* Seed registered <bootstrap> <nodeId> <timeoutMs>
//   java -cp <classes>:<kafka lib>/* Seed moved|elect|leader <bootstrap> <topic>
//   java -cp <classes>:<kafka lib>/* Seed produce-latency <bootstrap> <topic> <count> <intervalMs>
//   java -cp <classes>:<kafka lib>/* Seed committed <bootstrap> <group>
//   java -cp <classes>:<kafka lib>/* Seed member <bootstrap> <group> <topic> classic|consumer <seconds>
//   java -cp <classes>:<kafka lib>/* Seed acl-allow-read <bootstrap> <topic> <principal>
//   java -cp <classes>:<kafka lib>/* Seed acl-clear <bootstrap> <topic>
//   java -cp <classes>:<kafka lib>/* Seed produce-rate <bootstrap> <topic> <partitions> <count> <ratePerSec> <burst> <valueSize> [warmupTopic]
//
// This class only dispatches; each mode lives in the file named for what it does:
//   Readiness       ready, registered: wait for the broker / for node 2 to join
//   Seeding         seed: (re)create the fixed topics, write them, write <expectedDir>/
//   SeedContents    what each seeded topic holds (the records, built deterministically)
//   Verify          verify: read every seeded topic back and compare with <expectedDir>/
//   TopicTools      truncated, create, offsets-topic; topic (re)creation shared by other modes
//   Leadership      moved, elect, leader: the partition whose leader moves between node 1 and 2
//   ProduceLatency  produce-latency: the source of bench/e2e's produce-to-client latency
//   Groups          committed, member: a group's committed offsets (Admin); a live group member
//   Acls            acl-allow-read, acl-clear: topic ACLs for the authorization tests
//   ReadBack        partitions: the partition Kafka's Java producer picks for a key
//   ProduceRate     produce-rate: bench/e2e's fan-out source, a steady or bursty rate until stdin closes
// and the shared pieces: Clients (node ids, Admin and producer configs), Rec (one record and its
// ground truth), Json (the JSONL record lines), TopicSummary (topics.json).
//
// "ready" waits until the broker answers DescribeCluster and every existing topic partition has a
// leader (what a test needs right after a restart). "seed" (re)creates the fixed topics, writes
// them, and writes <expectedDir>/<topic>.jsonl (one JSON object per produced record, in
// partition/offset order), <expectedDir>/big.json (a summary instead of 100 000 lines) and
// <expectedDir>/topics.json. "verify" reads every seeded topic back with Kafka's own consumer
// (read_uncommitted and read_committed) and checks it against those files. Topics that already
// exist are deleted first, so a seed interrupted half-way can simply be run again. "truncated"
// makes the DeleteRecords topic; "create" makes an empty topic for a test or the demo
// (idempotent), "delete" deletes one (idempotent); offsets-topic, registered, moved, elect and leader serve the second broker
// (scripts/kafka/node2.sh). Compiled (every *.java here) by scripts/kafka/lib.sh seeder_build
// against the kafka-clients jar of the broker line it seeds; it uses only API present in both
// 3.9 and 4.x clients.

public final class Seed {
  private Seed() {}

  public static void main(String[] args) {
    int code;
    try {
      if (args.length == 3 && args[0].equals("ready")) {
        code = Readiness.ready(args[1], Long.parseLong(args[2]));
      } else if (args.length == 3 && args[0].equals("seed")) {
        code = Seeding.seed(args[1], java.nio.file.Paths.get(args[2]));
      } else if (args.length == 3 && args[0].equals("truncated")) {
        code = TopicTools.truncated(args[1], args[2]);
      } else if (args.length >= 4 && args[0].equals("create")) {
        java.util.Map<String, String> configs = new java.util.TreeMap<>();
        for (int i = 4; i < args.length; i++) {
          int eq = args[i].indexOf('=');
          if (eq <= 0) throw new IllegalArgumentException("topic config " + args[i] + " is not name=value");
          configs.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        code = TopicTools.create(args[1], args[2], Integer.parseInt(args[3]), configs);
      } else if (args.length == 3 && args[0].equals("delete")) {
        code = TopicTools.delete(args[1], args[2]);
      } else if (args.length == 4 && args[0].equals("dump")) {
        code = Verify.dump(args[1], args[2], args[3]);
      } else if (args.length >= 2 && args[0].equals("partitions")) {
        code = ReadBack.partitions(Integer.parseInt(args[1]), java.util.Arrays.copyOfRange(args, 2, args.length));
      } else if (args.length == 3 && args[0].equals("verify")) {
        code = Verify.verify(args[1], java.nio.file.Paths.get(args[2]));
      } else if (args.length == 2 && args[0].equals("offsets-topic")) {
        code = TopicTools.offsetsTopic(args[1]);
      } else if (args.length == 4 && args[0].equals("registered")) {
        code = Readiness.registered(args[1], Integer.parseInt(args[2]), Long.parseLong(args[3]));
      } else if (args.length == 3 && args[0].equals("moved")) {
        code = Leadership.moved(args[1], args[2]);
      } else if (args.length == 3 && args[0].equals("elect")) {
        code = Leadership.elect(args[1], args[2]);
      } else if (args.length == 3 && args[0].equals("leader")) {
        code = Leadership.leader(args[1], args[2]);
      } else if (args.length == 5 && args[0].equals("produce-latency")) {
        code = ProduceLatency.run(args[1], args[2], Integer.parseInt(args[3]), Long.parseLong(args[4]));
      } else if (args.length == 3 && args[0].equals("committed")) {
        code = Groups.committed(args[1], args[2]);
      } else if (args.length == 6 && args[0].equals("member")) {
        code = Groups.member(args[1], args[2], args[3], args[4], Long.parseLong(args[5]));
      } else if (args.length == 4 && args[0].equals("acl-allow-read")) {
        code = Acls.allowRead(args[1], args[2], args[3]);
      } else if (args.length == 3 && args[0].equals("acl-clear")) {
        code = Acls.clear(args[1], args[2]);
      } else if ((args.length == 8 || args.length == 9) && args[0].equals("produce-rate")) {
        code = ProduceRate.run(args[1], args[2], Integer.parseInt(args[3]), Long.parseLong(args[4]), Double.parseDouble(args[5]),
            Integer.parseInt(args[6]), Integer.parseInt(args[7]), args.length == 9 ? args[8] : null);
      } else {
        System.err.println("usage: Seed ready <bootstrap> <timeoutMs> | Seed seed|verify <bootstrap> <expectedDir>"
            + " | Seed truncated|moved|elect|leader|delete <bootstrap> <topic>"
            + " | Seed create <bootstrap> <topic> <partitions> [<config>=<value>...] | Seed partitions <count> <hex key>..."
            + " | Seed dump <bootstrap> <topic> read_uncommitted|read_committed"
            + " | Seed offsets-topic <bootstrap>"
            + " | Seed registered <bootstrap> <nodeId> <timeoutMs>"
            + " | Seed produce-latency <bootstrap> <topic> <count> <intervalMs>"
            + " | Seed committed <bootstrap> <group>"
            + " | Seed member <bootstrap> <group> <topic> classic|consumer <seconds>"
            + " | Seed acl-allow-read <bootstrap> <topic> <principal> | Seed acl-clear <bootstrap> <topic>"
            + " | Seed produce-rate <bootstrap> <topic> <partitions> <count> <ratePerSec> <burst> <valueSize> [warmupTopic]");
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
}
