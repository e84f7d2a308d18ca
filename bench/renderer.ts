/**
 * KeyRenderer benchmarks: cold renders (unique faces, so the cache never hits) and cache hits
 * at the common key sizes. Targets: cold 96 px ≤ 2 ms, cache hit ≤ 0.05 ms.
 */
import { Effect } from "effect"
import type { Face, PixelSize } from "../src/index.ts"
// deep on purpose: times the renderer itself (makeKeyRenderer), outside its service layer
import { FONT_FILES, makeKeyRenderer } from "../src/face/KeyRenderer.ts"
import { type Row, summarize } from "./stats.ts"

/** Samples per measurement: enough for a stable p99 on a 2-core machine in well under a second per row. */
const SAMPLES = 400
/** Untimed runs first, so JIT and resvg's first-call setup are not measured. */
const WARMUP = 40

const time = async (run: (i: number) => void): Promise<Array<number>> => {
  // start each row with a clean heap (npm run bench passes --expose-gc) and let the native
  // finalizers of freed resvg images run, so one row's garbage is not billed to the next
  ;(globalThis as { gc?: () => void }).gc?.()
  await new Promise((resolve) => setImmediate(resolve))
  for (let i = 0; i < WARMUP; i++) run(-1 - i)
  const samples: Array<number> = []
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now()
    run(i)
    samples.push(performance.now() - start)
  }
  return samples
}

/** A typical key: icon, label, tone; `i` makes it unique so the cache cannot hit. */
const typical = (i: number): Face => ({ icon: "mic-off", label: `Muted ${i}`, tone: "muted" })
/** Everything at once: long label (fitting + ellipsis), sublabel, badge, value bar, ring, overlay. */
const busy = (i: number): Face => ({
  icon: "voice-channel",
  label: `The Extremely Long Voice Channel Name ${i}`,
  sublabel: "4 in channel",
  badge: "12",
  value: 0.5,
  highlight: true,
  overlay: "pending",
  tone: "active"
})

export async function benchRenderer(): Promise<Array<Row>> {
  const renderer = await Effect.runPromise(makeKeyRenderer(FONT_FILES))
  const results: Array<Row> = []
  // every run of the benchmark uses fresh labels, so even a reused renderer would miss
  let unique = 0
  const cold = async (name: string, face: (i: number) => Face, size: PixelSize) =>
    results.push(summarize("renderer", name, "ms", await time(() => Effect.runSync(renderer.render(face(unique++), size)))))

  for (const px of [72, 96, 120]) await cold(`render cold ${px}px`, typical, { width: px, height: px })
  await cold("render cold 96px busy face", busy, { width: 96, height: 96 })
  await cold("render cold 200x100 LCD region", typical, { width: 200, height: 100 })

  for (const px of [72, 96, 120]) {
    const size = { width: px, height: px }
    const face: Face = { icon: "mic", label: "Mic on" }
    Effect.runSync(renderer.render(face, size))
    // a fresh but equal object each time: the key is computed from content, as in real use
    results.push(summarize("renderer", `render cache hit ${px}px`, "ms", await time(() => Effect.runSync(renderer.render({ ...face }, size)))))
  }
  return results
}
