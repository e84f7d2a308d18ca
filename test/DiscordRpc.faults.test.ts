/**
 * The deterministic fault matrix (issue 9): every step of the connection sequence × every
 * fault, each with commands in flight, each followed by the invariants in
 * `test/support/faults.ts`. The seeded random schedules are in `test/soak/schedules.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeWorld, runCell, SOCKET_FAULTS, STEPS, TOKEN_FAULTS } from "./support/faults.ts"

describe("fault matrix: every step × every fault, commands in flight", () => {
  for (const step of STEPS) {
    it.live(`${step.name}`, () =>
      Effect.gen(function*() {
        const world = yield* makeWorld
        let cells = 0
        if (step.at === "token") {
          for (const { name, behavior } of TOKEN_FAULTS) {
            yield* runCell(world, step, { _tag: "token", behavior }, `${step.name} × ${name}`)
            cells++
          }
        } else {
          for (const { name, fault } of SOCKET_FAULTS) {
            // a withheld reply at dial is nothing: the client speaks first
            if (step.at._tag === "Connect" && fault._tag === "Withhold") continue
            yield* runCell(world, step, { _tag: "socket", fault }, `${step.name} × ${name}`)
            cells++
          }
        }
        expect(cells).toBeGreaterThan(0)
      }), 60_000)
  }
})
