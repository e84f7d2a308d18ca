/**
 * The scopes the OAuth flow asks for come from the scope policy its composition root gives
 * it: the config's own `scopes` by default, the layout's needs with `layoutScopePolicy`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import {
  type AuthSession,
  Authenticator,
  type DeckcordConfig,
  describeDeck,
  layoutScopePolicy,
  OAuth,
  OAuthFlow,
  RpcCommandError,
  Settings,
  TokenStore
} from "../src/index.ts"
import { FakeDeck } from "../src/testing/index.ts"

const ID = "112233445566778899"
const CAMERA_ON_KEY_8 = { "*": { keys: { "0": "mute", "8": "camera" } } }

/** The scopes of the first AUTHORIZE the flow sends (the stand-in then refuses it). */
const requestedScopes = (config: Partial<DeckcordConfig>, policy?: Layer.Layer<never>) =>
  Effect.gen(function*() {
    let asked: ReadonlyArray<string> | undefined
    const session: AuthSession = {
      clientId: ID,
      request: (cmd, args) =>
        Effect.suspend(() => {
          if (cmd === "AUTHORIZE") asked = args.scopes as ReadonlyArray<string>
          return Effect.fail(new RpcCommandError({ cmd, code: 5000, detail: "OAuth2 Error: access_denied" }))
        })
    }
    const flow = OAuthFlow.layer.pipe(
      Layer.provide(policy ?? Layer.empty),
      Layer.provide(Layer.mergeAll(
        Settings.layerStatic({ clientId: ID, clientSecret: Redacted.make("secret"), ...config }),
        TokenStore.layerMemory({}),
        OAuth.layerWith({ baseUrl: "http://127.0.0.1:9" })
      ))
    )
    yield* Authenticator.use((a) => a.authenticate(session)).pipe(Effect.provide(flow), Effect.exit)
    return asked
  })

describe("ScopePolicy", () => {
  it.effect("by default the flow asks for the config's scopes only, whatever the layout binds", () =>
    Effect.gen(function*() {
      const scopes = yield* requestedScopes({ scopes: ["screenshare"], decks: CAMERA_ON_KEY_8 })
      assert.includeMembers([...(scopes ?? [])], ["rpc.screenshare.read", "rpc.screenshare.write"])
      assert.notInclude(scopes ?? [], "rpc.video.read")
    }))

  it.effect("with the layout's policy, a camera key adds the video scopes", () =>
    Effect.gen(function*() {
      const scopes = yield* requestedScopes({ decks: CAMERA_ON_KEY_8 }, layoutScopePolicy())
      assert.includeMembers([...(scopes ?? [])], ["rpc.video.read", "rpc.video.write"])
    }))

  it.effect("with the connected decks, a camera key none of them has asks for nothing", () =>
    Effect.gen(function*() {
      const mini = yield* Effect.promise(async () => {
        const device = await (await FakeDeck.make({ model: "mini", serial: "MINI01" })).open()
        const info = describeDeck("MINI01", device)
        await device.close()
        return info
      })
      const scopes = yield* requestedScopes({ decks: CAMERA_ON_KEY_8 }, layoutScopePolicy(Effect.succeed([mini])))
      assert.notInclude(scopes ?? [], "rpc.video.read")
    }))
})
