/**
 * Leaks: 10,000 subscribe/unsubscribe cycles and 200 reconnects (the fake drops the
 * socket), against a FakeDiscord in another process so only the client's heap is measured.
 * At the end nothing may be left: no remote subscriptions on the fake, no pending requests
 * or queued commands, one socket with the same listeners as at the start.
 */
import { Effect, Fiber, Stream } from "effect"
import * as Net from "node:net"
import { DiscordRpc } from "../src/index.ts"
import { fixtures } from "../src/testing/index.ts"
import { forkFake, readyRuntime } from "./setup.ts"
import { survivorsOf } from "./heapObjects.ts"
import { heapAfterGc, MiB, type Row, single, sleep } from "./stats.ts"

const GROUP = "leaks"
export const SUBSCRIBE_CYCLES = Number(process.env.BENCH_CYCLES ?? 10_000)
export const RECONNECTS = Number(process.env.BENCH_RECONNECTS ?? 200)
/** Cycles run untimed first, so first-use allocations (JIT, caches) are not counted. */
const WARMUP_CYCLES = 200
/** Reconnects before the object census, so first-use allocations are not counted. */
const WARMUP_RECONNECTS = 20
/** Give up waiting for one reconnect after this long (the schedule retries within ~50 ms). */
const RECONNECT_TIMEOUT_MILLIS = 5_000

/** Event kinds cycled through, with and without args, so the key map sees many shapes. */
const channelIds = [fixtures.channels.lounge.id, fixtures.channels.booth.id]

/** Open sockets of this process and the listeners on them (node's own handle list). */
const socketListeners = () => {
  const handles = (process as unknown as { _getActiveHandles: () => Array<unknown> })._getActiveHandles()
  const sockets = handles.filter((h): h is Net.Socket => h instanceof Net.Socket && !(h as { _isStdio?: boolean })._isStdio)
  const clientSockets = sockets.filter((s) => s.remoteAddress === undefined && !s.destroyed)
  let listeners = 0
  for (const socket of clientSockets) {
    for (const event of socket.eventNames()) listeners += socket.listenerCount(event)
  }
  return { sockets: clientSockets.length, listeners }
}

/** A row for a survivor census: a per-iteration leak puts one kind at ≥ `iterations`. */
const survivorsRow = (
  what: string,
  iterations: number,
  survivors: Awaited<ReturnType<typeof survivorsOf>>,
  per: string
) => {
  const [most = { kind: "none", count: 0 }, next = { kind: "none", count: 0 }] = survivors
  return single(GROUP, `objects made during ${what} and still alive, most of one kind (heap snapshots)`, "objects", most.count, {
    target: `< ${iterations} (none kept ${per})`,
    met: most.count < iterations,
    note: `${most.kind}, then ${next.count} ${next.kind}; ${survivors.reduce((n, k) => n + k.count, 0)} in all`
  })
}

export async function benchLeaks(): Promise<Array<Row>> {
  const fake = await forkFake()
  const runtime = await readyRuntime(fake.socketPath)
  try {
    let readyCount = 0
    const watcher = runtime.runFork(
      DiscordRpc.use((rpc) => rpc.stateChanges.pipe(Stream.runForEach((s) => Effect.sync(() => void (s._tag === "Ready" && readyCount++)))))
    )
    await sleep(20)

    const cycle = (i: number): Effect.Effect<void, never, DiscordRpc> =>
      Effect.scoped(
        DiscordRpc.use((rpc) =>
          i % 2 === 0
            ? Effect.asVoid(rpc.subscribe("SPEAKING_START", { channel_id: channelIds[i % 4 === 0 ? 0 : 1]! }))
            : Effect.asVoid(rpc.subscribe("VOICE_SETTINGS_UPDATE"))
        )
      )
    const cycles = (n: number) =>
      runtime.runPromise(Effect.gen(function*() {
        for (let i = 0; i < n; i++) yield* cycle(i)
      }))
    const stats = () => runtime.runPromise(DiscordRpc.use((rpc) => rpc.stats))
    /** Wait until the fire-and-forget SUBSCRIBE/UNSUBSCRIBE traffic has been answered. */
    const settle = async () => {
      for (let i = 0; i < 200 && (await stats()).pendingRequests > 0; i++) await sleep(10)
      await sleep(50)
    }

    await cycles(WARMUP_CYCLES)
    await settle()
    const listenersBefore = socketListeners()
    const cycleSurvivors = await survivorsOf(async () => {
      await cycles(SUBSCRIBE_CYCLES)
      await settle()
    })
    // the heap delta over a second batch: V8's heap profiler keeps its object-id map once the
    // first snapshot is taken (several MiB), which would count against the cycles otherwise
    const heapBefore = await heapAfterGc()
    await cycles(SUBSCRIBE_CYCLES)
    await settle()
    const heapAfterSubscribe = await heapAfterGc()
    const { count: remoteAfterSubscribe } = await fake.ask<{ count: number }>({ type: "subscriptions" }, "subscriptions")

    // reconnects, with one live subscription that must follow every reconnect
    const held = runtime.runFork(
      // it reads its stream, as every real subscriber does (each reconnect delivers one event)
      Effect.scoped(DiscordRpc.use((rpc) => rpc.subscribe("VOICE_SETTINGS_UPDATE").pipe(Effect.flatMap(Stream.runDrain))))
    )
    await settle()
    /** Drop the socket `n` times, each time waiting for Ready again; returns how many never came. */
    const reconnect = async (n: number) => {
      let failed = 0
      for (let i = 0; i < n; i++) {
        const before = readyCount
        await fake.ask({ type: "drop" }, "dropped")
        const deadline = performance.now() + RECONNECT_TIMEOUT_MILLIS
        while (readyCount === before && performance.now() < deadline) await sleep(2)
        if (readyCount === before) failed++
      }
      await settle()
      return failed
    }
    await reconnect(WARMUP_RECONNECTS)
    let failedReconnects = 0
    const survivors = await survivorsOf(async () => {
      failedReconnects = await reconnect(RECONNECTS)
    })
    const { count: remoteWhileHeld } = await fake.ask<{ count: number }>({ type: "subscriptions" }, "subscriptions")
    await runtime.runPromise(Fiber.interrupt(held))
    await settle()
    const { count: remoteAtEnd } = await fake.ask<{ count: number }>({ type: "subscriptions" }, "subscriptions")
    const end = await stats()
    const listenersAfter = socketListeners()
    const heapAfterReconnects = await heapAfterGc()
    await runtime.runPromise(Fiber.interrupt(watcher))

    const kib = (bytes: number) => Number((bytes / 1024).toFixed(1))
    return [
      single(GROUP, `heap after GC, delta over ${SUBSCRIBE_CYCLES} subscribe/unsubscribe cycles`, "KiB", kib(heapAfterSubscribe - heapBefore), {
        target: "< 1 MiB (no per-cycle retention)",
        met: heapAfterSubscribe - heapBefore < MiB,
        note: `${((heapAfterSubscribe - heapBefore) / SUBSCRIBE_CYCLES).toFixed(1)} B per cycle`
      }),
      survivorsRow(`${SUBSCRIBE_CYCLES} subscribe/unsubscribe cycles`, SUBSCRIBE_CYCLES, cycleSurvivors, "per cycle"),
      single(GROUP, "remote subscriptions on the fake after the cycles", "subscriptions", remoteAfterSubscribe, {
        target: "0",
        met: remoteAfterSubscribe === 0
      }),
      single(GROUP, `reconnects completed (fake drops the socket ${RECONNECTS}×)`, "reconnects", RECONNECTS - failedReconnects, {
        target: `${RECONNECTS}`,
        met: failedReconnects === 0,
        note: `a held VOICE_SETTINGS_UPDATE subscription was live on the fake afterwards: ${remoteWhileHeld === 1 ? "yes" : `no (${remoteWhileHeld})`}`
      }),
      single(GROUP, `heap after GC, delta over the ${RECONNECTS} reconnects`, "KiB", kib(heapAfterReconnects - heapAfterSubscribe), {
        target: "< 1 MiB",
        met: heapAfterReconnects - heapAfterSubscribe < MiB,
        note: "mostly V8's compiled code, which it re-optimizes and ages on its own; the next row counts objects"
      }),
      survivorsRow(`${RECONNECTS} reconnects`, RECONNECTS, survivors, "per reconnect"),
      single(GROUP, "remote subscriptions on the fake at the end", "subscriptions", remoteAtEnd, { target: "0", met: remoteAtEnd === 0 }),
      single(GROUP, "pending requests + queued commands at the end", "requests", end.pendingRequests + end.queuedCommands, {
        target: "0",
        met: end.pendingRequests + end.queuedCommands === 0,
        note: `local subscribers ${end.localSubscribers}, remote subscriptions held by the client ${end.remoteSubscriptions}`
      }),
      single(GROUP, "client sockets / listeners on them, before → after", "listeners", listenersAfter.listeners, {
        target: `= ${listenersBefore.listeners} (as before)`,
        met: listenersAfter.listeners === listenersBefore.listeners && listenersAfter.sockets === listenersBefore.sockets,
        note: `sockets ${listenersBefore.sockets} → ${listenersAfter.sockets}, listeners ${listenersBefore.listeners} → ${listenersAfter.listeners}`
      })
    ]
  } finally {
    await runtime.dispose()
    await fake.close()
  }
}
