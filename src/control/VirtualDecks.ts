/**
 * Virtual decks: Stream Decks without hardware, for the browser and for users without a deck.
 * Each one is the library's own `StreamDeck` over an in-memory HID device (`FakeDeck`), handed
 * to `Deck` as a surface beside the USB decks, so it gets the same layout by model, the same
 * faces, the same input parsing and the same Controller press path as a deck on USB.
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer, PubSub, Stream } from "effect"
import type { DeckCandidate, DeckProviderShape } from "../services/DeckProvider.ts"
import { DeckProvider } from "../services/DeckProvider.ts"
import { FAKE_DECK_MODELS, FakeDeck } from "../testing/FakeDeck.ts"
import { Invalid } from "./Api.ts"

/** Every virtual deck's path starts with this (never a real hidraw path). */
const PATH_PREFIX = "virtual:"

export class VirtualDecks extends Context.Service<VirtualDecks, {
  /** Plug in a new virtual deck of a model; it shows up in `Deck` like a USB deck. */
  readonly add: (options: { readonly model: string; readonly serial?: string }) => Effect.Effect<FakeDeck, Invalid>
  /** Unplug one; false when there was no such virtual deck. */
  readonly remove: (serial: string) => Effect.Effect<boolean>
  /** The virtual decks, oldest first. */
  readonly decks: Effect.Effect<ReadonlyArray<FakeDeck>>
  /** The models a virtual deck can be (the library's model ids). */
  readonly models: ReadonlyArray<string>
  /** The surface `Deck` lists and opens them through. */
  readonly surface: DeckProviderShape
}>()("deckcord/VirtualDecks") {
  static readonly layer: Layer.Layer<VirtualDecks> = Layer.effect(VirtualDecks, Effect.suspend(() => make))
}

const make = Effect.gen(function*() {
  const decks: Array<FakeDeck> = []
  const hints = yield* PubSub.unbounded<void>()
  const hint = PubSub.publish(hints, undefined).pipe(Effect.asVoid)
  let counter = 0

  const surface = DeckProvider.fromPromises({
    list: async () =>
      decks.map((d): DeckCandidate => ({ path: `${PATH_PREFIX}${d.serial}`, model: d.model, serial: d.serial })),
    open: async (path) => {
      const deck = decks.find((d) => `${PATH_PREFIX}${d.serial}` === path)
      if (deck === undefined) throw new Error(`cannot open device with path ${path}: No such file or directory`)
      return deck.open()
    },
    watch: Effect.map(PubSub.subscribe(hints), Stream.fromSubscription)
  })

  return VirtualDecks.of({
    models: FAKE_DECK_MODELS,
    surface,
    decks: Effect.sync(() => [...decks]),
    add: ({ model, serial }) =>
      Effect.gen(function*() {
        if (!FAKE_DECK_MODELS.includes(model)) {
          return yield* new Invalid({ message: `unknown Stream Deck model "${model}"; one of: ${FAKE_DECK_MODELS.join(", ")}` })
        }
        let chosen = serial
        if (chosen === undefined) {
          do chosen = `VIRTUAL${++counter}`
          while (decks.some((d) => d.serial === chosen))
        }
        if (decks.some((d) => d.serial === chosen)) {
          return yield* new Invalid({ message: `a virtual deck ${chosen} exists already` })
        }
        const deck = yield* Effect.promise(() => FakeDeck.make({ model, serial: chosen }))
        decks.push(deck)
        yield* hint
        return deck
      }),
    remove: (serial) =>
      Effect.gen(function*() {
        const at = decks.findIndex((d) => d.serial === serial)
        if (at < 0) return false
        const [deck] = decks.splice(at, 1)
        deck!.unplug()
        yield* hint
        return true
      })
  })
})
