/**
 * Virtual decks: Stream Decks without hardware, for the browser and for users without a deck.
 * Each is the library's own `StreamDeck` for its model over an in-memory HID device
 * (`VirtualHid`), handed to `Deck` as a surface beside the USB decks, so it gets the same
 * layout by model, the same faces and the same Controller press path as a deck on USB.
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer, PubSub, Stream } from "effect"
import type { DeckCandidate, DeckProviderShape } from "../deck/DeckProvider.ts"
import { DeckProvider } from "../deck/DeckProvider.ts"
import { makeVirtualDevice, type VirtualDevice, virtualModels } from "../deck/VirtualHid.ts"
import { Invalid } from "./ControlErrors.ts"

/** Every virtual deck's path starts with this (never a real hidraw path). */
const PATH_PREFIX = "virtual:"

const make = Effect.gen(function*() {
  const decks: Array<VirtualDevice> = []
  const hints = yield* PubSub.unbounded<void>()
  const hint = PubSub.publish(hints, undefined).pipe(Effect.asVoid)
  const models = yield* Effect.cached(Effect.promise(virtualModels))
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
    models,
    surface,
    decks: Effect.sync(() => [...decks]),
    add: ({ model, serial }) =>
      Effect.gen(function*() {
        const known = yield* models
        if (!known.includes(model)) {
          return yield* new Invalid({ message: `unknown Stream Deck model "${model}"; one of: ${known.join(", ")}` })
        }
        let chosen = serial
        if (chosen === undefined) {
          do chosen = `VIRTUAL${++counter}`
          while (decks.some((d) => d.serial === chosen))
        }
        if (decks.some((d) => d.serial === chosen)) {
          return yield* new Invalid({ message: `a virtual deck ${chosen} exists already` })
        }
        const deck = yield* Effect.promise(() => makeVirtualDevice(model, chosen))
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

export class VirtualDecks extends Context.Service<VirtualDecks, {
  /** Plug in a new virtual deck of a model; it shows up in `Deck` like a USB deck. */
  readonly add: (options: { readonly model: string; readonly serial?: string }) => Effect.Effect<VirtualDevice, Invalid>
  /** Unplug one; false when there was no such virtual deck. */
  readonly remove: (serial: string) => Effect.Effect<boolean>
  /** The virtual decks, oldest first. */
  readonly decks: Effect.Effect<ReadonlyArray<VirtualDevice>>
  /** The models a virtual deck can be (the library's model ids). */
  readonly models: Effect.Effect<ReadonlyArray<string>>
  /** The surface `Deck` lists and opens them through. */
  readonly surface: DeckProviderShape
}>()("deckcord/VirtualDecks") {
  static readonly layer: Layer.Layer<VirtualDecks> = Layer.effect(VirtualDecks, make)
}
