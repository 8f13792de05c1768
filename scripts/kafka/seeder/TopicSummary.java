// One seeded topic's line in <expectedDir>/topics.json, and writing that file.

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

final class TopicSummary {
  final String name;
  final int partitions;
  final String codec;
  final String timestampType;
  final boolean transactional;
  final String expectedFile;
  final String contents;
  long records;
  long aborted;

  TopicSummary(String name, int partitions, String codec, String timestampType, boolean transactional,
      String expectedFile, String contents) {
    this.name = name;
    this.partitions = partitions;
    this.codec = codec;
    this.timestampType = timestampType;
    this.transactional = transactional;
    this.expectedFile = expectedFile;
    this.contents = contents;
  }

  /** <dir>/topics.json: the summaries, each with every partition's offsets as the broker reports them. */
  static void writeTopicsJson(Admin admin, Path dir, List<TopicSummary> summaries) throws Exception {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    for (TopicSummary s : summaries) {
      for (int p = 0; p < s.partitions; p++) {
        latest.put(new TopicPartition(s.name, p), OffsetSpec.latest());
        earliest.put(new TopicPartition(s.name, p), OffsetSpec.earliest());
      }
    }
    // Transaction markers are written asynchronously after commit/abort returns, so wait until
    // the last stable offset has caught up with the high watermark everywhere.
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> hw = null;
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> lso = null;
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      hw = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get();
      lso = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
      boolean same = true;
      for (TopicPartition tp : latest.keySet()) if (hw.get(tp).offset() != lso.get(tp).offset()) same = false;
      if (same) break;
      Thread.sleep(100);
    }
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> start = admin.listOffsets(earliest).all().get();

    StringBuilder sb = new StringBuilder("{\n  \"topics\": [\n");
    for (int i = 0; i < summaries.size(); i++) {
      TopicSummary s = summaries.get(i);
      sb.append("    {\"name\":").append(Json.jsonString(s.name))
          .append(",\"partitions\":").append(s.partitions)
          .append(",\"codec\":").append(Json.jsonString(s.codec))
          .append(",\"timestampType\":").append(Json.jsonString(s.timestampType))
          .append(",\"transactional\":").append(s.transactional)
          .append(",\"records\":").append(s.records)
          .append(",\"committedRecords\":").append(s.records - s.aborted)
          .append(",\"abortedRecords\":").append(s.aborted)
          .append(",\"expectedFile\":").append(Json.jsonString(s.expectedFile))
          .append(",\"contents\":").append(Json.jsonString(s.contents))
          .append(",\"offsets\":[");
      for (int p = 0; p < s.partitions; p++) {
        TopicPartition tp = new TopicPartition(s.name, p);
        if (p > 0) sb.append(',');
        sb.append("{\"partition\":").append(p)
            .append(",\"logStartOffset\":\"").append(start.get(tp).offset()).append('"')
            .append(",\"highWatermark\":\"").append(hw.get(tp).offset()).append('"')
            .append(",\"lastStableOffset\":\"").append(lso.get(tp).offset()).append("\"}");
      }
      sb.append("]}").append(i + 1 < summaries.size() ? ",\n" : "\n");
    }
    sb.append("  ]\n}\n");
    Files.write(dir.resolve("topics.json"), sb.toString().getBytes(StandardCharsets.UTF_8));
  }
}
