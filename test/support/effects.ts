/**
 * Small helpers shared by the suites: log capture and condition polling.
 */
import { Effect, Logger } from "effect"

/** Every log line as `Level: message`, to assert on content. */
export const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([
    Logger.make((o) => {
      const parts = Array.isArray(o.message) ? o.message : [o.message]
      lines.push(`${o.logLevel}: ${parts.map(String).join(" ")}`)
    })
  ])
  return { lines, layer }
}

/**
 * Wait until `check` satisfies `predicate`, for state that changes on socket or USB callbacks
 * and has no change stream (a fake's logs). Dies naming `what` and the last value after ~10 s.
 */
export const eventually = <A>(check: Effect.Effect<A>, predicate: (a: A) => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      const value = yield* check
      if (predicate(value)) return value
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.die(new Error(`timed out waiting for ${what}; last: ${JSON.stringify(yield* check)}`))
  })
