/**
 * The deterministic fault matrix (issue 9): every step of the connection sequence × every
 * fault, each with commands in flight, each followed by the invariants in
 * `test/support/faults.ts`. The seeded random schedules are in `test/soak/schedules.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { ALL_FAULTS, makeWorld, runCell, STEPS } from "./support/faults.ts"

// each step builds its own fakes and client: they run side by side
describe.concurrent("fault matrix: every step × every fault, commands in flight", () => {
  for (const step of STEPS) {
    it.live(step.name, () =>
      Effect.gen(function*() {
        const world = yield* makeWorld
        const cells = ALL_FAULTS.filter((f) => f.step === step)
        for (const cell of cells) {
          const exit = yield* Effect.exit(runCell(world, cell))
          // the broken invariant names its cell
          if (Exit.isFailure(exit)) return yield* Effect.die(exit.cause)
        }
        expect(cells.length).toBeGreaterThan(0)
      }), 60_000)
  }
})
