/**
 * Preloaded (`node --import`) into the one daemon run that measures idle memory and timer
 * wake-ups, never into the runs that time the start. It counts every timer callback that
 * fires, keyed by where the timer was armed, and on each SIGUSR2 appends one JSON line to
 * `$DECKCORD_BENCH_PROBE` (memory now, the heap after a full GC when node runs with --expose-gc, the timers fired since the previous signal, and the
 * files loaded so far: CommonJS from require's cache, and with `DECKCORD_BENCH_PROBE_FILES=1`
 * ES modules as a loader hook saw them).
 */
import * as Fs from "node:fs"
import { createRequire, register, syncBuiltinESMExports } from "node:module"
import { MessageChannel } from "node:worker_threads"

const requireHere = createRequire(import.meta.url)
/** The CommonJS exports object: unlike an ESM namespace it can be patched (then synced to ESM). */
const Timers = requireHere("node:timers") as Record<string, unknown>

const out = process.env.DECKCORD_BENCH_PROBE
if (out === undefined) throw new Error("daemonProbe: set DECKCORD_BENCH_PROBE to the output file")

const esModules: Array<string> = []
// the hooks run on a thread of their own (its own V8 heap): only in the run that counts files
if (process.env.DECKCORD_BENCH_PROBE_FILES === "1") {
  const channel = new MessageChannel()
  channel.port1.on("message", (url: string) => void esModules.push(url))
  channel.port1.unref()
  register("./daemonProbeHooks.js", import.meta.url, { data: { port: channel.port2 }, transferList: [channel.port2] })
}

let fired = new Map<string, number>()

/** The first stack frame outside this file and Node's internals: who armed the timer. */
const armedAt = (): string => {
  const lines = (new Error().stack ?? "").split("\n").slice(1)
  const frame = lines.find((l) => !l.includes("daemonProbe") && !l.includes("node:internal"))
  return (frame ?? "unknown").trim().replace(/^at /, "").replace(/\(?file:\/\/[^)]*\/(node_modules\/|dist\/)/, "$1")
}

const count = (site: string) => fired.set(site, (fired.get(site) ?? 0) + 1)

type TimerFn = (callback: (...args: Array<unknown>) => void, ms?: number, ...args: Array<unknown>) => unknown

const wrap = (name: "setTimeout" | "setInterval") => {
  const original = globalThis[name] as unknown as TimerFn
  const wrapped: TimerFn = (callback, ms, ...args) => {
    const site = `${name}(${ms ?? 0} ms) ${armedAt()}`
    return original((...a: Array<unknown>) => {
      count(site)
      callback(...a)
    }, ms, ...args)
  }
  ;(globalThis as Record<string, unknown>)[name] = wrapped
  ;Timers[name] = wrapped
}
wrap("setTimeout")
wrap("setInterval")
syncBuiltinESMExports()

process.on("SIGUSR2", () => {
  const memory = process.memoryUsage()
  // the live heap: garbage not yet collected is not "used" (the run starts node with --expose-gc)
  const collect = (globalThis as { gc?: () => void }).gc
  collect?.()
  const heapUsedAfterGc = collect === undefined ? Number.NaN : process.memoryUsage().heapUsed
  const timers = Object.fromEntries([...fired].sort((a, b) => b[1] - a[1]))
  fired = new Map()
  const files = [...esModules.filter((u) => u.startsWith("file:")), ...Object.keys(requireHere.cache)]
  // what can wake the loop at all: timers (including Node's own), sockets, watchers
  const resources = process.getActiveResourcesInfo().reduce<Record<string, number>>((n, r) => ({ ...n, [r]: (n[r] ?? 0) + 1 }), {})
  Fs.appendFileSync(out, `${JSON.stringify({ rss: memory.rss, heapUsed: memory.heapUsed, heapUsedAfterGc, timers, resources, files })}\n`)
})
