/**
 * Frame decoder throughput. Whole chunks: a stream of typical event frames pushed as one
 * socket read each (target ≥ 100 MB/s). One-byte chunks: a 256 KiB and a 1 MiB frame fed a
 * byte at a time; linear cost means the 1 MiB frame takes ≈ 4× as long (the ratio row).
 */
import { encodeFrame, makeFrameDecoder, Opcode } from "../src/protocol/Frame.ts"
import { gc, MiB, type Row, summarize } from "./stats.ts"

const GROUP = "frame decoder"
/** Repeats per measurement; each is long enough (≥ ~10 ms) to time reliably. */
const REPEATS = 15
/** Frames per whole-chunk run: ~4 MiB of typical SPEAKING / VOICE_STATE events. */
const FRAMES_PER_RUN = 12_000

const eventFrame = (i: number) =>
  encodeFrame(Opcode.Frame, {
    cmd: "DISPATCH",
    evt: i % 2 === 0 ? "SPEAKING_START" : "VOICE_STATE_UPDATE",
    nonce: null,
    data: i % 2 === 0
      ? { channel_id: "199737254929760256", user_id: `3000000000000000${String(i % 100).padStart(2, "0")}` }
      : {
        nick: "Someone",
        mute: false,
        volume: 100,
        pan: { left: 1, right: 1 },
        voice_state: { mute: false, deaf: false, self_mute: i % 3 === 0, self_deaf: false, suppress: false },
        user: { id: "300000000000000002", username: "someone", discriminator: "0", global_name: "Someone", avatar: null, bot: false }
      }
  })

/** A body of `size` bytes of valid JSON (one long string). */
const bigFrame = (size: number) => encodeFrame(Opcode.Frame, "x".repeat(size - 2))

const feedBytewise = (frame: Uint8Array): number => {
  const decoder = makeFrameDecoder()
  const start = performance.now()
  let frames = 0
  for (let i = 0; i < frame.length; i++) frames += decoder.push(frame.subarray(i, i + 1)).frames.length
  const elapsed = performance.now() - start
  if (frames !== 1) throw new Error(`byte-wise decode produced ${frames} frames`)
  return elapsed
}

export function benchFrame(): Array<Row> {
  const chunks = Array.from({ length: FRAMES_PER_RUN }, (_, i) => eventFrame(i))
  const bytes = chunks.reduce((n, c) => n + c.length, 0)
  const mbps: Array<number> = []
  for (let r = 0; r < REPEATS + 2; r++) {
    gc()
    const decoder = makeFrameDecoder()
    const start = performance.now()
    let frames = 0
    for (const chunk of chunks) frames += decoder.push(chunk).frames.length
    const seconds = (performance.now() - start) / 1000
    if (frames !== FRAMES_PER_RUN) throw new Error(`decoded ${frames} of ${FRAMES_PER_RUN} frames`)
    if (r >= 2) mbps.push(bytes / 1e6 / seconds) // the first two runs warm the JIT
  }

  const small = bigFrame(256 * 1024)
  const large = bigFrame(MiB)
  const smallMs: Array<number> = []
  const largeMs: Array<number> = []
  feedBytewise(small) // warm-up
  for (let r = 0; r < 5; r++) {
    gc()
    smallMs.push(feedBytewise(small))
    gc()
    largeMs.push(feedBytewise(large))
  }
  const smallRow = summarize(GROUP, "1-byte chunks: 256 KiB frame", "ms", smallMs)
  const largeRow = summarize(GROUP, "1-byte chunks: 1 MiB frame", "ms", largeMs)
  const ratio = largeRow.median / smallRow.median
  const whole = summarize(GROUP, `whole chunks: ${FRAMES_PER_RUN} event frames (${(bytes / MiB).toFixed(1)} MiB)`, "MB/s", mbps, { higherIsBetter: true })
  return [
    {
      ...whole,
      target: "median ≥ 100 MB/s",
      met: whole.median >= 100,
      note: "one socket read per frame, UTF-8 + JSON.parse included (higher is better; the p99 column is the slowest 1%)"
    },
    smallRow,
    largeRow,
    summarize(GROUP, "1-byte chunks: time ratio 1 MiB / 256 KiB", "×", [ratio], {
      target: "≈ 4 (linear)",
      met: ratio > 2.5 && ratio < 6,
      note: "4× the bytes should take ≈ 4× the time; a quadratic decoder would show ≈ 16×"
    })
  ]
}
