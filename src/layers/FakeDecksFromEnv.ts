/**
 * `$DECKCORD_FAKE_DECKS`: the daemon on fake decks, for demos and benchmarks without hardware.
 *
 * A file of its own, apart from DeckProvider.ts, because it reaches the fakes (with a dynamic
 * import, so a normal start never loads them) and the fakes import DeckProvider: kept apart,
 * nothing imports in a circle.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Schema } from "effect"
import { DeckProvider } from "../deck/DeckProvider.ts"

/** `$DECKCORD_FAKE_DECKS` names a model the fakes do not have; the message lists those they do. */
export class FakeDecksError extends Schema.TaggedError<FakeDecksError>()("FakeDecksError", {
  message: Schema.String
}) {}

/**
 * Names fake decks (comma-separated `DeviceModelId`s, e.g. `original-mk2,plus`, or `none`) that
 * the daemon drives instead of USB HID devices, for demos and benchmarks without hardware.
 * Nothing reads or writes a real deck while it is set, and the daemon says so at start.
 */
export const FAKE_DECKS_ENV = "DECKCORD_FAKE_DECKS"

/**
 * The daemon's provider: USB HID (`DeckProvider.layerNode`), or the fake decks named by
 * `$DECKCORD_FAKE_DECKS`. The fakes' module loads only then, so a normal start does not pay for it.
 */
export const deckProviderFromEnv = (
  env: Readonly<Record<string, string | undefined>> = process.env
): Layer.Layer<DeckProvider, FakeDecksError> =>
  Layer.unwrap(Effect.gen(function*() {
    const spec = env[FAKE_DECKS_ENV]?.trim()
    if (spec === undefined || spec === "") return DeckProvider.layerNode
    const { FAKE_DECK_MODELS, FakeDeckProvider } = yield* Effect.promise(() => import("../testing/FakeDeck.ts"))
    const models = spec === "none" ? [] : spec.split(",").map((m) => m.trim()).filter((m) => m !== "")
    const unknown = models.filter((m) => !FAKE_DECK_MODELS.includes(m))
    if (unknown.length > 0) {
      return yield* new FakeDecksError({
        message: `$${FAKE_DECKS_ENV}: unknown Stream Deck model ${unknown.map((m) => `"${m}"`).join(", ")}; ` +
          `use one of ${FAKE_DECK_MODELS.join(", ")} (or "none"), or unset it to use USB decks`
      })
    }
    yield* Effect.logWarning(
      `using fake decks (${models.length === 0 ? "none" : models.join(", ")}) from $${FAKE_DECKS_ENV}; no USB Stream Deck is used`
    )
    return FakeDeckProvider.layer({ decks: models })
  }))
