// What each seeded topic holds: the records "seed" produces, built the same way on every run
// (the codec topics' sizes come from a fixed Random seed). Offsets and, where no timestamp is
// set here, timestamps come from the broker and are recorded after producing.

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

final class SeedContents {
  private SeedContents() {}

  static final String[] CODECS = {"gzip", "snappy", "lz4", "zstd"};

  static List<Rec> plain() {
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      l.add(new Rec(0, Rec.utf8(String.format("key-%02d", i)), Rec.utf8(String.format("value-%02d", i)), Rec.hs(), null));
    }
    return l;
  }

  static List<Rec> multi() {
    // Unequal counts per partition so a test that mixes partitions up notices.
    int[] order = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0};
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < order.length; i++) {
      int p = order[i];
      l.add(new Rec(p, Rec.utf8("m-" + i), Rec.utf8("multi-p" + p + "-" + i), Rec.hs(), null));
    }
    return l;
  }

  static final String LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
      + "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco "
      + "laboris nisi ut aliquip ex ea commodo consequat. ";

  static byte[] text(int size, int seed) {
    StringBuilder sb = new StringBuilder(size + LOREM.length());
    sb.append('#').append(seed).append(' ');
    while (sb.length() < size) sb.append(LOREM);
    sb.setLength(size);
    return Rec.utf8(sb.toString());
  }

  static List<Rec> codec(String codec) {
    Random rnd = new Random(20231114L);
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      int size = i % 50 == 0 ? 4096 : i % 10 == 0 ? 1500 + rnd.nextInt(1000) : 8 + rnd.nextInt(300);
      byte[] key = i % 7 == 3 ? null : Rec.utf8(String.format("key-%04d", i));
      List<Header> h = new ArrayList<>();
      int n = i % 4;
      if (n >= 1) h.add(new RecordHeader("seq", Rec.utf8(Integer.toString(i))));
      if (n >= 2) h.add(new RecordHeader("codec", Rec.utf8(codec)));
      if (n >= 3) h.add(new RecordHeader("nullable", i % 8 == 3 ? null : Rec.utf8("v" + i)));
      l.add(new Rec(0, key, text(size, i), h, null));
    }
    return l;
  }

  static List<Rec> headers() {
    List<Rec> l = new ArrayList<>();
    l.add(new Rec(0, Rec.utf8("h0"), Rec.utf8("no headers"), Rec.hs(), null));
    l.add(new Rec(0, Rec.utf8("h1"), Rec.utf8("one header"), Rec.hs("a", "1"), null));
    l.add(new Rec(0, Rec.utf8("h2"), Rec.utf8("two headers"), Rec.hs("a", "1", "b", "2"), null));
    l.add(new Rec(0, Rec.utf8("h3"), Rec.utf8("three headers"), Rec.hs("a", "1", "b", "2", "c", "3"), null));
    l.add(new Rec(0, Rec.utf8("h4"), Rec.utf8("duplicate keys, order matters"), Rec.hs("dup", "first", "dup", "second", "dup", "third"), null));
    l.add(new Rec(0, Rec.utf8("h5"), Rec.utf8("null header value"), Rec.hs("null-value", null), null));
    l.add(new Rec(0, Rec.utf8("h6"), Rec.utf8("empty header value and null among others"), Rec.hs("empty", "", "null-value", null, "x", "y"), null));
    l.add(new Rec(0, Rec.utf8("h7"), Rec.utf8("empty header key"), Rec.hs("", "empty-key"), null));
    l.add(new Rec(0, Rec.utf8("h8"), Rec.utf8("utf-8 header"), Rec.hs("ключ", "värde ✓ 🚀"), null));
    List<Header> bin = new ArrayList<>();
    bin.add(new RecordHeader("bin", new byte[] {0, 1, 2, (byte) 0x7f, (byte) 0x80, (byte) 0xfe, (byte) 0xff}));
    l.add(new Rec(0, Rec.utf8("h9"), Rec.utf8("binary header value"), bin, null));
    return l;
  }

  static List<Rec> nulls() {
    List<Rec> l = new ArrayList<>();
    l.add(new Rec(0, null, Rec.utf8("value-with-null-key"), Rec.hs(), null));
    l.add(new Rec(0, Rec.utf8("key-with-null-value"), null, Rec.hs(), null));
    l.add(new Rec(0, new byte[0], Rec.utf8("value-with-empty-key"), Rec.hs(), null));
    l.add(new Rec(0, Rec.utf8("key-with-empty-value"), new byte[0], Rec.hs(), null));
    l.add(new Rec(0, null, null, Rec.hs(), null));
    l.add(new Rec(0, new byte[0], new byte[0], Rec.hs(), null));
    return l;
  }

  static List<Rec> logAppendTime() {
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      l.add(new Rec(0, Rec.utf8("lat-" + i), Rec.utf8("log-append-time-" + i), Rec.hs(), 1_600_000_000_000L + i));
    }
    return l;
  }

  static List<Rec> timestamps() {
    List<Rec> l = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long ts = Seeding.TIMESTAMP_BASE + 1000L * i;
      l.add(new Rec(0, Rec.utf8("ts-" + i), Rec.utf8("at-" + ts), Rec.hs(), ts));
    }
    return l;
  }
}
