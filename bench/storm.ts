/**
 * SPEAKING storm: 5,000 SPEAKING_START/STOP events a second for 10 s from a FakeDiscord in
 * another process, into deckcord's DiscordRpc (two shared subscriptions, one consumer each).
 * Measures this process only: CPU time, RSS and heap after GC before and after, and that
 * every event arrived. Target: RSS growth < 5 MB.
 */
import { Effect, Fiber, Stream } from "effect"
import * as V8 from "node:v8"
import { DiscordRpc } from "../src/index.ts"
import { fixtures } from "../src/testing/index.ts"
import { forkFake, readyRuntime } from "./setup.ts"
import { heapAfterGc, MiB, type Row, single, sleep } from "./stats.ts"

const GROUP = "storm"
/** Issue 5's storm: a busy channel's speaking indicators at their worst. */
export const STORM_RATE = 5_000
export const STORM_SECONDS = 10
/**
 * A shorter storm first, so JIT warm-up and the first touch of V8's already-committed young
 * generation (32 MiB that becomes resident page by page) are not billed as growth.
 */
const WARMUP_SECONDS = 4
/** How long to wait for the last events to drain after the fake stops sending. */
const DRAIN_TIMEOUT_MILLIS = 5_000

const EVTS = ["SPEAKING_START", "SPEAKING_STOP"] as const

/** Bytes V8 has committed to the young generation: it grows under allocation pressure and is not live data. */
const newSpace = () => V8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0

export async function benchStorm(): Promise<Array<Row>> {
  const fake = await forkFake()
  const channelId = fixtures.channels.lounge.id
  const runtime = await readyRuntime(fake.socketPath)
  try {
    let received = 0
    // two live subscriptions, consumed for as long as the fiber runs
    const consumer = runtime.runFork(
      Effect.gen(function*() {
        const rpc = yield* DiscordRpc
        const starts = yield* rpc.subscribe("SPEAKING_START", { channel_id: channelId })
        const stops = yield* rpc.subscribe("SPEAKING_STOP", { channel_id: channelId })
        yield* Stream.merge(starts, stops).pipe(Stream.runForEach(() => Effect.sync(() => void received++)))
      }).pipe(Effect.scoped)
    )
    await sleep(100) // let SUBSCRIBE replies land

    const storm = async (seconds: number) => {
      const before = received
      const { sent } = await fake.ask<{ sent: number }>(
        { type: "storm", evts: EVTS, rate: STORM_RATE, seconds, channelId },
        "stormDone"
      )
      const deadline = performance.now() + DRAIN_TIMEOUT_MILLIS
      while (received - before < sent && performance.now() < deadline) await sleep(10)
      return { sent, got: received - before }
    }

    await storm(WARMUP_SECONDS)
    const heapBefore = await heapAfterGc()
    const rssBefore = process.memoryUsage().rss
    const newSpaceBefore = newSpace()
    const memBefore = process.memoryUsage()
    const cpuBefore = process.cpuUsage()
    const wallStart = performance.now()
    const { got, sent } = await storm(STORM_SECONDS)
    const wall = (performance.now() - wallStart) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const heapAfter = await heapAfterGc()
    const rssAfter = process.memoryUsage().rss
    const newSpaceAfter = newSpace()
    const memAfter = process.memoryUsage()
    await runtime.runPromise(Fiber.interrupt(consumer))

    const cpuMs = (cpu.user + cpu.system) / 1000
    const rssGrowth = (rssAfter - rssBefore) / MiB
    return [
      single(GROUP, `events delivered / sent (${STORM_RATE}/s for ${STORM_SECONDS} s)`, "events", got, {
        target: `= ${sent} sent`,
        met: got === sent,
        note: `${sent - got} lost; the subscriptions are unbounded queues, so a slow consumer would show as RSS growth, not loss`
      }),
      single(GROUP, "client CPU during the storm (DiscordRpc only)", "% of a core", Number(((cpuMs / 1000 / wall) * 100).toFixed(1)), {
        note: `${cpuMs.toFixed(0)} ms CPU over ${wall.toFixed(1)} s, ${((cpuMs * 1000) / Math.max(got, 1)).toFixed(1)} µs per event; the fake runs in another process`
      }),
      single(GROUP, "client RSS growth over the storm", "MiB", Number(rssGrowth.toFixed(2)), {
        target: "< 5 MiB",
        met: rssGrowth < 5,
        note: `RSS ${(rssBefore / MiB).toFixed(1)} → ${(rssAfter / MiB).toFixed(1)} MiB; V8's young generation ` +
          `(reserved, not live) ${(newSpaceBefore / MiB).toFixed(1)} → ${(newSpaceAfter / MiB).toFixed(1)} MiB; ` +
          `V8 heap committed ${(memBefore.heapTotal / MiB).toFixed(1)} → ${(memAfter.heapTotal / MiB).toFixed(1)} MiB, ` +
          `off-heap ${(memBefore.external / MiB).toFixed(1)} → ${(memAfter.external / MiB).toFixed(1)} MiB`
      }),
      single(GROUP, "client heap growth after GC over the storm", "MiB", Number(((heapAfter - heapBefore) / MiB).toFixed(2)), {
        note: `heap used after full GC ${(heapBefore / MiB).toFixed(1)} → ${(heapAfter / MiB).toFixed(1)} MiB`
      })
    ]
  } finally {
    await runtime.dispose()
    await fake.close()
  }
}
