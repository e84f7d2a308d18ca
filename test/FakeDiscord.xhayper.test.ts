/**
 * A third-party client, `@xhayper/discord-rpc`, works against FakeDiscord unchanged: the
 * fake is faithful enough that code written for the real Discord runs on it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Client } from "@xhayper/discord-rpc"
import { Effect } from "effect"
import { FakeDiscord, type FakeDiscordShape, fixtures } from "../src/testing/index.ts"

const CLIENT_ID = "1187365420193771520"
const SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"] as const

/** A client pinned to the fake's socket, destroyed with the test's scope. */
const xhayper = (fake: FakeDiscordShape) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      new Client({
        clientId: CLIENT_ID,
        transport: { type: "ipc", pathList: [{ platform: [process.platform], format: () => fake.socketPath }] }
      })
    ),
    (client) => Effect.promise(() => client.destroy())
  )

/** The next `evt` the client emits. */
const nextEvent = (client: Client, evt: "VOICE_SETTINGS_UPDATE") =>
  new Promise<any>((resolve) => client.once(evt, (data: unknown) => resolve(data)))

describe("@xhayper/discord-rpc against FakeDiscord", () => {
  it.live("connects, authorizes, authenticates, reads and writes voice settings, and receives events", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord.make()
      const client = yield* xhayper(fake)
      yield* Effect.promise(() => client.connect())
      assert.strictEqual(client.user?.id, fixtures.user.id)

      // AUTHORIZE through the raw request: its login() would exchange the code at discord.com.
      const authorize = yield* Effect.promise(() =>
        client.request("AUTHORIZE", { client_id: CLIENT_ID, scopes: SCOPES, prompt: "none" })
      )
      const code = (authorize.data as { code: string }).code
      yield* Effect.promise(() => client.login({ scopes: [...SCOPES], accessToken: `access-${code}` }))
      assert.strictEqual(client.application?.id, CLIENT_ID)

      const settings = yield* Effect.promise(() => client.request("GET_VOICE_SETTINGS", {}))
      assert.strictEqual((settings.data as { mute: boolean }).mute, false)

      const initial = nextEvent(client, "VOICE_SETTINGS_UPDATE")
      yield* Effect.promise(() => client.subscribe("VOICE_SETTINGS_UPDATE"))
      assert.strictEqual((yield* Effect.promise(() => initial)).mute, false)

      const changed = nextEvent(client, "VOICE_SETTINGS_UPDATE")
      const set = yield* Effect.promise(() => client.request("SET_VOICE_SETTINGS", { mute: true }))
      assert.strictEqual((set.data as { mute: boolean }).mute, true)
      assert.strictEqual((yield* Effect.promise(() => changed)).mute, true)

      // a change made "in Discord" reaches the client too
      const deafened = nextEvent(client, "VOICE_SETTINGS_UPDATE")
      yield* fake.setVoiceSettings({ deaf: true })
      assert.strictEqual((yield* Effect.promise(() => deafened)).deaf, true)
    }))

  it.live("surfaces Discord's error codes as RPCError", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord.make()
      const client = yield* xhayper(fake)
      yield* Effect.promise(() => client.connect())
      const error = yield* Effect.promise(() =>
        client.request("GET_VOICE_SETTINGS", {}).then(() => undefined, (e: { code: number; message: string }) => e)
      )
      assert.strictEqual(error?.code, 4006)
      assert.strictEqual(error?.message, "Not authenticated or invalid scope")
    }))

  it.live("finds a Flatpak-style socket through XDG_RUNTIME_DIR with its default path list", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ subdirectory: "app/com.discordapp.Discord" })
      const previous = process.env["XDG_RUNTIME_DIR"]
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          process.env["XDG_RUNTIME_DIR"] = fake.runtimeDir
        }),
        () =>
          Effect.sync(() => {
            if (previous === undefined) delete process.env["XDG_RUNTIME_DIR"]
            else process.env["XDG_RUNTIME_DIR"] = previous
          })
      )
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => new Client({ clientId: CLIENT_ID })),
        (c) => Effect.promise(() => c.destroy())
      )
      yield* Effect.promise(() => client.connect())
      assert.strictEqual(client.user?.id, fixtures.user.id)
      assert.strictEqual(yield* fake.connections, 1)
    }))
})
