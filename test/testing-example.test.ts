/**
 * The README's "Testing with the fakes" example: the whole daemon's layers over FakeDiscord
 * and a fake MK.2. If this breaks, the README lies.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { Controller, Deck, KeyRenderer, Settings, VoiceState } from "../src/index.ts"
import {
  FakeDeckProvider,
  FakeDiscord,
  fakeDiscordClient,
  FIXTURE_CLIENT_ID,
  simpleAuthority
} from "../src/testing/index.ts"

describe("the README testing example", () => {
  it.live("a press on a fake deck mutes you in the fake Discord", () =>
    Effect.gen(function*() {
      // --- as in the README ---
      const fake = yield* FakeDiscord.make({
        authority: simpleAuthority({ "test-token": ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"] })
      })
      const discord = fakeDiscordClient(fake, { token: "test-token" }) // VoiceState + DiscordRpc on the fake
      const decks = Deck.layer.pipe(
        Layer.provideMerge(FakeDeckProvider.layer({ decks: ["original-mk2"] })),
        Layer.provide(KeyRenderer.layer)
      )
      const app = Controller.layer.pipe(
        Layer.provideMerge(Layer.mergeAll(discord, decks, Settings.layerStatic({ clientId: FIXTURE_CLIENT_ID })))
      )

      const muted = yield* Effect.gen(function*() {
        const voice = yield* VoiceState
        yield* voice.changes.pipe(Stream.filter((m) => m.synced), Stream.take(1), Stream.runDrain)
        const [mk2] = yield* FakeDeckProvider.use((p) => p.decks)
        mk2!.pressKey(0) // the default layout puts `mute` on key 0
        yield* voice.changes.pipe(Stream.filter((m) => m.muted), Stream.take(1), Stream.runDrain)
        return (yield* fake.state).voiceSettings.mute
      }).pipe(Effect.provide(app))
      // ---

      expect(muted).toBe(true)
    }).pipe(Effect.timeout("15 seconds")))
})
