/**
 * Deck benchmarks on a fake XL (no USB): setFace → written latency for one key and a full
 * 32-key page, and how much the latest-wins writer saves under a burst. The fake sends the
 * library's transformed pixels unencoded (no JPEG), so times are Deck + library overhead,
 * not USB or JPEG cost. Target: one key ≤ 5 ms, a full page ≤ 100 ms.
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { Deck, faceColor, KeyRenderer } from "../src/index.ts"
import { FakeDeckProvider } from "../src/testing/index.ts"
import { type Row, summarize } from "./stats.ts"

/** Enough rounds for a stable median on a shared 2-core machine in about a second per row. */
const SAMPLES = 60
const WARMUP = 5
/** A burst this size is what a dial turned quickly produces. */
const BURST = 64
/** Roughly one 96 px JPEG transfer over USB full speed. */
const WRITE_DELAY_MS = 2

/** A renderer that costs nothing, so the numbers are the Deck's own. */
const solidRenderer = Layer.succeed(KeyRenderer)(KeyRenderer.of({
  render: (face, size) =>
    Effect.sync(() => {
      const [r, g, b] = faceColor(face)
      const rgba = new Uint8Array(size.width * size.height * 4)
      for (let i = 0; i < size.width * size.height; i++) rgba.set([r, g, b, 255], i * 4)
      return { width: size.width, height: size.height, rgba }
    }),
  renderPng: () => Effect.die("unused"),
  svg: () => Effect.die("unused")
}))

const colour = (i: number) => `#${(i * 2654435761 >>> 8 & 0xffffff).toString(16).padStart(6, "0")}`

export async function benchDeck(): Promise<Array<Row>> {
  const runtime = ManagedRuntime.make(
    Deck.layer.pipe(Layer.provideMerge(FakeDeckProvider.layer({ decks: ["xl"] })), Layer.provide(solidRenderer))
  )
  try {
    return await runtime.runPromise(Effect.gen(function*() {
      const deck = yield* Deck
      const [xl] = yield* (yield* FakeDeckProvider).decks
      if (xl === undefined) return yield* Effect.die("no fake deck")
      let n = 0
      const timeIt = (run: Effect.Effect<void>) =>
        Effect.gen(function*() {
          for (let i = 0; i < WARMUP; i++) yield* run
          const samples: Array<number> = []
          for (let i = 0; i < SAMPLES; i++) {
            const start = performance.now()
            yield* run
            samples.push(performance.now() - start)
          }
          return samples
        })

      const oneKey = Effect.gen(function*() {
        yield* deck.setFace(xl.serial, { kind: "key", index: 0 }, { background: colour(n++) })
        yield* deck.flush
      })
      const page = Effect.gen(function*() {
        const c = colour(n++)
        for (let k = 0; k < 32; k++) yield* deck.setFace(xl.serial, { kind: "key", index: k }, { background: c })
        yield* deck.flush
      })
      const results = [
        summarize("deck", "deck setFace→written, 1 key 96px", "ms", yield* timeIt(oneKey)),
        summarize("deck", "deck setFace→written, 32-key page", "ms", yield* timeIt(page))
      ]

      xl.writeDelayMs = WRITE_DELAY_MS
      const writes: Array<number> = []
      for (let round = 0; round < 10; round++) {
        const before = xl.keyWrites(5)
        for (let i = 0; i < BURST; i++) yield* deck.setFace(xl.serial, { kind: "key", index: 5 }, { background: colour(n++) })
        yield* deck.flush
        writes.push(xl.keyWrites(5) - before)
      }
      results.push(summarize("deck", `deck writes for a burst of ${BURST} faces on one key`, "writes", writes))
      return results
    }))
  } finally {
    await runtime.dispose()
  }
}
