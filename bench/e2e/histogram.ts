/**
 * A latency histogram in microseconds with 64 linear sub-buckets per power of two (HdrHistogram's
 * layout, about 1.6 % relative error), so worker processes can send compact counts over IPC and
 * the orchestrator can merge them exactly. Keeping every sample would be exact too, but a 1,000
 * client run records millions of them.
 */
const SUB = 64;
const MAX_EXP = 40; // 2^40 µs is 12 days: nothing we measure gets there

export interface HistogramJson {
  /** [bucket, count] pairs, buckets with samples only. */
  buckets: Array<[number, number]>;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
}

export class Histogram {
  private readonly counts = new Float64Array(1 + (MAX_EXP + 1) * SUB);
  count = 0;
  sumUs = 0;
  minUs = Infinity;
  maxUs = 0;

  record(us: number): void {
    this.add(us, 1);
  }

  private add(us: number, n: number): void {
    this.counts[bucketOf(us)]! += n;
    this.count += n;
    this.sumUs += us * n;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  merge(h: HistogramJson): this {
    for (const [b, c] of h.buckets) this.counts[b]! += c;
    this.count += h.count;
    this.sumUs += h.sumUs;
    if (h.count > 0) {
      this.minUs = Math.min(this.minUs, h.minUs);
      this.maxUs = Math.max(this.maxUs, h.maxUs);
    }
    return this;
  }

  /** The value at quantile `q` (0..1), in µs: the middle of its bucket, clamped to min/max. NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(this.maxUs, Math.max(this.minUs, middleOf(b)));
    }
    return this.maxUs;
  }

  get meanUs(): number {
    return this.count === 0 ? NaN : this.sumUs / this.count;
  }

  toJSON(): HistogramJson {
    const buckets: Array<[number, number]> = [];
    for (let b = 0; b < this.counts.length; b++) if (this.counts[b]! > 0) buckets.push([b, this.counts[b]!]);
    return { buckets, count: this.count, sumUs: this.sumUs, minUs: this.count === 0 ? 0 : this.minUs, maxUs: this.maxUs };
  }

  static from(h: HistogramJson): Histogram {
    return new Histogram().merge(h);
  }

  /**
   * The round trips a client sending every `intervalUs` would have seen had it not waited for
   * each reply before its next request ("coordinated omission"): a sample of L also counts
   * L - interval, L - 2 × interval, … down to one interval, for the requests the wait held back
   * (HdrHistogram's recordValueWithExpectedInterval, applied per bucket).
   */
  static withExpectedInterval(h: HistogramJson, intervalUs: number): Histogram {
    const out = new Histogram();
    for (const [b, c] of h.buckets) {
      const us = Math.min(h.maxUs, Math.max(h.minUs, middleOf(b)));
      out.add(us, c);
      if (intervalUs > 0) for (let v = us - intervalUs; v >= intervalUs; v -= intervalUs) out.add(v, c);
    }
    return out;
  }
}

function bucketOf(us: number): number {
  if (!(us >= 1)) return 0;
  const e = Math.min(MAX_EXP, Math.floor(Math.log2(us)));
  const sub = Math.min(SUB - 1, Math.floor((us / 2 ** e - 1) * SUB));
  return 1 + e * SUB + sub;
}

function middleOf(b: number): number {
  if (b === 0) return 0.5;
  const e = Math.floor((b - 1) / SUB);
  const sub = (b - 1) % SUB;
  return 2 ** e * (1 + (sub + 0.5) / SUB);
}

/** p50/p99/p999 and mean in milliseconds, for reports. */
export interface Percentiles {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export function percentiles(h: Histogram): Percentiles {
  const ms = (us: number): number => Math.round(us) / 1000;
  return { count: h.count, meanMs: ms(h.meanUs), p50Ms: ms(h.quantile(0.5)), p99Ms: ms(h.quantile(0.99)), p999Ms: ms(h.quantile(0.999)), maxMs: ms(h.maxUs) };
}
