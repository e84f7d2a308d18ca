/**
 * Shared shapes and helpers for `npm run bench`: one row per figure, summarised as
 * median / p99 / min / max over its samples.
 */

/** One figure of the table. `unit` says what the four numbers count. */
export interface Row {
  readonly group: string
  readonly name: string
  readonly unit: string
  readonly median: number
  readonly p99: number
  readonly min: number
  readonly max: number
  readonly samples: number
  /** Median and p99 over the floor's median and p99 (round-trip rows only). */
  readonly ratio?: { readonly median: number; readonly p99: number }
  /** The target as text, e.g. "median ≤ 2× floor". */
  readonly target?: string
  /** Whether the target was met; absent when the row has no target. */
  readonly met?: boolean
  /** What the figure means, or why it is missing. */
  readonly note?: string
  /** "pending": not measured yet (the note says why). */
  readonly status?: "pending"
}

/** A row the benchmark could not measure, with the reason. */
export const pending = (group: string, name: string, target: string | undefined, why: string): Row => ({
  group,
  name,
  unit: "",
  median: Number.NaN,
  p99: Number.NaN,
  min: Number.NaN,
  max: Number.NaN,
  samples: 0,
  ...(target === undefined ? {} : { target }),
  note: why,
  status: "pending"
})

const round = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(4)) : v)

/**
 * Summarise samples; nearest-rank quantiles. For throughputs (`higherIsBetter`) the p99 is
 * the bad tail, the 1st percentile.
 */
export const summarize = (
  group: string,
  name: string,
  unit: string,
  samples: ReadonlyArray<number>,
  extra: Partial<Pick<Row, "target" | "met" | "note" | "ratio">> & { readonly higherIsBetter?: boolean } = {}
): Row => {
  const sorted = samples.slice().sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
  const { higherIsBetter, ...rest } = extra
  return {
    group,
    name,
    unit,
    median: round(at(0.5)),
    p99: round(at(higherIsBetter === true ? 0.01 : 0.99)),
    min: round(sorted[0] ?? Number.NaN),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
    samples: sorted.length,
    ...rest
  }
}

/** A single measured value (start time, a count), shown as median = min = max. */
export const single = (
  group: string,
  name: string,
  unit: string,
  value: number,
  extra: Partial<Pick<Row, "target" | "met" | "note">> = {}
): Row => summarize(group, name, unit, [value], extra)

/** Full GC when the bench runs with --expose-gc (npm run bench does); a no-op otherwise. */
export const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect !== undefined) {
    collect()
    collect()
  }
}

/** Let pending I/O callbacks and finalizers run. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Heap used after a full GC, in bytes. */
export const heapAfterGc = async (): Promise<number> => {
  await tick()
  gc()
  await tick()
  gc()
  return process.memoryUsage().heapUsed
}

export const MiB = 1024 * 1024
