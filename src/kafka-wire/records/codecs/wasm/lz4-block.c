/*
 * LZ4 block decoder compiled to WebAssembly (scripts/wasm/build.sh; the bytes are embedded in
 * lz4-block-wasm.ts, which lz4.ts loads). Same grammar and the same checks as decodeBlockInto in
 * lz4.ts (lz4_Block_format.md): every length is checked against the bytes left in the block and
 * the output limit, every offset against 0 and the window start. It exists because V8 runs it
 * about three times as fast as the TypeScript loop on Kafka's batches, copies in and out included
 * (BENCHMARKS.md, "Codec decoding").
 *
 * Memory contract (kept by lz4-block-wasm.ts): all positions are byte offsets from `mem`; the
 * 16 bytes after `end` and the WILD_SLACK bytes after `op_limit` are addressable and hold nothing
 * the caller needs, because short copies move whole 8-byte words and may overshoot into them.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

static inline u64 load64(const u8 *p) { u64 v; __builtin_memcpy(&v, p, 8); return v; }
static inline void store64(u8 *p, u64 v) { __builtin_memcpy(p, &v, 8); }

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
    u8 *d = mem + op;
    const u8 *s = d - offset;
    u8 *stop = d + len;
    if (offset >= 8) {
      /* 8+ bytes behind: every word read is already final; the overshoot (< 8) is slack. */
      do {
        store64(d, load64(s));
        d += 8;
        s += 8;
      } while (d < stop);
    } else {
      /* Overlapping: repeat the last `offset` bytes one at a time. */
      while (d < stop) *d++ = *s++;
    }
    op += len;
  }
}
