// Deciding whether one set of response times is slower than another: the Mann-Whitney U test
// (rank-based, so a few slow outliers from a busy machine do not decide it), one-sided, with
// the exact distribution for small samples and the normal approximation beyond.

export interface TimingComparison {
  /** P(a sample of `slow` does not exceed one of `fast`) under the null hypothesis. */
  p: number;
  /** Median of `slow` minus median of `fast`, in ms. */
  medianGapMs: number;
  u: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** U of `slow` over `fast`: the number of pairs where the slow sample is larger (ties count half). */
export function mannWhitneyU(slow: readonly number[], fast: readonly number[]): number {
  let u = 0;
  for (const s of slow) for (const f of fast) u += s > f ? 1 : s === f ? 0.5 : 0;
  return u;
}

/** Number of ways to reach each U value with sample sizes n and m (no ties), by recurrence. */
function exactUpperTail(u: number, n: number, m: number): number {
  // counts[i][j][k]: arrangements of i and j samples with U = k; built one size at a time.
  let table = new Map<string, number[]>();
  const get = (i: number, j: number): number[] => {
    const key = `${i},${j}`;
    const cached = table.get(key);
    if (cached !== undefined) return cached;
    let out: number[];
    if (i === 0 || j === 0) out = [1];
    else {
      const a = get(i - 1, j); // the largest value is from `slow`: it beats all j others
      const b = get(i, j - 1);
      out = new Array<number>(i * j + 1).fill(0);
      a.forEach((count, k) => (out[k + j]! += count));
      b.forEach((count, k) => (out[k]! += count));
    }
    table.set(key, out);
    return out;
  };
  const counts = get(n, m);
  table = new Map();
  const total = counts.reduce((sum, c) => sum + c, 0);
  let tail = 0;
  for (let k = Math.ceil(u); k < counts.length; k++) tail += counts[k]!;
  return tail / total;
}

/** Complementary error function (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return x >= 0 ? y : 2 - y;
}

/** Is `slow` slower than `fast`? One-sided Mann-Whitney U. */
export function compareTimings(slow: readonly number[], fast: readonly number[]): TimingComparison {
  const n = slow.length;
  const m = fast.length;
  const u = mannWhitneyU(slow, fast);
  const medianGapMs = median(slow) - median(fast);
  if (n === 0 || m === 0) return { p: 1, medianGapMs, u };
  let p: number;
  if (n <= 12 && m <= 12) {
    p = exactUpperTail(u, n, m);
  } else {
    const mean = (n * m) / 2;
    const sd = Math.sqrt((n * m * (n + m + 1)) / 12);
    const z = (u - 0.5 - mean) / sd;
    p = 0.5 * erfc(z / Math.SQRT2);
  }
  return { p: Math.min(1, Math.max(0, p)), medianGapMs, u };
}
