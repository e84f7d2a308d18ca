/**
 * The control server's code loads once the Discord client's first connection attempt has
 * settled, so it does not share the CPU with the handshake; a Discord that never answers
 * holds it back for `SERVER_WAITS_FOR_DISCORD` at most.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Queue, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { ConnectionState } from "../src/index.ts"
import { firstAttemptSettled, SERVER_WAITS_FOR_DISCORD } from "../src/layers/ControlledDaemon.ts"

const notStarted: ConnectionState = { _tag: "Disconnected", reason: { _tag: "NotStarted", message: "not started" } }
const connecting: ConnectionState = { _tag: "Connecting" }
const ready: ConnectionState = { _tag: "Ready", user: undefined, authenticated: undefined, socketPath: "/run/discord-ipc-0" }
const absent: ConnectionState = {
  _tag: "Disconnected",
  reason: { _tag: "NoDiscord", message: "Discord is not running", retrying: true },
  retryInMillis: 1000
}

/** Waits on a stream fed by the test, one state at a time; `done` says whether it returned. */
const waiting = Effect.gen(function*() {
  const states = yield* Queue.unbounded<ConnectionState>()
  const fiber = yield* Effect.forkChild(firstAttemptSettled(Stream.fromQueue(states), SERVER_WAITS_FOR_DISCORD))
  const done = Effect.sync(() => fiber.pollUnsafe() !== undefined)
  const push = (state: ConnectionState) => Queue.offer(states, state).pipe(Effect.andThen(Effect.yieldNow))
  return { push, done, fiber }
})

describe("the control server waits for the first attempt to Discord", () => {
  it.effect("until the client is Ready", () =>
    Effect.gen(function*() {
      const { done, fiber, push } = yield* waiting
      yield* push(notStarted)
      yield* push(connecting)
      assert.isFalse(yield* done, "returned while still connecting")
      yield* push(ready)
      yield* Fiber.join(fiber)
    }))

  it.effect("until the attempt failed (no Discord, or a refused token)", () =>
    Effect.gen(function*() {
      const { done, fiber, push } = yield* waiting
      yield* push(notStarted)
      assert.isFalse(yield* done, "returned before the client started")
      yield* push(connecting)
      yield* push(absent)
      yield* Fiber.join(fiber)
    }))

  it.effect("for one second at most when Discord never answers", () =>
    Effect.gen(function*() {
      const { done, fiber, push } = yield* waiting
      yield* push(notStarted)
      yield* push(connecting)
      yield* TestClock.adjust(Duration.subtract(SERVER_WAITS_FOR_DISCORD, Duration.millis(1)))
      assert.isFalse(yield* done, "gave up early")
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.join(fiber)
    }))
})
