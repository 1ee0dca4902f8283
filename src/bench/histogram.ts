/**
 * Log-linear histogram of non-negative values (nanoseconds here): exact below 256, then 128
 * sub-buckets per power of two, so a reported percentile is within 0.4 % of a recorded value.
 * Recording is O(1) with no allocation.
 */
const SUB = 128;
const LINEAR = 256;
const BUCKETS = LINEAR + 64 * SUB;
const TWO_32 = 4294967296;

function bucketIndex(v: number): number {
  if (v < LINEAR) return v;
  if (v < 0x80000000) {
    const sh = 24 - Math.clz32(v);
    return LINEAR + (sh - 1) * SUB + ((v >>> sh) - SUB);
  }
  const e = v < TWO_32 ? 31 - Math.clz32(v) : 63 - Math.clz32(Math.floor(v / TWO_32));
  const sh = e - 7;
  return LINEAR + (sh - 1) * SUB + (Math.floor(v / 2 ** sh) - SUB);
}

/** the middle of bucket i */
function bucketValue(i: number): number {
  if (i < LINEAR) return i;
  const sh = Math.floor((i - LINEAR) / SUB) + 1;
  const m = ((i - LINEAR) % SUB) + SUB;
  return m * 2 ** sh + 2 ** (sh - 1);
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;
  min = Number.POSITIVE_INFINITY;
  sum = 0;

  record(value: number): void {
    const v = value > 0 ? Math.floor(value) : 0;
    this.counts[bucketIndex(v)]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
  }

  /** p in [0, 1]; NaN when empty. The result never exceeds the recorded maximum. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    if (p >= 1) return this.max;
    const target = Math.max(1, Math.ceil(p * this.count - 1e-9));
    let cum = 0;
    for (let i = 0; i < BUCKETS; i++) {
      cum += this.counts[i]!;
      if (cum >= target) return Math.max(this.min, Math.min(bucketValue(i), this.max));
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
    if (other.min < this.min) this.min = other.min;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.sum = 0;
  }
}
