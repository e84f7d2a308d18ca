/**
 * The reads after connecting: a lost or slow reply is asked again on the same connection,
 * so deckcord is never left connected but "syncing" (issue 9 item 3).
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Stream } from "effect"
import { DiscordRpc, SYNC_READ_TIMEOUT, type VoiceModel, VoiceState } from "../src/index.ts"
import { FakeDiscord, fakeDiscordClient, fixtures, simpleAuthority } from "../src/testing/index.ts"
import { captureLogs, eventually } from "./support/effects.ts"

const TOKEN = "tok"
const SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]

const until = (voice: VoiceState["Service"], predicate: (m: VoiceModel) => boolean) =>
  voice.changes.pipe(
    Stream.filter(predicate),
    Stream.take(1),
    Stream.runHead,
    Effect.flatMap(Effect.fromOption),
    Effect.timeout(Duration.seconds(15)),
    Effect.orDie
  )

describe("VoiceState sync after connecting", () => {
  for (const cmd of ["GET_VOICE_SETTINGS", "GET_SELECTED_VOICE_CHANNEL", "GET_CHANNEL"]) {
    it.live(`an unanswered ${cmd} is asked again on the same connection, and the model syncs`, () => {
      const logs = captureLogs()
      return Effect.gen(function*() {
        const fake = yield* FakeDiscord.make({
          authority: simpleAuthority({ [TOKEN]: SCOPES }),
          initialVoiceChannelId: fixtures.channels.lounge.id
        })
        yield* fake.withholdNext(cmd)
        const context = yield* Layer.build(fakeDiscordClient(fake, { token: TOKEN }))
        const voice = Context.get(context, VoiceState)
        const rpc = Context.get(context, DiscordRpc)
        const m = yield* until(voice, (m) => m.synced && (m.channel?.members.size ?? 0) > 0)
        assert(m.connection._tag === "Ready")
        expect(m.settings).toBeDefined()
        expect(m.channel?.id).toBe(fixtures.channels.lounge.id)
        // one connection, the read sent twice on it
        expect((yield* fake.handshakes).length).toBe(1)
        const asked = fake.framesReceived().pipe(
          Effect.map((frames) => frames.filter((f) => (f.payload as { cmd?: string }).cmd === cmd).length)
        )
        // GET_CHANNEL's members also arrive by events, so the model may sync before its retry
        yield* eventually(asked, (n) => n === 2, `${cmd} asked again`)
        yield* eventually(rpc.stats, (s) => s.pendingRequests === 0, "no request left in flight")
        if (cmd !== "GET_CHANNEL") {
          expect(logs.lines.some((l) => l.includes(`within ${Duration.toMillis(SYNC_READ_TIMEOUT)} ms`) && l.includes("asking again")))
            .toBe(true)
        }
      }).pipe(Effect.provide(logs.layer))
    })
  }
})
