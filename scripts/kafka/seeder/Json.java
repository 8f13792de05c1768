// The ground-truth record lines of <expectedDir>/<topic>.jsonl, and the JSON string escaping the
// seeder's other files share. Verify builds the same line from what it consumes and compares.
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;

import org.apache.kafka.common.header.Header;

final class Json {
  private Json() {}

  /** One line per record, in partition then offset order. */
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
}
