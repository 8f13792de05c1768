// "produce-rate": the producer side of the end-to-end benchmark's fan-out phase
// (bench/e2e/fanout.ts, scripts/kafka/produce-rate.sh).

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

final class ProduceRate {
  private ProduceRate() {}

  /** Filler after the timestamp: readers stop at the first byte that is not a digit. */
  private static final byte PAD = '.';

  /**
   * Records of `valueSize` bytes at `ratePerSec`, spread over partitions 0..partitions-1 in turn,
   * until `count` are sent or standard input closes (the benchmark closes it to stop a run of
   * unknown length), whichever comes first. Each value starts with the wall clock in epoch
   * microseconds (decimal ASCII) taken just before send(), padded to `valueSize`; readers on this
   * machine take arrival minus that.
   *
   * `burst` 1 is a steady stream: one record every 1/rate s, linger.ms=0, each record leaves at
   * once (the latency producer's settings). `burst` N > 1 sends N records back to back every
   * N/rate s with linger.ms=2, so a burst lands in one batch per partition, as a producer under
   * load sends them: the proxy then pushes many records per frame. acks=1, no idempotence. Metadata
   * is fetched first; "ready" is printed just before the first record, "sent N" at the end.
   *
   * `warmupTopic` (or null): one record is sent there and acknowledged before "ready", so the
   * producer's connection to the partition leader is open before the first measured record (the
   * bootstrap connection only serves metadata; without this the first record after a silence
   * carried a TCP connect and a handshake of the producer's own).
   */
  static int run(String bootstrap, String topic, int partitions, long count, double ratePerSec, int burst, int valueSize, String warmupTopic) throws Exception {
    if (partitions < 1 || count < 1 || !(ratePerSec > 0) || burst < 1 || valueSize < 16) {
      throw new IllegalArgumentException("produce-rate: partitions, count, rate and burst must be positive and valueSize at least 16");
    }
    Properties p = Clients.producerProps(bootstrap);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "kwp-bench-fanout");
    p.put(ProducerConfig.ACKS_CONFIG, "1");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
    p.put(ProducerConfig.LINGER_MS_CONFIG, burst == 1 ? "0" : "2");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(Math.max(16384, burst * (valueSize + 64))));
    AtomicReference<Exception> failure = new AtomicReference<>();
    AtomicLong sent = new AtomicLong();
    Thread stdin = watchStdin();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      int found = producer.partitionsFor(topic).size();
      if (found < partitions) throw new IllegalStateException(topic + " has " + found + " partitions, not " + partitions);
      if (warmupTopic != null) producer.send(new ProducerRecord<>(warmupTopic, 0, null, stamped(valueSize))).get();
      System.out.println("ready");
      System.out.flush();
      long stepNanos = Math.round(burst * 1e9 / ratePerSec);
      long next = System.nanoTime();
      long i = 0;
      while (i < count && stdin.isAlive() && failure.get() == null) {
        long wait = next - System.nanoTime();
        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
        next += stepNanos;
        for (int b = 0; b < burst && i < count; b++, i++) {
          byte[] value = stamped(valueSize);
          producer.send(new ProducerRecord<>(topic, (int) (i % partitions), null, value), (md, e) -> {
            if (e != null) failure.compareAndSet(null, e);
            else sent.incrementAndGet();
          });
        }
      }
      producer.flush();
    }
    if (failure.get() != null) throw failure.get();
    System.out.println("sent " + sent.get());
    return 0;
  }

  /** The wall clock in epoch microseconds as decimal ASCII, padded to `size` bytes. */
  private static byte[] stamped(int size) {
    Instant now = Instant.now();
    byte[] digits = Long.toString(now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000).getBytes(StandardCharsets.US_ASCII);
    byte[] value = Arrays.copyOf(digits, size);
    Arrays.fill(value, digits.length, size, PAD);
    return value;
  }

  /** A daemon thread that ends when standard input reaches its end (or fails). */
  private static Thread watchStdin() {
    Thread t = new Thread(() -> {
      InputStream in = System.in;
      byte[] buf = new byte[256];
      try {
        while (in.read(buf) >= 0) {
          // Input is ignored: only its end matters.
        }
      } catch (java.io.IOException e) {
        // A closed or broken stdin means the same as its end.
      }
    }, "stdin-watch");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
