// ACL modes ("acl-allow-read", "acl-clear"): topic ACLs set with Kafka's Java Admin client, for
// tests of per-user authorization (the brokers run the StandardAuthorizer with
// allow.everyone.if.no.acl.found=true, see scripts/kafka/start.sh write_config).

import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

final class Acls {
  private Acls() {}

  static final long VISIBLE_TIMEOUT_MS = 30_000;

  /**
   * ALLOW READ and DESCRIBE on the literal topic for User:<principal>, from any host: what a
   * consumer needs for Metadata, ListOffsets and Fetch without a group. Once a topic has an ACL,
   * every principal it does not name (super users aside) gets TOPIC_AUTHORIZATION_FAILED.
   * Idempotent. Returns once the broker answering DescribeAcls lists both, i.e. once its
   * authorizer has applied them. Prints "allowed User:<principal> READ,DESCRIBE on topic <topic>".
   */
  static int allowRead(String bootstrap, String topic, String principal) throws Exception {
    ResourcePattern resource = new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL);
    String user = "User:" + principal;
    List<AclBinding> bindings = Arrays.asList(
        new AclBinding(resource, new AccessControlEntry(user, "*", AclOperation.READ, AclPermissionType.ALLOW)),
        new AclBinding(resource, new AccessControlEntry(user, "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW)));
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
      admin.createAcls(bindings).all().get();
      // CreateAcls is answered once the controller committed the records; the broker applies
      // them when it replays the metadata log, and in KRaft DescribeAcls reads its authorizer.
      long deadline = System.currentTimeMillis() + VISIBLE_TIMEOUT_MS;
      while (!admin.describeAcls(onTopic(topic)).values().get().containsAll(bindings)) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("the ACLs on topic " + topic + " did not show up in DescribeAcls");
        Thread.sleep(50);
      }
    }
    System.out.println("allowed " + user + " READ,DESCRIBE on topic " + topic);
    return 0;
  }

  /**
   * Deletes every ACL on the literal topic, so it is open to everyone again. Idempotent. Returns
   * once DescribeAcls lists none. Prints "cleared <n> ACLs on topic <topic>".
   */
  static int clear(String bootstrap, String topic) throws Exception {
    int n;
    try (Admin admin = Admin.create(Clients.adminProps(bootstrap))) {
      Collection<AclBinding> deleted = admin.deleteAcls(Arrays.asList(onTopic(topic))).all().get();
      n = deleted.size();
      long deadline = System.currentTimeMillis() + VISIBLE_TIMEOUT_MS;
      while (!admin.describeAcls(onTopic(topic)).values().get().isEmpty()) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("ACLs on topic " + topic + " still listed after deleting them");
        Thread.sleep(50);
      }
    }
    System.out.println("cleared " + n + " ACLs on topic " + topic);
    return 0;
  }

  private static AclBindingFilter onTopic(String topic) {
    return new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, topic, PatternType.LITERAL), AccessControlEntryFilter.ANY);
  }
}
