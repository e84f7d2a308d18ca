import { assert, describe, expect, it } from "@effect/vitest"
import { Clock, Context, Effect, Exit, Fiber, Layer, Redacted, Ref, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import {
  Authenticator,
  type ConnectionState,
  DiscordIpc,
  DiscordNotFoundError,
  DiscordRpc,
  type DiscordRpcOptions,
  HandshakeClosedError
} from "../src/index.ts"
import {
  FakeDiscord,
  type FakeDiscordOptions,
  type FakeDiscordShape,
  FIXTURE_CLIENT_ID,
  fixtures,
  simpleAuthority
} from "../src/testing/index.ts"
import { eventually } from "./support/effects.ts"

const TOKEN = "test-access-token-0123456789abcdef"
const SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]

/** Fast reconnects: these tests use real sockets and real time. */
const FAST: DiscordRpcOptions["reconnect"] = {
  absentBase: 10,
  absentCap: 50,
  failureBase: 20,
  failureCap: 100
}

const fakeWith = (options: FakeDiscordOptions = {}) =>
  FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }), ...options })

/** Build DiscordRpc in the test's scope against the given socket paths. */
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

const waitFor = (rpc: DiscordRpc["Service"], predicate: (s: ConnectionState) => boolean) =>
  rpc.stateChanges.pipe(
    Stream.filter(predicate),
    Stream.take(1),
    Stream.runHead,
    Effect.flatMap(Effect.fromOption),
    Effect.timeout("5 seconds"),
    Effect.orDie
  )
const ready = (rpc: DiscordRpc["Service"]) => waitFor(rpc, (s) => s._tag === "Ready")
const disconnected = (rpc: DiscordRpc["Service"]) => waitFor(rpc, (s) => s._tag === "Disconnected")


const commandsReceived = (fake: FakeDiscordShape, cmd: string) =>
  fake.framesReceived().pipe(
    Effect.map((frames) =>
      frames
        .map((f) => f.payload as { cmd?: string; args?: Record<string, unknown> })
        .filter((p) => p.cmd === cmd)
    )
  )

describe("DiscordRpc against FakeDiscord", () => {
  it.live("connects, authenticates and answers typed requests", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      const state = yield* ready(rpc)
      assert(state._tag === "Ready")
      expect(state.user?.id).toBe(fixtures.user.id)
      expect(state.authenticated?.scopes).toEqual(SCOPES)
      expect(state.socketPath).toBe(fake.socketPath)
      const settings = yield* rpc.getVoiceSettings
      expect(settings.input?.available_devices?.length).toBeGreaterThan(0)
      expect(typeof settings.mute).toBe("boolean")
      const updated = yield* rpc.setVoiceSettings({ mute: true })
      expect(updated.mute).toBe(true)
      const handshakes = yield* fake.handshakes
      expect(handshakes[0]?.payload).toEqual({ v: 1, client_id: FIXTURE_CLIENT_ID })
    }))

  it.live("Discord's ERROR replies become RpcCommandError with the code, message and a hint", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      const error = yield* rpc.getChannel("999999999999999999").pipe(Effect.flip)
      assert(error._tag === "RpcCommandError")
      expect(error.code).toBe(4005)
      expect(error.codeName).toBe("INVALID_CHANNEL")
      expect(error.message).toMatch(/GET_CHANNEL failed: 4005 INVALID_CHANNEL/)
      expect(error.message).toMatch(/check the channel id/)
    }))

  it.live("a rejected token fails authentication without echoing the token", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const bad = "bad-token-that-must-never-be-logged-xyz"
      const rpc = yield* client([fake.socketPath], {}, Authenticator.accessToken(Redacted.make(bad)))
      const state = yield* waitFor(rpc, (s) => s._tag === "Disconnected" && s.reason._tag === "AuthenticationFailed")
      assert(state._tag === "Disconnected")
      expect(state.reason.message).toMatch(/4009/)
      expect(state.reason.message).not.toContain(bad)
      expect(state.reason.hint).toMatch(/deckcord auth/)
    }))

  it.live("CLOSE 4000 during the handshake is reported with Discord's code and the fix", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith({ clientIds: ["111111111111111111"] })
      const rpc = yield* client([fake.socketPath])
      const state = yield* waitFor(rpc, (s) => s._tag === "Disconnected" && s.reason._tag === "HandshakeFailed")
      assert(state._tag === "Disconnected")
      expect(state.reason.closeCode).toBe(4000)
      expect(state.reason.message).toMatch(/Invalid Client ID/)
      expect(state.reason.hint).toMatch(/client_id/)
    }))

  it.live("skips arRPC and connects to the official client behind it (docs/discord-rpc.md#skipping-arrpc-and-vesktop)", () =>
    Effect.gen(function*() {
      const arrpc = yield* fakeWith({ flavor: "arrpc" })
      const discord = yield* fakeWith()
      const rpc = yield* client([arrpc.socketPath, discord.socketPath])
      const state = yield* ready(rpc)
      assert(state._tag === "Ready")
      expect(state.socketPath).toBe(discord.socketPath)
    }))

  it.live("only arRPC: says voice control needs the official client", () =>
    Effect.gen(function*() {
      const arrpc = yield* fakeWith({ flavor: "arrpc" })
      const rpc = yield* client([arrpc.socketPath])
      const state = yield* waitFor(rpc, (s) => s._tag === "Disconnected" && s.reason._tag === "ArRpcOnly")
      assert(state._tag === "Disconnected")
      expect(state.reason.message).toMatch(/official Discord/)
    }))

  it.live("no socket at all: NoDiscord with a hint, and it connects once Discord appears", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      yield* fake.stop
      const rpc = yield* client([fake.socketPath])
      const state = yield* waitFor(rpc, (s) => s._tag === "Disconnected" && s.reason._tag === "NoDiscord")
      assert(state._tag === "Disconnected")
      expect(state.reason.message).toMatch(/Discord is not running/)
      yield* fake.start
      yield* ready(rpc)
    }))

  it.live("requests time out with a typed error when Discord never answers", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      yield* fake.withholdReplies("GET_GUILDS")
      const error = yield* rpc.request("GET_GUILDS", {}, { timeout: "100 millis" }).pipe(Effect.flip)
      assert(error._tag === "RpcTimeoutError")
      expect(error.message).toMatch(/did not answer within 100 ms/)
      expect((yield* rpc.stats).pendingRequests).toBe(0)
    }))

  it.live("pending requests fail with ConnectionLost when the socket drops", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      yield* fake.withholdReplies("GET_GUILDS")
      const fiber = yield* rpc.request("GET_GUILDS").pipe(Effect.flip, Effect.forkChild)
      yield* eventually(commandsReceived(fake, "GET_GUILDS"), (c) => c.length === 1, "GET_GUILDS sent")
      yield* fake.drop
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("ConnectionLostError")
      yield* ready(rpc)
    }))

  it.live("garbage from the server is a protocol error: reconnect, never a crash", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      yield* rpc.stateChanges.pipe(
        Stream.runForEach((s) => Ref.update(seen, (xs) => [...xs, s._tag === "Disconnected" ? s.reason._tag : s._tag])),
        Effect.forkScoped
      )
      yield* fake.injectRaw(Buffer.from([1, 0, 0, 0, 5, 0, 0, 0, 0x7b, 0x6e, 0x6f, 0x70, 0x65])) // `{nope`
      yield* eventually(Ref.get(seen), (xs) => xs.includes("ProtocolError"), "protocol error state")
      yield* eventually(Ref.get(seen), (xs) => xs.lastIndexOf("Ready") > xs.indexOf("ProtocolError"), "reconnect")
      // the new connection carries commands: a change reaches the fake and comes back
      assert.isFalse((yield* fake.state).voiceSettings.deaf)
      const updated = yield* rpc.setVoiceSettings({ deaf: true })
      expect(updated.deaf).toBe(true)
      expect((yield* fake.state).voiceSettings.deaf).toBe(true)
    }))

  it.live("PINGs are answered with PONGs echoing the body", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      const pongs = yield* fake.pingStorm(100)
      expect(pongs).toBe(100)
    }))

  it.live("commands issued during an outage are delivered exactly once, in order, after reconnect", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath], { commandDeadline: "5 seconds" })
      yield* ready(rpc)
      yield* fake.stop
      yield* disconnected(rpc)
      const volumes = [11, 22, 33, 44, 55]
      const fibers = yield* Effect.forEach(volumes, (volume) =>
        rpc.setVoiceSettings({ input: { volume } }).pipe(Effect.forkChild))
      yield* eventually(rpc.stats, (s) => s.queuedCommands === volumes.length, "queued commands")
      yield* fake.start
      yield* Effect.forEach(fibers, Fiber.join)
      const sent = yield* commandsReceived(fake, "SET_VOICE_SETTINGS")
      expect(sent.map((p) => (p.args?.input as { volume: number }).volume)).toEqual(volumes)
      expect((yield* fake.state).voiceSettings.input.volume).toBe(55)
    }))

  it.live("a command that waits past its deadline fails as expired and is never sent late", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      yield* fake.stop
      yield* disconnected(rpc)
      const error = yield* rpc.setVoiceSettings({ mute: true }, { deadlineIn: "50 millis" }).pipe(Effect.flip)
      assert(error._tag === "CommandExpiredError")
      expect(error.message).toMatch(/not connected within \d+ ms/)
      expect(error.waitedMillis).toBeGreaterThanOrEqual(50)
      yield* fake.start
      yield* ready(rpc)
      yield* rpc.getVoiceSettings // a later request goes through, and nothing stale before it
      expect(yield* commandsReceived(fake, "SET_VOICE_SETTINGS")).toEqual([])
    }))

  it.live("a full queue rejects instead of growing, and expired commands free their places", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      yield* fake.stop
      const rpc = yield* client([fake.socketPath], { queueCapacity: 3 })
      yield* disconnected(rpc)
      const waiting = yield* Effect.forEach([1, 2, 3], () =>
        rpc.request("GET_GUILDS", {}, { deadlineIn: 60_000 }).pipe(Effect.exit, Effect.forkChild))
      yield* eventually(rpc.stats, (s) => s.queuedCommands === 3, "three queued")
      const full = yield* rpc.request("GET_GUILDS").pipe(Effect.flip)
      assert(full._tag === "QueueFullError")
      expect(full.message).toMatch(/3 commands already wait/)
      yield* Effect.forEach(waiting, Fiber.interrupt)
      yield* eventually(rpc.stats, (s) => s.queuedCommands === 0, "interrupted commands leave the queue")
      const again = yield* rpc.request("GET_GUILDS", {}, { deadlineIn: 20 }).pipe(Effect.flip)
      expect(again._tag).toBe("CommandExpiredError")
    }))

  it.live("subscribers share one remote SUBSCRIBE and each receives every event once", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      const a = yield* rpc.subscribe("VOICE_SETTINGS_UPDATE")
      const b = yield* rpc.subscribe("VOICE_SETTINGS_UPDATE")
      // the initial dispatch after SUBSCRIBE, then one per change
      const collect = (s: Stream.Stream<{ readonly mute?: boolean }>) =>
        s.pipe(Stream.map((v) => v.mute), Stream.take(3), Stream.runCollect, Effect.forkChild)
      const fa = yield* collect(a)
      const fb = yield* collect(b)
      yield* eventually(fake.subscriptions, (subs) => subs.length === 1, "one remote subscription")
      yield* fake.setVoiceSettings({ mute: true })
      yield* fake.setVoiceSettings({ mute: false })
      const [ra, rb] = [yield* Fiber.join(fa), yield* Fiber.join(fb)]
      expect(ra).toEqual([false, true, false])
      expect(rb).toEqual(ra)
      expect(yield* commandsReceived(fake, "SUBSCRIBE")).toHaveLength(1)
    }))

  it.live("a subscriber that stops reading keeps only its newest events, and the drops are counted", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath], { subscriberBuffer: 4 })
      yield* ready(rpc)
      const stalled = yield* rpc.subscribe("VOICE_SETTINGS_UPDATE") // not read until the end
      yield* eventually(fake.subscriptions, (subs) => subs.length === 1, "one remote subscription")
      // the initial dispatch, then ten changes: eleven events for a buffer of four
      for (let volume = 1; volume <= 10; volume++) yield* fake.setVoiceSettings({ input: { volume } })
      yield* eventually(rpc.stats, (s) => s.droppedEvents === 7, "seven dropped")
      const kept = yield* stalled.pipe(Stream.map((v) => v.input?.volume), Stream.take(4), Stream.runCollect)
      expect(kept).toEqual([7, 8, 9, 10])
    }))

  it.live("subscriptions are sent again after Discord restarts", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      const stream = yield* rpc.subscribe("SPEAKING_START", { channel_id: fixtures.channels.lounge.id })
      const next = yield* stream.pipe(Stream.take(1), Stream.runCollect, Effect.forkChild)
      yield* fake.stop
      yield* disconnected(rpc)
      yield* fake.start
      yield* ready(rpc)
      yield* eventually(fake.subscriptions, (subs) => subs.some((s) => s.evt === "SPEAKING_START"), "resubscribed")
      yield* fake.moveSelfTo(fixtures.channels.lounge.id)
      const speaker = fixtures.users.alex
      yield* fake.startSpeaking(speaker.id)
      const [event] = yield* Fiber.join(next)
      expect(event?.user_id).toBe(speaker.id)
    }))

  it.live("1,000 subscribe/unsubscribe cycles end with zero remote and zero local subscriptions", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      for (let i = 0; i < 1_000; i++) {
        const scope = yield* Scope.make()
        yield* rpc.subscribe("VOICE_CONNECTION_STATUS").pipe(Scope.provide(scope))
        yield* rpc.subscribe("SPEAKING_STOP", { channel_id: String(100000000000000000n + BigInt(i)) }).pipe(
          Scope.provide(scope)
        )
        yield* Scope.close(scope, Exit.void)
      }
      yield* rpc.getVoiceSettings // everything sent before it has been processed by the fake
      yield* eventually(fake.subscriptions, (subs) => subs.length === 0, "no remote subscriptions")
      expect(yield* rpc.stats).toEqual({
        pendingRequests: 0,
        queuedCommands: 0,
        remoteSubscriptions: 0,
        localSubscribers: 0,
        droppedEvents: 0
      })
      expect((yield* commandsReceived(fake, "SUBSCRIBE")).length).toBe(2_000)
      expect((yield* commandsReceived(fake, "UNSUBSCRIBE")).length).toBe(2_000)
    }), 60_000)

  it.live("a 4003 close (authorization revoked) tells the authenticator to drop its tokens", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const revoked = yield* Ref.make(0)
      const auth = Layer.succeed(Authenticator, {
        authenticate: (session) =>
          session.request("AUTHENTICATE", { access_token: TOKEN }).pipe(
            Effect.as(undefined),
            Effect.orDie
          ),
        tokenRevoked: Ref.update(revoked, (n) => n + 1),
        scopeRejected: () => Effect.succeed(false)
      })
      const rpc = yield* client([fake.socketPath], {}, auth)
      yield* ready(rpc)
      yield* fake.revokeToken(TOKEN)
      yield* eventually(Ref.get(revoked), (n) => n === 1, "tokenRevoked called")
    }))

  it.live("a missing-scope 4006 on a command asks the authenticator once, and reconnects when it says so", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith() // the token has no rpc.video.write
      const refusals = yield* Ref.make<ReadonlyArray<{ cmd: string; evt?: string | undefined }>>([])
      const auth = Layer.succeed(Authenticator, {
        authenticate: (session) =>
          session.request("AUTHENTICATE", { access_token: TOKEN }).pipe(Effect.as(undefined), Effect.orDie),
        tokenRevoked: Effect.void,
        scopeRejected: (refused) =>
          Ref.modify(refusals, (xs) => [xs.length === 0, [...xs, refused]]) // yes the first time only
      })
      const rpc = yield* client([fake.socketPath], {}, auth)
      yield* ready(rpc)
      const error = yield* rpc.request("TOGGLE_VIDEO").pipe(Effect.flip)
      assert(error._tag === "RpcCommandError")
      expect(error.code).toBe(4006)
      yield* eventually(fake.handshakes, (hs) => hs.length === 2, "one reconnect")
      yield* ready(rpc)
      yield* rpc.request("TOGGLE_VIDEO").pipe(Effect.flip)
      yield* eventually(Ref.get(refusals), (xs) => xs.length === 2, "asked again")
      expect(yield* Ref.get(refusals)).toEqual([{ cmd: "TOGGLE_VIDEO", evt: undefined }, { cmd: "TOGGLE_VIDEO", evt: undefined }])
      // the authenticator said no the second time: no further reconnect
      yield* rpc.getVoiceSettings
      expect(yield* fake.handshakes).toHaveLength(2)
    }))

  it.live("without an application id it waits (NotConfigured) and connects on reconnect once one is set", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const id = yield* Ref.make<string | undefined>(undefined)
      const rpc = yield* client([fake.socketPath], { clientId: Ref.get(id) })
      const state = yield* waitFor(rpc, (s) => s._tag === "Disconnected" && s.reason._tag === "NotConfigured")
      assert(state._tag === "Disconnected")
      expect(state.reason.hint).toMatch(/deckcord auth/)
      expect(yield* fake.connections).toBe(0)
      yield* Ref.set(id, FIXTURE_CLIENT_ID)
      yield* rpc.reconnect
      yield* ready(rpc)
    }))

  it.live("reconnect drops the connection and connects again", () =>
    Effect.gen(function*() {
      const fake = yield* fakeWith()
      const rpc = yield* client([fake.socketPath])
      yield* ready(rpc)
      yield* rpc.reconnect
      yield* eventually(fake.handshakes, (h) => h.length === 2, "second handshake")
      yield* ready(rpc)
    }))
})

describe("reconnect backoff (TestClock)", () => {
  /** A transport that always fails the same way, recording when it was called. */
  const failingIpc = (error: () => DiscordNotFoundError | HandshakeClosedError, times: Ref.Ref<ReadonlyArray<number>>) =>
    Layer.succeed(DiscordIpc, {
      connect: () =>
        Clock.currentTimeMillis.pipe(
          Effect.tap((now) => Ref.update(times, (xs) => [...xs, now])),
          Effect.andThen(Effect.fail(error()))
        ),
      existingCandidates: Effect.succeed([])
    })

  const attempts = (error: () => DiscordNotFoundError | HandshakeClosedError) =>
    Effect.gen(function*() {
      const times = yield* Ref.make<ReadonlyArray<number>>([])
      yield* Layer.build(
        DiscordRpc.layer({ clientId: FIXTURE_CLIENT_ID }).pipe(
          Layer.provide(failingIpc(error, times)),
          Layer.provide(Authenticator.none)
        )
      )
      yield* TestClock.adjust("2 minutes")
      const ts = yield* Ref.get(times)
      return ts.slice(1).map((t, i) => t - ts[i]!)
    })

  it.effect("no socket: retries fast, exponentially, jittered, capped at 5 s", () =>
    Effect.gen(function*() {
      const delays = yield* attempts(() => new DiscordNotFoundError({ searched: ["/run/user/1000"], detail: "" }))
      expect(delays.length).toBeGreaterThan(20)
      delays.slice(0, 5).forEach((d, i) => {
        const base = 250 * 2 ** i
        expect(d).toBeGreaterThanOrEqual(base * 0.8)
        expect(d).toBeLessThanOrEqual(base * 1.2)
      })
      expect(Math.max(...delays)).toBeLessThanOrEqual(5_000 * 1.2)
      expect(delays.at(-1)).toBeGreaterThanOrEqual(5_000 * 0.8)
    }))

  it.effect("reconnect cuts a backoff short and starts again with fresh schedules", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<ReadonlyArray<number>>([])
      const context = yield* Layer.build(
        DiscordRpc.layer({ clientId: FIXTURE_CLIENT_ID }).pipe(
          Layer.provide(failingIpc(() => new HandshakeClosedError({ path: "/x", code: 4000, detail: "x" }), times)),
          Layer.provide(Authenticator.none)
        )
      )
      const rpc = Context.get(context, DiscordRpc)
      yield* TestClock.adjust("10 seconds") // attempts at ~0, ~2 s, ~6 s; the next is seconds away
      const before = (yield* Ref.get(times)).length
      yield* rpc.reconnect
      yield* TestClock.adjust(0)
      const after = yield* Ref.get(times)
      expect(after.length).toBe(before + 1)
      expect(after.at(-1)).toBe(10_000) // at once, not at the next scheduled retry
    }))

  it.effect("handshake failures back off slowly (Discord throttles handshakes, docs/discord-rpc.md#connection-throttle), capped at 60 s", () =>
    Effect.gen(function*() {
      const delays = yield* attempts(() => new HandshakeClosedError({ path: "/x", code: 4000, detail: "Invalid Client ID" }))
      delays.slice(0, 4).forEach((d, i) => {
        const base = 2_000 * 2 ** i
        expect(d).toBeGreaterThanOrEqual(base * 0.8)
        expect(d).toBeLessThanOrEqual(base * 1.2)
      })
      expect(Math.max(...delays)).toBeLessThanOrEqual(60_000 * 1.2)
      // 2 minutes of throttled retries is a handful of handshakes, not a tight loop
      expect(delays.length).toBeLessThan(8)
    }))
})
