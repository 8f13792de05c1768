/*
 * The codec kernels that run as WebAssembly: the LZ4 and Snappy block decoders, zstd's sequences
 * loop and Huffman literals, XXH32 and XXH64. Built by
 * scripts/wasm/build.sh into codecs-wasm.ts (base64), which ../wasm.ts loads. They exist because
 * V8 runs them faster than the same loops in TypeScript, copies in and out of the module's
 * memory included (BENCHMARKS.md, "Codec decoding"); 64-bit multiplies, which XXH64
 * needs, are not available to JavaScript at all without BigInt.
 *
 * The LZ4 decoder has the grammar and the checks of decodeBlockInto in ../lz4.ts
 * (lz4_Block_format.md): every length is checked against the bytes left in the block and the
 * output limit, every offset against 0 and the window start.
 *
 * Memory contract (kept by ../wasm.ts): positions are byte offsets from `mem`; the 16 bytes
 * after a block's `end` and the 32 bytes after `op_limit` are addressable and hold nothing the
 * caller needs, because short copies move whole 8-byte words and may overshoot into them.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

static inline u64 load64(const u8 *p) { u64 v; __builtin_memcpy(&v, p, 8); return v; }
static inline void store64(u8 *p, u64 v) { __builtin_memcpy(p, &v, 8); }

/*
 * Copies a match of len bytes from offset bytes back to d. Short offsets repeat a pattern of
 * that period: after the first period-aligned stretch of 8+ bytes is written byte by byte, a
 * source that many bytes back holds the same bytes, so the rest moves in 8-byte words. May write
 * up to 7 bytes past d + len (the callers' slack).
 */
static inline void copy_match(u8 *d, u32 offset, u32 len) {
  u8 *stop = d + len;
  if (offset >= 8) {
    if (offset >= len && len > 64) {
      __builtin_memmove(d, d - offset, len);
      return;
    }
    const u8 *s = d - offset;
    do {
      store64(d, load64(s));
      d += 8;
      s += 8;
    } while (d < stop);
    return;
  }
  if (offset == 1) {
    __builtin_memset(d, d[-1], len);
    return;
  }
  u32 dist = offset;
  while (dist < 8) dist += offset;
  const u8 *s = d - offset;
  u8 *head = d + (dist < len ? dist : len);
  while (d < head) *d++ = *s++;
  s = d - dist;
  while (d < stop) {
    store64(d, load64(s));
    d += 8;
    s += 8;
  }
}

/* Where in the input the last failure was found (read by the caller after a negative return). */
int lz4_error_pos;

enum {
  LZ4_TRUNCATED_TOKEN = -1,     /* the block ends before a sequence token */
  LZ4_TRUNCATED_LITLEN = -2,    /* literal length is cut off */
  LZ4_TRUNCATED_LITERALS = -3,  /* literal run runs past the block */
  LZ4_OUTPUT_LIMIT = -4,        /* output would pass op_limit */
  LZ4_TRUNCATED_OFFSET = -5,    /* match offset is cut off */
  LZ4_OFFSET_ZERO = -6,         /* match offset 0 */
  LZ4_OFFSET_WINDOW = -7,       /* match offset reaches before the window */
  LZ4_TRUNCATED_MATCHLEN = -8,  /* match length is cut off */
};

/*
 * Decodes the block mem[ip, end) into mem[op, ...), producing at most up to op_limit; matches may
 * reach back to window_start. Returns the new output position, or one of the codes above with
 * lz4_error_pos set.
 */
int lz4_block(u8 *mem, int ip, int end, int op, int op_limit, int window_start) {
  for (;;) {
    if (ip >= end) { lz4_error_pos = ip; return LZ4_TRUNCATED_TOKEN; }
    int token_pos = ip;
    u32 token = mem[ip++];
    u32 lit = token >> 4;
    if (lit == 15) {
      u32 b;
      do {
        if (ip >= end) { lz4_error_pos = token_pos; return LZ4_TRUNCATED_LITLEN; }
        b = mem[ip++];
        lit += b;
      } while (b == 255);
    }
    if (lit > (u32)(end - ip)) { lz4_error_pos = token_pos; return LZ4_TRUNCATED_LITERALS; }
    if (lit > (u32)(op_limit - op)) { lz4_error_pos = token_pos; return LZ4_OUTPUT_LIMIT; }
    if (lit <= 16) {
      /* 16 bytes whatever the length: the overshoot lands in the slack or is overwritten later. */
      store64(mem + op, load64(mem + ip));
      store64(mem + op + 8, load64(mem + ip + 8));
    } else {
      __builtin_memmove(mem + op, mem + ip, lit);
    }
    ip += lit;
    op += lit;
    /* The last sequence is literals only and ends the block. */
    if (ip == end) return op;
    if (end - ip < 2) { lz4_error_pos = ip; return LZ4_TRUNCATED_OFFSET; }
    u32 offset = mem[ip] | ((u32)mem[ip + 1] << 8);
    if (offset == 0) { lz4_error_pos = ip; return LZ4_OFFSET_ZERO; }
    if (offset > (u32)(op - window_start)) { lz4_error_pos = ip; return LZ4_OFFSET_WINDOW; }
    ip += 2;
    u32 len = token & 15;
    if (len == 15) {
      u32 b;
      do {
        if (ip >= end) { lz4_error_pos = token_pos; return LZ4_TRUNCATED_MATCHLEN; }
        b = mem[ip++];
        len += b;
      } while (b == 255);
    }
    len += 4;
    if (len > (u32)(op_limit - op)) { lz4_error_pos = token_pos; return LZ4_OUTPUT_LIMIT; }
    copy_match(mem + op, offset, len);
    op += len;
  }
}

/* --- xxHash (doc/xxhash_spec.md v0.1.1): lz4 checksums use XXH32, zstd's the low half of XXH64. --- */

static const u32 P32_1 = 0x9E3779B1u, P32_2 = 0x85EBCA77u, P32_3 = 0xC2B2AE3Du, P32_4 = 0x27D4EB2Fu, P32_5 = 0x165667B1u;
static const u64 P64_1 = 0x9E3779B185EBCA87ull, P64_2 = 0xC2B2AE3D27D4EB4Full, P64_3 = 0x165667B19E3779F9ull,
                 P64_4 = 0x85EBCA77C2B2AE63ull, P64_5 = 0x27D4EB2F165667C5ull;

static inline u32 load32(const u8 *p) { u32 v; __builtin_memcpy(&v, p, 4); return v; }
static inline u32 rotl32(u32 x, int r) { return (x << r) | (x >> (32 - r)); }
static inline u64 rotl64(u64 x, int r) { return (x << r) | (x >> (64 - r)); }

/* XXH32 of mem[p, p + len) with seed 0. */
u32 xxh32(const u8 *mem, int p, int len) {
  const u8 *s = mem + p;
  const u8 *end = s + len;
  u32 h;
  if (len >= 16) {
    u32 v1 = P32_1 + P32_2, v2 = P32_2, v3 = 0, v4 = 0u - P32_1;
    const u8 *limit = end - 16;
    do {
      v1 = rotl32(v1 + load32(s) * P32_2, 13) * P32_1;
      v2 = rotl32(v2 + load32(s + 4) * P32_2, 13) * P32_1;
      v3 = rotl32(v3 + load32(s + 8) * P32_2, 13) * P32_1;
      v4 = rotl32(v4 + load32(s + 12) * P32_2, 13) * P32_1;
      s += 16;
    } while (s <= limit);
    h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
  } else {
    h = P32_5;
  }
  h += (u32)len;
  for (; s + 4 <= end; s += 4) h = rotl32(h + load32(s) * P32_3, 17) * P32_4;
  for (; s < end; s++) h = rotl32(h + *s * P32_5, 11) * P32_1;
  h ^= h >> 15;
  h *= P32_2;
  h ^= h >> 13;
  h *= P32_3;
  h ^= h >> 16;
  return h;
}

static inline u64 round64(u64 acc, u64 in) { return rotl64(acc + in * P64_2, 31) * P64_1; }
static inline u64 merge64(u64 acc, u64 v) { return (acc ^ round64(0, v)) * P64_1 + P64_4; }

/* Low 32 bits of XXH64 of mem[p, p + len) with seed 0 (a zstd Content_Checksum). */
u32 xxh64_low32(const u8 *mem, int p, int len) {
  const u8 *s = mem + p;
  const u8 *end = s + len;
  u64 h;
  if (len >= 32) {
    u64 v1 = P64_1 + P64_2, v2 = P64_2, v3 = 0, v4 = 0ull - P64_1;
    const u8 *limit = end - 32;
    do {
      v1 = round64(v1, load64(s));
      v2 = round64(v2, load64(s + 8));
      v3 = round64(v3, load64(s + 16));
      v4 = round64(v4, load64(s + 24));
      s += 32;
    } while (s <= limit);
    h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
    h = merge64(h, v1);
    h = merge64(h, v2);
    h = merge64(h, v3);
    h = merge64(h, v4);
  } else {
    h = P64_5;
  }
  h += (u64)(u32)len;
  for (; s + 8 <= end; s += 8) h = rotl64(h ^ round64(0, load64(s)), 27) * P64_1 + P64_4;
  if (s + 4 <= end) {
    h = rotl64(h ^ ((u64)load32(s) * P64_1), 23) * P64_2 + P64_3;
    s += 4;
  }
  for (; s < end; s++) h = rotl64(h ^ (*s * P64_5), 11) * P64_1;
  h ^= h >> 33;
  h *= P64_2;
  h ^= h >> 29;
  h *= P64_3;
  h ^= h >> 32;
  return (u32)h;
}

/* --- zstd sequences (RFC 8878 sections 3.1.1.3.2 to 3.1.1.5), the loop of decodeSequences in ../zstd.ts. --- */

enum {
  ZSTD_INITIAL_STATES = -1,  /* sequence bitstream too short for the initial states */
  ZSTD_REPEAT_ZERO = -2,     /* repeat offset 1 minus 1 is zero */
  ZSTD_OVERFLOW = -3,        /* sequence bitstream overflow */
  ZSTD_LITERALS = -4,        /* sequence uses more literals than decoded */
  ZSTD_OUTPUT_LIMIT = -5,    /* block output exceeds its limit */
  ZSTD_OFFSET_WINDOW = -6,   /* match offset reaches before the frame start */
  ZSTD_NOT_CONSUMED = -7,    /* sequence bitstream not consumed exactly */
};

/* n (0..31) bits at bit position q of the little-endian stream in mem. */
static inline u32 bits_at(const u8 *mem, int q, u32 n) {
  return (u32)(load64(mem + (q >> 3)) >> (q & 7)) & (u32)((1ull << n) - 1);
}

/*
 * Decodes and executes nb_seq sequences from the backward bitstream mem[p, end) (its last byte is
 * non-zero), with the packed tables of ../zstd.ts (cell: baseline | nbBits << 16 | symbol << 24;
 * value: length baseline | extra bits << 24), literals from mem[lit, lit_end), output from op up
 * to limit, matches not before frame_start. io[0..2] hold the repeat offsets, in and out; io[3]
 * gets the literal position after the last sequence. Returns the new op or a code above.
 * The 16 bytes after lit_end and the 32 after limit are slack, as for lz4_block.
 */
int zstd_sequences(u8 *mem, int p, int end, int nb_seq,
                   const int *ll_cell, const int *ll_value, u32 ll_log,
                   const int *of_cell, u32 of_log,
                   const int *ml_cell, const int *ml_value, u32 ml_log,
                   int lit, int lit_end, int op, int limit, int frame_start, u32 *io) {
  const int start_bit = p * 8;
  u32 last = mem[end - 1];
  int bp = (end - 1) * 8 + (31 - __builtin_clz(last));
  bp -= ll_log;
  u32 ll_state = bits_at(mem, bp, ll_log);
  bp -= of_log;
  u32 of_state = bits_at(mem, bp, of_log);
  bp -= ml_log;
  u32 ml_state = bits_at(mem, bp, ml_log);
  if (bp < start_bit) return ZSTD_INITIAL_STATES;
  u32 rep1 = io[0], rep2 = io[1], rep3 = io[2];
  for (int s = 0; s < nb_seq; s++) {
    u32 ll_e = (u32)ll_cell[ll_state];
    u32 ml_e = (u32)ml_cell[ml_state];
    u32 of_e = (u32)of_cell[of_state];
    u32 of_code = of_e >> 24;
    bp -= of_code;
    u32 of_value = (1u << of_code) + bits_at(mem, bp, of_code);
    u32 v = (u32)ml_value[ml_state];
    u32 n = v >> 24;
    bp -= n;
    u32 match_len = (v & 0xffffff) + bits_at(mem, bp, n);
    v = (u32)ll_value[ll_state];
    n = v >> 24;
    bp -= n;
    u32 lit_len = (v & 0xffffff) + bits_at(mem, bp, n);
    u32 offset;
    if (of_value > 3) {
      offset = of_value - 3;
      rep3 = rep2;
      rep2 = rep1;
      rep1 = offset;
    } else {
      u32 idx = of_value - 1 + (lit_len == 0 ? 1 : 0);
      if (idx == 0) {
        offset = rep1;
      } else if (idx == 1) {
        offset = rep2;
        rep2 = rep1;
        rep1 = offset;
      } else if (idx == 2) {
        offset = rep3;
        rep3 = rep2;
        rep2 = rep1;
        rep1 = offset;
      } else {
        offset = rep1 - 1;
        if (offset == 0) return ZSTD_REPEAT_ZERO;
        rep3 = rep2;
        rep2 = rep1;
        rep1 = offset;
      }
    }
    if (s + 1 < nb_seq) {
      n = (ll_e >> 16) & 0xff;
      bp -= n;
      ll_state = (ll_e & 0xffff) + bits_at(mem, bp, n);
      n = (ml_e >> 16) & 0xff;
      bp -= n;
      ml_state = (ml_e & 0xffff) + bits_at(mem, bp, n);
      n = (of_e >> 16) & 0xff;
      bp -= n;
      of_state = (of_e & 0xffff) + bits_at(mem, bp, n);
    }
    if (bp < start_bit) return ZSTD_OVERFLOW;
    if (lit_len > (u32)(lit_end - lit)) return ZSTD_LITERALS;
    if ((u64)lit_len + match_len > (u64)(limit - op)) return ZSTD_OUTPUT_LIMIT;
    if (lit_len <= 16) {
      store64(mem + op, load64(mem + lit));
      store64(mem + op + 8, load64(mem + lit + 8));
    } else {
      __builtin_memmove(mem + op, mem + lit, lit_len);
    }
    op += lit_len;
    lit += lit_len;
    if (offset > (u32)(op - frame_start)) return ZSTD_OFFSET_WINDOW;
    copy_match(mem + op, offset, match_len);
    op += match_len;
  }
  if (bp != start_bit) return ZSTD_NOT_CONSUMED;
  io[0] = rep1;
  io[1] = rep2;
  io[2] = rep3;
  io[3] = (u32)lit;
  return op;
}

/* --- Snappy raw blocks (format_description.txt), the loop of decodeElements in ../snappy.ts. --- */

enum {
  SNAPPY_LITLEN_CUT = -1,      /* literal length is cut off */
  SNAPPY_LITERAL_CUT = -2,     /* literal runs past the end of the block */
  SNAPPY_LITERAL_OVER = -3,    /* literal overflows the declared uncompressed length */
  SNAPPY_OFFSET_CUT = -4,      /* copy offset is cut off */
  SNAPPY_OFFSET_RANGE = -5,    /* copy offset is out of range */
  SNAPPY_COPY_OVER = -6,       /* copy overflows the declared uncompressed length */
  SNAPPY_SHORT = -7,           /* block produced fewer bytes than declared */
};

/* Where in the input the last failure was found. */
int snappy_error_pos;

/*
 * Decodes the elements mem[ip, end) of one raw block (its length preamble already read) into
 * mem[op, op_end), which must come out exactly full. Returns op_end or a code above. The 16 bytes
 * after end and the 32 after op_end are slack, as for lz4_block.
 */
int snappy_block(u8 *mem, int ip, int end, int op, int op_end) {
  const int out_start = op;
  while (ip < end) {
    int tag_pos = ip;
    u32 tag = mem[ip++];
    u32 kind = tag & 3;
    if (kind == 0) {
      u64 n = tag >> 2;
      if (n >= 60) {
        int extra = (int)n - 59;
        if (end - ip < extra) { snappy_error_pos = tag_pos; return SNAPPY_LITLEN_CUT; }
        n = mem[ip];
        if (extra > 1) n |= (u32)mem[ip + 1] << 8;
        if (extra > 2) n |= (u32)mem[ip + 2] << 16;
        if (extra > 3) n |= (u64)mem[ip + 3] << 24;
        ip += extra;
      }
      n += 1;
      if (n > (u64)(end - ip)) { snappy_error_pos = tag_pos; return SNAPPY_LITERAL_CUT; }
      if (n > (u64)(op_end - op)) { snappy_error_pos = tag_pos; return SNAPPY_LITERAL_OVER; }
      if (n <= 16) {
        store64(mem + op, load64(mem + ip));
        store64(mem + op + 8, load64(mem + ip + 8));
      } else {
        __builtin_memmove(mem + op, mem + ip, n);
      }
      ip += (int)n;
      op += (int)n;
      continue;
    }
    u32 len, offset;
    if (kind == 1) {
      if (ip >= end) { snappy_error_pos = tag_pos; return SNAPPY_OFFSET_CUT; }
      len = 4 + ((tag >> 2) & 7);
      offset = ((tag >> 5) << 8) | mem[ip++];
    } else if (kind == 2) {
      if (end - ip < 2) { snappy_error_pos = tag_pos; return SNAPPY_OFFSET_CUT; }
      len = (tag >> 2) + 1;
      offset = mem[ip] | ((u32)mem[ip + 1] << 8);
      ip += 2;
    } else {
      if (end - ip < 4) { snappy_error_pos = tag_pos; return SNAPPY_OFFSET_CUT; }
      len = (tag >> 2) + 1;
      offset = load32(mem + ip);
      ip += 4;
    }
    if (offset == 0 || offset > (u32)(op - out_start)) { snappy_error_pos = tag_pos; return SNAPPY_OFFSET_RANGE; }
    if (len > (u32)(op_end - op)) { snappy_error_pos = tag_pos; return SNAPPY_COPY_OVER; }
    copy_match(mem + op, offset, len);
    op += len;
  }
  if (op != op_end) { snappy_error_pos = end; return SNAPPY_SHORT; }
  return op;
}

/* --- zstd Huffman-coded literals (RFC 8878 section 4.2.2), decodeHuffmanStream in ../zstd.ts. --- */

enum {
  HUF_EMPTY = -1,         /* empty Huffman stream */
  HUF_NO_END_MARK = -2,   /* Huffman stream has no end marker */
  HUF_NOT_CONSUMED = -3,  /* Huffman stream not consumed exactly */
};

/*
 * Decodes count symbols of the backward stream mem[start, end) into mem[op, ...) with the table of
 * ../zstd.ts (entry = symbol | code length << 8, indexed by the next `log` bits). Bits read below
 * the stream's start come from the bytes before it, as in the TypeScript version; a valid code
 * never depends on them. Returns 0 or a code above.
 */
int huf_stream(u8 *mem, const unsigned short *table, u32 log, int start, int end, int op, int count) {
  if (end <= start) return HUF_EMPTY;
  u32 last = mem[end - 1];
  if (last == 0) return HUF_NO_END_MARK;
  int bp = (end - 1) * 8 + (31 - __builtin_clz(last));
  const u32 mask = (1u << log) - 1;
  u8 *o = mem + op;
  u8 *stop = o + count;
  while (o < stop) {
    int q = bp - (int)log;
    u32 e = table[(load32(mem + (q >> 3)) >> (q & 7)) & mask];
    *o++ = (u8)e;
    bp -= (int)(e >> 8);
  }
  return bp == start * 8 ? 0 : HUF_NOT_CONSUMED;
}

/*
 * The four-stream literals of RFC 8878 section 3.1.1.3.1.6: streams mem[ends[k-1], ends[k]) for
 * k = 0..3 (ends[-1] = start), `seg` symbols each and `last_seg` (<= seg) for the fourth, written
 * to mem[op + k * seg ...]. The four streams are decoded in step, which lets the CPU overlap their
 * table lookups. Same checks as four huf_stream calls; returns 0 or one of their codes.
 */
int huf_4streams(u8 *mem, const unsigned short *table, u32 log, int start, int end1, int end2, int end3, int end4,
                 int op, int seg, int last_seg) {
  const int starts[4] = { start, end1, end2, end3 };
  const int ends[4] = { end1, end2, end3, end4 };
  int bp[4];
  for (int k = 0; k < 4; k++) {
    if (ends[k] <= starts[k]) return HUF_EMPTY;
    u32 last = mem[ends[k] - 1];
    if (last == 0) return HUF_NO_END_MARK;
    bp[k] = (ends[k] - 1) * 8 + (31 - __builtin_clz(last));
  }
  const u32 mask = (1u << log) - 1;
  int b0 = bp[0], b1 = bp[1], b2 = bp[2], b3 = bp[3];
  u8 *o0 = mem + op, *o1 = o0 + seg, *o2 = o1 + seg, *o3 = o2 + seg;
  u8 *stop3 = o3 + last_seg;
  while (o3 < stop3) {
    int q0 = b0 - (int)log, q1 = b1 - (int)log, q2 = b2 - (int)log, q3 = b3 - (int)log;
    u32 e0 = table[(load32(mem + (q0 >> 3)) >> (q0 & 7)) & mask];
    u32 e1 = table[(load32(mem + (q1 >> 3)) >> (q1 & 7)) & mask];
    u32 e2 = table[(load32(mem + (q2 >> 3)) >> (q2 & 7)) & mask];
    u32 e3 = table[(load32(mem + (q3 >> 3)) >> (q3 & 7)) & mask];
    *o0++ = (u8)e0;
    *o1++ = (u8)e1;
    *o2++ = (u8)e2;
    *o3++ = (u8)e3;
    b0 -= (int)(e0 >> 8);
    b1 -= (int)(e1 >> 8);
    b2 -= (int)(e2 >> 8);
    b3 -= (int)(e3 >> 8);
  }
  /* The first three streams may have one more symbol than the fourth. */
  u8 *stop0 = mem + op + seg;
  while (o0 < stop0) {
    int q0 = b0 - (int)log, q1 = b1 - (int)log, q2 = b2 - (int)log;
    u32 e0 = table[(load32(mem + (q0 >> 3)) >> (q0 & 7)) & mask];
    u32 e1 = table[(load32(mem + (q1 >> 3)) >> (q1 & 7)) & mask];
    u32 e2 = table[(load32(mem + (q2 >> 3)) >> (q2 & 7)) & mask];
    *o0++ = (u8)e0;
    *o1++ = (u8)e1;
    *o2++ = (u8)e2;
    b0 -= (int)(e0 >> 8);
    b1 -= (int)(e1 >> 8);
    b2 -= (int)(e2 >> 8);
  }
  if (b0 != start * 8 || b1 != end1 * 8 || b2 != end2 * 8 || b3 != end3 * 8) return HUF_NOT_CONSUMED;
  return 0;
}
