// How the seeder's modes reach the test cluster: node ids and the Admin and producer configs.

import java.util.Properties;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

final class Clients {
  private Clients() {}

  /** Node ids: node 1 is start.sh's combined broker+controller, node 2 the broker-only node2.sh. */
  static final int NODE_1 = 1;
  static final int NODE_2 = 2;

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
  static Properties producerProps(String bootstrap) {
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
}
