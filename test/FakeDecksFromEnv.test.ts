import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Result } from "effect"
import { DeckProvider } from "../src/index.ts"
import { deckProviderFromEnv, FAKE_DECKS_ENV } from "../src/layers/FakeDecksFromEnv.ts"

/** Log lines written while building the provider, instead of printing them. */
const capturingLogs = (lines: Array<string>) =>
  Logger.layer([Logger.make(({ message }) => void lines.push((Array.isArray(message) ? message : [message]).join(" ")))])

const listWith = (env: Record<string, string>, lines: Array<string> = []) =>
  DeckProvider.use((p) => p.list).pipe(
    Effect.provide(deckProviderFromEnv(env).pipe(Layer.provide(capturingLogs(lines))))
  )

describe(`$${FAKE_DECKS_ENV}`, () => {
  it.effect("gives the daemon the named fake decks, and says so", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const found = yield* listWith({ [FAKE_DECKS_ENV]: "original-mk2, plus" }, lines)
      assert.deepStrictEqual(found.map((c) => c.model), ["original-mk2", "plus"])
      assert.isTrue(lines.some((l) => l.includes("using fake decks (original-mk2, plus)") && l.includes("no USB Stream Deck")))
    }))

  it.effect("\"none\" is a machine with no deck plugged in", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* listWith({ [FAKE_DECKS_ENV]: "none" }), [])
    }))

  it.effect("an unknown model refuses to start, naming the variable and the models it takes", () =>
    Effect.gen(function*() {
      const result = yield* listWith({ [FAKE_DECKS_ENV]: "original-mk2,mk3" }).pipe(Effect.result)
      assert.isTrue(Result.isFailure(result))
      if (Result.isFailure(result)) {
        assert.strictEqual(result.failure._tag, "FakeDecksError")
        assert.include(result.failure.message, `$${FAKE_DECKS_ENV}: unknown Stream Deck model "mk3"`)
        assert.include(result.failure.message, "original-mk2, ")
        assert.include(result.failure.message, "unset it to use USB decks")
      }
    }))
})
