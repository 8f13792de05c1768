/*
 * The codec kernels that run as WebAssembly: the LZ4 block decoder, XXH32 and XXH64. Built by
 * scripts/wasm/build.sh into codecs-wasm.ts (base64), which ../wasm.ts loads. They exist because
 * V8 runs them several times as fast as the same loops in TypeScript, copies in and out of the
 * module's memory included (BENCHMARKS.md, "Codec decoding"); 64-bit multiplies, which XXH64
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
