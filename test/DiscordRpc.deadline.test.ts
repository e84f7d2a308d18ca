/**
 * A command's deadline is an instant carried with it (issue 9 item 2): a press made long ago
 * that waits in the reconnect queue fails when its own deadline passes, and is never sent.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Layer, Redacted, Stream } from "effect"
import {
  Authenticator,
  CommandDeadline,
  type ConnectionState,
  deadlineFrom,
  DiscordIpc,
  DiscordRpc
} from "../src/index.ts"
import { FakeDiscord, FIXTURE_CLIENT_ID, simpleAuthority } from "../src/testing/index.ts"

const TOKEN = "test-access-token-0123456789abcdef"
const SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]

const client = (socketPaths: ReadonlyArray<string>) =>
  Layer.build(
    DiscordRpc.layer({
      clientId: FIXTURE_CLIENT_ID,
      reconnect: { absentBase: 10, absentCap: 50, failureBase: 20, failureCap: 100 }
    }).pipe(
      Layer.provide(DiscordIpc.layerWith({ socketPaths, handshakeTimeout: 2_000 })),
      Layer.provide(Authenticator.accessToken(Redacted.make(TOKEN)))
    )
  ).pipe(Effect.map((context) => context.mapUnsafe.get(DiscordRpc.key) as DiscordRpc["Service"]))

const until = (rpc: DiscordRpc["Service"], predicate: (s: ConnectionState) => boolean) =>
  rpc.stateChanges.pipe(Stream.filter(predicate), Stream.take(1), Stream.runDrain, Effect.timeout("10 seconds"), Effect.orDie)

describe("DiscordRpc deadlines", () => {
  it.live("a queued command expires at the deadline it carries, counted from when it entered, and is never sent", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }) })
      const rpc = yield* client([fake.socketPath])
      yield* until(rpc, (s) => s._tag === "Ready")
      yield* fake.stop
      yield* until(rpc, (s) => s._tag === "Disconnected")
      const now = yield* Clock.currentTimeMillis
      // pressed 4.9 s ago: 100 ms left, not another 5 s
      const error = yield* rpc.setVoiceSettings({ mute: true }).pipe(
        Effect.provideService(CommandDeadline, deadlineFrom(now - 4_900, 5_000)),
        Effect.flip
      )
      assert(error._tag === "CommandExpiredError")
      expect(error.waitedMillis).toBeGreaterThanOrEqual(5_000)
      expect(error.waitedMillis).toBeLessThan(9_000)
      // already past: fails without waiting at all, also when connected
      yield* fake.start
      yield* until(rpc, (s) => s._tag === "Ready")
      const past = yield* rpc.setVoiceSettings({ mute: true }, { deadline: deadlineFrom(now - 6_000, 5_000) }).pipe(Effect.flip)
      expect(past._tag).toBe("CommandExpiredError")
      yield* rpc.getVoiceSettings
      const sent = (yield* fake.framesReceived()).filter((f) => (f.payload as { cmd?: string }).cmd === "SET_VOICE_SETTINGS")
      expect(sent).toEqual([])
    }))
})
