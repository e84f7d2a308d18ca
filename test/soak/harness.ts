/**
 * Shared pieces of the soak tests: a FakeDiscord that accepts one token, deckcord's client
 * built in the test's scope, and a recorder of every connection state it passes through.
 */
import { Effect, Layer, Redacted, References, Stream } from "effect"
import {
  Authenticator,
  type ConnectionState,
  DiscordIpc,
  DiscordRpc,
  type DiscordRpcOptions,
  type ReconnectOptions
} from "../../src/index.ts"
import { FakeDiscord, type FakeDiscordOptions, FIXTURE_CLIENT_ID, simpleAuthority } from "../../src/testing/index.ts"

export const TOKEN = "soak-access-token-0123456789abcdef"
export const SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]

/** Reconnect fast: the fake is local and the soak wants many cycles per minute. */
export const FAST: ReconnectOptions = {
  absentBase: 10,
  absentCap: 50,
  failureBase: 20,
  failureCap: 100
}

export const fakeWith = (options: FakeDiscordOptions = {}) =>
  FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }), ...options })

/** deckcord's client in the test's scope. */
export const client = (
  socketPath: string,
  options: Partial<DiscordRpcOptions> = {},
  auth: Layer.Layer<Authenticator> = Authenticator.accessToken(Redacted.make(TOKEN))
) =>
  Layer.build(
    DiscordRpc.layer({ clientId: FIXTURE_CLIENT_ID, reconnect: FAST, ...options }).pipe(
      Layer.provide(DiscordIpc.layerWith({ socketPaths: [socketPath], handshakeTimeout: 2_000 })),
      Layer.provide(auth),
      // thousands of injected faults would log thousands of warnings; the records say what happened
      Layer.provide(Layer.succeed(References.MinimumLogLevel, "Error"))
    )
  ).pipe(Effect.map((context) => context.mapUnsafe.get(DiscordRpc.key) as DiscordRpc["Service"]))

/** Every state the client goes through, from now on, for as long as the scope lives. */
export const recordStates = (rpc: DiscordRpc["Service"]) =>
  Effect.gen(function*() {
    const states: Array<ConnectionState> = []
    yield* rpc.stateChanges.pipe(
      Stream.runForEach((s) => Effect.sync(() => void states.push(s))),
      Effect.forkScoped
    )
    yield* Effect.yieldNow
    const count = (tag: ConnectionState["_tag"]) => states.filter((s) => s._tag === tag).length
    /** Wait until `tag` has been seen more than `after` times. */
    const awaitCount = (tag: ConnectionState["_tag"], after: number, what: string = tag) =>
      Effect.gen(function*() {
        for (let i = 0; i < 1_000; i++) {
          if (count(tag) > after) return
          yield* Effect.sleep("5 millis")
        }
        return yield* Effect.die(new Error(`timed out waiting for ${what} (seen ${count(tag)} times)`))
      })
    return { states, count, awaitCount }
  })

export { eventually } from "../support/effects.ts"
export { header } from "../support/frames.ts"
