/**
 * The web UI's log tail: every logged line reaches it beside the other loggers, followers get
 * the kept history and then new lines, and it never holds more than its capacity.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Logger, Stream } from "effect"
import { LOG_TAIL_CAPACITY, LogTail } from "../../src/web/LogTail.ts"

describe("LogTail", () => {
  it.effect("receives the log lines of the program it is provided to, beside the existing loggers", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const other = Logger.layer([Logger.make((o) => void seen.push(String(o.message)))])
      const lines = yield* Effect.gen(function*() {
        yield* Effect.logWarning("deck unplugged")
        yield* Effect.logInfo("reconnected")
        return yield* LogTail.use((t) => t.recent)
      }).pipe(Effect.provide(LogTail.layer), Effect.provide(other))
      expect(lines.map((l) => [l.level, l.message])).toEqual([["Warn", "deck unplugged"], ["Info", "reconnected"]])
      expect(lines[1]!.seq).toBeGreaterThan(lines[0]!.seq)
      expect(seen.length).toBe(2) // the daemon's own logger still gets every line
    }))

  it.effect("a follower gets the kept lines, then new ones as they are logged", () =>
    Effect.gen(function*() {
      const tail = yield* LogTail
      tail.append("Info", "before")
      const fiber = yield* tail.follow.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      tail.append("Info", "after")
      const got = yield* Fiber.join(fiber)
      expect(got.map((e) => e.message)).toEqual(["before", "after"])
    }).pipe(Effect.provide(LogTail.layerDetached)))

  it.effect("cuts the web UI's access token from the lines it keeps", () =>
    Effect.gen(function*() {
      const tail = yield* LogTail
      tail.append("Info", "web UI: http://127.0.0.1:7632/?token=s3cr3t-Token_value&x=1")
      const [line] = yield* tail.recent
      expect(line!.message).toBe("web UI: http://127.0.0.1:7632/?token=…&x=1")
    }).pipe(Effect.provide(LogTail.layerDetached)))

  it.effect("keeps at most its capacity, dropping the oldest", () =>
    Effect.gen(function*() {
      const tail = yield* LogTail
      for (let i = 0; i < LOG_TAIL_CAPACITY + 25; i++) tail.append("Info", `line ${i}`)
      const kept = yield* tail.recent
      expect(kept.length).toBe(LOG_TAIL_CAPACITY)
      expect(kept[0]!.message).toBe("line 25")
    }).pipe(Effect.provide(LogTail.layerDetached)))
})
