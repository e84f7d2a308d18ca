/**
 * The README's library example, run against FakeDiscord: if this breaks, the README lies.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { readFileSync } from "node:fs"
import { Authenticator, DiscordIpc, DiscordRpc, VERSION } from "../src/index.ts"
import { FakeDiscord, FIXTURE_CLIENT_ID, simpleAuthority } from "../src/testing/index.ts"

describe("the README library example", () => {
  it.live("connects and mutes you", () =>
    Effect.gen(function*() {
      const token = "readme-example-token-0123456789"
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [token]: ["rpc", "rpc.voice.write"] }) })

      // --- as in the README, with the fake's runtime dir instead of the real one ---
      const Discord = DiscordRpc.layer({ clientId: FIXTURE_CLIENT_ID }).pipe(
        Layer.provide(DiscordIpc.layerWith({ environment: { env: { XDG_RUNTIME_DIR: fake.runtimeDir }, platform: "linux" } })),
        Layer.provide(Authenticator.accessToken(Redacted.make(token)))
      )
      const muteMe = Effect.gen(function*() {
        const discord = yield* DiscordRpc
        // waits in the command queue until connected and authenticated
        const settings = yield* discord.setVoiceSettings({ mute: true }, { deadlineIn: "30 seconds" })
        return settings.mute
      })
      // ---

      expect(yield* muteMe.pipe(Effect.provide(Discord))).toBe(true)
      expect((yield* fake.state).voiceSettings.mute).toBe(true)
    }))

  it("the version constant matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
    expect(VERSION).toBe(pkg.version)
  })
})
