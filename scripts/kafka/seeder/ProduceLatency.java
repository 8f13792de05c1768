// "produce-latency": the producer side of the end-to-end benchmark's produce-to-client latency
// (bench/e2e/latency.ts, scripts/kafka/produce-latency.sh).

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

final class ProduceLatency {
  private ProduceLatency() {}

  /**
   * `count` records to partition 0 of `topic`, one every `intervalMs`, each value the wall clock
   * in epoch microseconds (decimal ASCII) taken just before send(). acks=1 and linger.ms=0, so
   * every record leaves at once, as a latency-sensitive producer sends. Readers on this machine
   * take arrival minus value. Metadata is fetched before the first timestamp. Prints "sent N".
   */
  static int run(String bootstrap, String topic, int count, long intervalMs) throws Exception {
    Properties p = Clients.producerProps(bootstrap);
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
        sent.add(producer.send(new ProducerRecord<>(topic, 0, null, Rec.utf8(Long.toString(micros)))));
      }
      producer.flush();
      for (Future<RecordMetadata> f : sent) f.get();
    }
    System.out.println("sent " + count);
    return 0;
  }
}
