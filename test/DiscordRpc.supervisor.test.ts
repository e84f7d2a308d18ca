/**
 * The supervisor must survive every interleaving: a drop with requests in flight, a bug in a
 * session, and connections that die young (backoff, not a tight loop).
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Redacted, Ref, Stream } from "effect"
import {
  authenticateWith,
  Authenticator,
  backoffDelay,
  type ConnectionState,
  DiscordIpc,
  DiscordRpc,
  type DiscordRpcOptions
} from "../src/index.ts"
import { FakeDiscord, FIXTURE_CLIENT_ID, simpleAuthority } from "../src/testing/index.ts"
import { captureLogs, eventually } from "./support/effects.ts"

const TOKEN = "test-access-token-0123456789abcdef"
const SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]
const FAST = {
  absentBase: 10,
  absentCap: 50,
  failureBase: 20,
  failureCap: 100
} as const satisfies NonNullable<DiscordRpcOptions["reconnect"]>

const client = (
  socketPaths: ReadonlyArray<string>,
  options: Partial<DiscordRpcOptions> = {},
  auth: Layer.Layer<Authenticator> = Authenticator.accessToken(Redacted.make(TOKEN))
) =>
  Layer.build(
    DiscordRpc.layer({ clientId: FIXTURE_CLIENT_ID, reconnect: FAST, ...options }).pipe(
      Layer.provide(DiscordIpc.layerWith({ socketPaths, handshakeTimeout: 2_000 })),
      Layer.provide(auth)
    )
  ).pipe(Effect.map((context) => context.mapUnsafe.get(DiscordRpc.key) as DiscordRpc["Service"]))

const nextState = (rpc: DiscordRpc["Service"], predicate: (s: ConnectionState) => boolean) =>
  rpc.stateChanges.pipe(
    Stream.filter(predicate),
    Stream.take(1),
    Stream.runHead,
    Effect.flatMap(Effect.fromOption),
    Effect.timeout("10 seconds"),
    Effect.orDie
  )

describe("DiscordRpc supervisor", () => {
  it.live("a drop with several requests in flight still reconnects (issue 9 item 1)", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }) })
      const rpc = yield* client([fake.socketPath])
      const first = yield* nextState(rpc, (s) => s._tag === "Ready")
      yield* fake.withholdReplies("GET_VOICE_SETTINGS")
      yield* fake.withholdReplies("GET_SELECTED_VOICE_CHANNEL")
      yield* fake.withholdReplies("GET_GUILDS")
      // what VoiceState's sync does right after Ready: several reads at once
      const reads = yield* Effect.all([rpc.getVoiceSettings, rpc.getSelectedVoiceChannel, rpc.getGuilds], {
        concurrency: "unbounded"
      }).pipe(Effect.forkChild)
      yield* eventually(rpc.stats, (s) => s.pendingRequests === 3, "three requests in flight")
      yield* fake.withholdReplies(undefined)
      yield* fake.drop
      const exit = yield* Fiber.await(reads)
      assert(Exit.isFailure(exit))
      const again = yield* nextState(rpc, (s) => s._tag === "Ready" && s !== first)
      expect(again._tag).toBe("Ready")
      expect((yield* rpc.stats).pendingRequests).toBe(0)
      // and the new connection works
      const settings = yield* rpc.getVoiceSettings
      expect(typeof settings.mute).toBe("boolean")
      expect(logs.lines.filter((l) => l.startsWith("Error"))).toEqual([])
    }).pipe(Effect.provide(logs.layer))
  })

  it.live("a defect inside a session is logged with its cause, shown, and retried (never a silent death)", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }) })
      const calls = yield* Ref.make(0)
      // an authenticator with a bug on its first call: the supervisor must outlive it
      const buggy = Layer.succeed(Authenticator, {
        authenticate: (session) =>
          Ref.getAndUpdate(calls, (n) => n + 1).pipe(
            Effect.flatMap((n) =>
              n === 0
                ? Effect.die(new TypeError("boom in authenticate"))
                : authenticateWith(session, Redacted.make(TOKEN)).pipe(Effect.orDie)
            )
          ),
        tokenRevoked: Effect.void,
        scopeRejected: () => Effect.succeed(false)
      })
      const rpc = yield* client([fake.socketPath], {}, buggy)
      const broken = yield* nextState(rpc, (s) => s._tag === "Disconnected" && s.reason._tag === "InternalError")
      assert(broken._tag === "Disconnected")
      expect(broken.reason.message).toMatch(/boom in authenticate/)
      yield* nextState(rpc, (s) => s._tag === "Ready")
      expect(logs.lines.some((l) => l.startsWith("Error") && l.includes("boom in authenticate"))).toBe(true)
      expect(yield* Ref.get(calls)).toBe(2)
    }).pipe(Effect.provide(logs.layer))
  })

  it.live("connections that die right after Ready are retried with a growing backoff, not at once (item 7)", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }) })
      const rpc = yield* client([fake.socketPath], { stable: "1 minute" })
      // Discord's updater, over and over: every connection is dropped as soon as it is Ready
      yield* rpc.stateChanges.pipe(
        Stream.filter((s) => s._tag === "Ready"),
        Stream.runForEach(() => fake.drop),
        Effect.forkChild
      )
      const delays = () =>
        logs.lines.flatMap((l) => {
          const m = /lasted only \d+ ms; reconnecting in (\d+) ms/.exec(l)
          return m === null ? [] : [Number(m[1])]
        })
      yield* eventually(Effect.sync(delays), (d) => d.length >= 6, "six short-lived connections")
      const seen = delays().slice(0, 6)
      seen.forEach((delay, attempt) => {
        const { failureBase, failureCap } = FAST
        expect(delay).toBeGreaterThanOrEqual(Math.floor(Math.min(failureCap, failureBase * 2 ** attempt * 0.8)))
        expect(delay).toBeLessThanOrEqual(failureCap)
      })
    }).pipe(Effect.provide(logs.layer))
  })

  it.live("a connection that stayed Ready long enough starts the backoff over", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }) })
      // every connection counts as stable: a drop reconnects without waiting
      const rpc = yield* client([fake.socketPath], { stable: 0 })
      const first = yield* nextState(rpc, (s) => s._tag === "Ready")
      yield* fake.drop
      yield* nextState(rpc, (s) => s._tag === "Ready" && s !== first)
      expect(logs.lines.filter((l) => l.includes("lasted only"))).toEqual([])
    }).pipe(Effect.provide(logs.layer))
  })

  it("the capped backoff never waits past its cap, and grows until it", () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      for (const random of [0, 0.5, 0.999]) {
        expect(backoffDelay(attempt, 2_000, 60_000, random)).toBeLessThanOrEqual(60_000)
      }
    }
    expect(backoffDelay(0, 2_000, 60_000, 0.5)).toBe(2_000)
    expect(backoffDelay(10, 2_000, 60_000, 0.999)).toBe(60_000)
    expect(backoffDelay(1, 2_000, 60_000, 0)).toBeCloseTo(3_200)
  })
})
