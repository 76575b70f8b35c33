// Order statistics over samples; nearest-rank percentiles, so p99 of 20k samples is a value
// that was actually observed.

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

export function median(values) {
  const finite = values.filter((value) => Number.isFinite(value))
  if (finite.length === 0) return NaN
  return percentile([...finite].sort((a, b) => a - b), 50)
}

/** p50 / p99 / max of a Float64Array of samples. */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort()
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  }
}
