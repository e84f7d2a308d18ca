/**
 * Discord restarting every 2 s for a minute (up 1.5 s, gone 0.5 s: the socket file
 * disappears like a quitting client) while a key press is issued every 100 ms. Every press
 * is a SET_VOICE_SETTINGS carrying its own marker (the input volume), so the fake's frame
 * log says exactly which presses arrived and how often. Each press must be delivered
 * exactly once (and answered), or fail with a typed error: never sent (expired, queue full)
 * means zero arrivals; lost in flight means at most one. Nothing may arrive twice.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { client, fakeWith, recordStates } from "./harness.ts"
import { recordSoak } from "./record.ts"

/** The soak's length and rhythm (issue 6). */
const SOAK_MILLIS = 60_000
const RESTART_EVERY_MILLIS = 2_000
const DOWN_MILLIS = 500
const PRESS_EVERY_MILLIS = 100
/** Shorter than an outage, so presses early in one expire instead of firing late. */
const DEADLINE_MILLIS = 400
/** Replies take this long, so some restarts catch a press in flight. */
const REPLY_DELAY_MILLIS = 30

/** Press i's marker: a distinct input volume that survives JSON exactly. */
const marker = (i: number) => 10 + i / 100

const NEVER_SENT = new Set(["CommandExpiredError", "QueueFullError"])
const MAYBE_SENT = new Set(["ConnectionLostError", "RpcTimeoutError"])

describe("soak: Discord restarting while keys are pressed", () => {
  it.live("every press is delivered exactly once or fails typed; nothing arrives twice", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      yield* fake.delayReplies(REPLY_DELAY_MILLIS, "SET_VOICE_SETTINGS")
      const rpc = yield* client(fake.socketPath, { commandDeadline: DEADLINE_MILLIS })
      const states = yield* recordStates(rpc)
      yield* states.awaitCount("Ready", 0)

      // Discord's restarts, on their own fiber
      let restarts = 0
      const restarter = yield* Effect.forkChild(
        Effect.forever(
          Effect.gen(function*() {
            yield* Effect.sleep(RESTART_EVERY_MILLIS - DOWN_MILLIS)
            yield* fake.stop
            yield* Effect.sleep(DOWN_MILLIS)
            yield* fake.start
            restarts++
          })
        )
      )

      const presses = SOAK_MILLIS / PRESS_EVERY_MILLIS
      const fibers: Array<Fiber.Fiber<unknown, { readonly _tag: string }>> = []
      for (let i = 0; i < presses; i++) {
        fibers.push(yield* Effect.forkChild(rpc.request("SET_VOICE_SETTINGS", { input: { volume: marker(i) } })))
        yield* Effect.sleep(PRESS_EVERY_MILLIS)
      }
      const exits = yield* Effect.forEach(fibers, Fiber.await)
      yield* Fiber.interrupt(restarter)
      yield* fake.start

      // how often each press reached the fake
      const arrivals = new Map<number, number>()
      const nonces = new Set<string>()
      let duplicateNonces = 0
      for (const frame of yield* fake.framesReceived()) {
        const payload = frame.payload as { cmd?: string; nonce?: string; args?: { input?: { volume?: number } } } | null
        if (payload?.cmd !== "SET_VOICE_SETTINGS") continue
        const volume = payload.args?.input?.volume
        if (volume !== undefined) arrivals.set(volume, (arrivals.get(volume) ?? 0) + 1)
        if (payload.nonce !== undefined) {
          if (nonces.has(payload.nonce)) duplicateNonces++
          nonces.add(payload.nonce)
        }
      }

      const outcomes = new Map<string, number>()
      let deliveredOnce = 0
      let lostInFlightArrived = 0
      const violations: Array<string> = []
      exits.forEach((exit, i) => {
        const seen = arrivals.get(marker(i)) ?? 0
        if (seen > 1) violations.push(`press ${i} arrived ${seen}×`)
        if (Exit.isSuccess(exit)) {
          outcomes.set("delivered", (outcomes.get("delivered") ?? 0) + 1)
          if (seen === 1) deliveredOnce++
          else violations.push(`press ${i} succeeded but arrived ${seen}×`)
          return
        }
        const reason = exit.cause.reasons[0]
        const tag = reason?._tag === "Fail" ? reason.error._tag : `untyped ${reason?._tag ?? "?"}`
        outcomes.set(tag, (outcomes.get(tag) ?? 0) + 1)
        if (NEVER_SENT.has(tag)) {
          if (seen !== 0) violations.push(`press ${i} failed with ${tag} but arrived ${seen}×`)
        } else if (MAYBE_SENT.has(tag)) {
          if (seen === 1) lostInFlightArrived++
        } else {
          violations.push(`press ${i} failed with ${tag}, not a typed request error`)
        }
      })

      const summary = [...outcomes].map(([k, n]) => `${n} ${k}`).join(", ")
      recordSoak("restarts", {
        order: 1,
        fault: `Discord restarting every ${RESTART_EVERY_MILLIS / 1000} s for ${SOAK_MILLIS / 1000} s (gone ${DOWN_MILLIS} ms each time)`,
        injected: `${restarts} restarts; ${presses} presses (SET_VOICE_SETTINGS), one every ${PRESS_EVERY_MILLIS} ms, ` +
          `replies ${REPLY_DELAY_MILLIS} ms late, command deadline ${DEADLINE_MILLIS} ms`,
        outcome: `${summary}; delivered exactly once: ${deliveredOnce}; failed in flight but had arrived: ${lostInFlightArrived}; ` +
          `${states.count("Ready")} Ready states; duplicate arrivals ${violations.length}, duplicate nonces ${duplicateNonces}`,
        lost: violations.length + duplicateNonces
      })
      assert.deepStrictEqual(violations, [])
      assert.strictEqual(duplicateNonces, 0)
      assert.strictEqual(exits.length, presses, "every press completed")
      assert.isAtLeast(restarts, SOAK_MILLIS / RESTART_EVERY_MILLIS - 2)
      assert.isAbove(outcomes.get("delivered") ?? 0, presses / 2, "most presses got through")
    }))
})
