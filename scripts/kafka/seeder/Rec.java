// One record to produce, and later its ground truth; with the byte helpers that build one.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

final class Rec {
  final int partition;
  final byte[] key;
  final byte[] value;
  final List<Header> headers;
  /** Explicit CreateTime, or null: the producer stamps its wall clock. */
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

  ProducerRecord<byte[], byte[]> toRecord(String topic) {
    return new ProducerRecord<>(topic, partition, timestamp, key, value, headers);
  }

  /** Takes the offset and timestamp the broker acknowledged. */
  void fill(RecordMetadata md) {
    if (md.partition() != partition) throw new IllegalStateException("record went to partition " + md.partition());
    offset = md.offset();
    brokerTimestamp = md.timestamp();
  }

  static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  /** Headers from key, value pairs (UTF-8; a null value stays null). */
  static List<Header> hs(String... kv) {
    List<Header> l = new ArrayList<>();
    for (int i = 0; i < kv.length; i += 2) l.add(new RecordHeader(kv[i], utf8(kv[i + 1])));
    return l;
  }
}
