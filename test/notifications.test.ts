/**
 * The notifications key end to end: FakeDiscord on a real socket, the real DiscordRpc,
 * VoiceState, Controller and Deck, a fake Mini. The deck's clock is shifted by the test to
 * hold a key "long" without waiting: press durations come from when inputs entered deckcord.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Duration, Effect, Layer, Stream, SubscriptionRef } from "effect"
import {
  controlId,
  Controller,
  Deck,
  type DeckcordConfig,
  DiscordRpc,
  type Face,
  KeyRenderer,
  LONG_PRESS_MILLIS,
  requiredScopes,
  Settings
} from "../src/index.ts"
import {
  FakeDeckProvider,
  FakeDiscord,
  fakeDiscordClient,
  type FakeDiscordShape,
  FIXTURE_CLIENT_ID,
  fixtures,
  simpleAuthority
} from "../src/testing/index.ts"
import { captureLogs, eventually } from "./support/effects.ts"

const TOKEN = "notifications-test-token"
const WAIT = Duration.seconds(10)
const { gaming, labGeneral } = fixtures.channels
const { alex, blair } = fixtures.users
const NOTIFICATIONS_KEY = { "*": { keys: { "0": "notifications", "1": "mute" } } }
const MUTE_ONLY = { "*": { keys: { "1": "mute" } } }

/** A clock `shift` milliseconds ahead of the real one (sleeps are the real clock's). */
const shiftedClock = (base: Clock.Clock) => {
  const state = { shift: 0 }
  const now = () => base.currentTimeMillisUnsafe() + state.shift
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: now,
    currentTimeMillis: Effect.sync(now),
    currentTimeNanosUnsafe: () => BigInt(now()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now()) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: base.monotonicTimeNanos,
    sleep: (duration) => base.sleep(duration)
  }
  return { clock, state }
}

const harness = (layout: unknown) =>
  Effect.gen(function*() {
    const logs = captureLogs()
    const config: DeckcordConfig = { clientId: FIXTURE_CLIENT_ID, brightness: 60, scopes: [], decks: layout }
    // the token holds exactly what deckcord would ask for with this layout
    const scopes = requiredScopes(config)
    const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: scopes }) })
    const ref = yield* SubscriptionRef.make(config)
    const settings = Layer.succeed(Settings)(Settings.of({
      file: "/test/config.json",
      config: SubscriptionRef.get(ref),
      changes: SubscriptionRef.changes(ref),
      saveCredentials: () => Effect.die("not used")
    }))
    const deckClock = shiftedClock(yield* Clock.clockWith(Effect.succeed))
    const decks = Deck.layerWith({ writeRetryDelay: "1 millis" }).pipe(
      Layer.provide(Layer.succeed(Clock.Clock)(deckClock.clock)),
      Layer.provideMerge(FakeDeckProvider.layer({ decks: ["mini"] })),
      Layer.provideMerge(KeyRenderer.layer)
    )
    const layer = Controller.layer.pipe(
      Layer.provideMerge(Layer.mergeAll(fakeDiscordClient(fake, { token: TOKEN }), decks, settings))
    )
    const context = yield* Layer.build(layer).pipe(Effect.provide(logs.layer))
    const [mini] = yield* Context.get(context, FakeDeckProvider).decks
    return { fake, scopes, controller: Context.get(context, Controller), mini: mini!, deckClock: deckClock.state }
  })

type Harness = Effect.Success<ReturnType<typeof harness>>

const faceWhere = (h: Harness, index: number, ok: (face: Face) => boolean, what: string) => {
  const id = controlId(h.mini.serial, { kind: "key", index })
  return h.controller.faceChanges.pipe(
    Stream.filter((faces) => faces.get(id) !== undefined && ok(faces.get(id)!)),
    Stream.take(1),
    Stream.runHead,
    Effect.flatMap(Effect.fromOption),
    Effect.map((faces) => faces.get(id)!),
    Effect.timeoutOrElse({
      duration: WAIT,
      orElse: () =>
        Effect.flatMap(h.controller.faces, (faces) =>
          Effect.die(new Error(`timed out waiting for ${what}; key ${index} shows ${JSON.stringify(faces.get(id))}`)))
    })
  )
}

const sent = (fake: FakeDiscordShape, cmd: string) =>
  fake.framesReceived().pipe(
    Effect.map((frames) =>
      frames.map((f) => f.payload as { cmd?: string; evt?: string; args?: Record<string, unknown> }).filter((p) => p.cmd === cmd)
    )
  )

const subscribedToNotifications = (fake: FakeDiscordShape) =>
  fake.subscriptions.pipe(Effect.map((subs) => subs.some((s) => s.evt === "NOTIFICATION_CREATE")))

/** Synced and the mute key live: every subscription of the connection went out. */
const ready = (h: Harness) => faceWhere(h, 1, (f) => f.tone !== "offline", "the mute key to be live")

describe("the notifications key", () => {
  it("asks for rpc.notifications.read only when a notifications key is bound", () => {
    const base = { scopes: [] as const }
    assert.include(requiredScopes({ ...base, decks: NOTIFICATIONS_KEY }), "rpc.notifications.read")
    assert.notInclude(requiredScopes({ ...base, decks: MUTE_ONLY }), "rpc.notifications.read")
    assert.notInclude(requiredScopes(base), "rpc.notifications.read")
  })

  it.live("counts NOTIFICATION_CREATE on its face with the sender; press opens the latest channel; a long press clears", () =>
    Effect.gen(function*() {
      const h = yield* harness(NOTIFICATIONS_KEY)
      assert.include(h.scopes, "rpc.notifications.read")
      yield* ready(h)
      yield* eventually(subscribedToNotifications(h.fake), (yes) => yes, "a NOTIFICATION_CREATE subscription")
      const idle = yield* faceWhere(h, 0, (f) => f.icon === "bell", "the bell")
      assert.isUndefined(idle.badge)

      assert.strictEqual(yield* h.fake.notify({ channelId: labGeneral.id, author: alex, content: "deck talk tonight?" }), 1)
      const one = yield* faceWhere(h, 0, (f) => f.badge === "1", "one unread")
      assert.strictEqual(one.label, alex.global_name)
      assert.strictEqual(yield* h.fake.notify({ channelId: gaming.id, author: blair, content: "gg" }), 1)
      const two = yield* faceWhere(h, 0, (f) => f.badge === "2", "two unread")
      assert.strictEqual(two.label, blair.global_name)

      // a short press opens the latest notification's channel and keeps the count
      h.mini.pressKey(0)
      yield* eventually(sent(h.fake, "SELECT_TEXT_CHANNEL"), (cs) => cs.length === 1, "SELECT_TEXT_CHANNEL")
      assert.strictEqual((yield* sent(h.fake, "SELECT_TEXT_CHANNEL"))[0]!.args?.["channel_id"], gaming.id)
      assert.strictEqual((yield* h.controller.faces).get(controlId(h.mini.serial, { kind: "key", index: 0 }))?.badge, "2")

      // held past the long-press threshold: cleared, and nothing opened
      h.mini.keyDown(0)
      h.deckClock.shift += LONG_PRESS_MILLIS + 100
      h.mini.keyUp(0)
      const cleared = yield* faceWhere(h, 0, (f) => f.badge === undefined, "the count cleared")
      assert.strictEqual(cleared.icon, "bell")
      assert.lengthOf(yield* sent(h.fake, "SELECT_TEXT_CHANNEL"), 1)

      // counting starts again from zero
      yield* h.fake.notify({ channelId: labGeneral.id, author: alex, content: "again" })
      yield* faceWhere(h, 0, (f) => f.badge === "1", "one unread after clearing")
    }).pipe(Effect.scoped, Effect.timeout("20 seconds")))

  it.live("without a notifications key: no scope, no subscription, and a notification reaches nobody", () =>
    Effect.gen(function*() {
      const h = yield* harness(MUTE_ONLY)
      assert.notInclude(h.scopes, "rpc.notifications.read")
      yield* ready(h)
      const subscribes = yield* sent(h.fake, "SUBSCRIBE")
      assert.isAbove(subscribes.length, 0)
      assert.notInclude(subscribes.map((s) => s.evt), "NOTIFICATION_CREATE")
      assert.isFalse(yield* subscribedToNotifications(h.fake))
      assert.strictEqual(yield* h.fake.notify({ channelId: labGeneral.id, author: alex, content: "hi" }), 0)
    }).pipe(Effect.scoped, Effect.timeout("20 seconds")))

  it.live("FakeDiscord dispatches NOTIFICATION_CREATE only to connections that subscribed with rpc.notifications.read", () =>
    Effect.gen(function*() {
      const withScope = "token-with-notifications"
      const fake = yield* FakeDiscord.make({
        authority: simpleAuthority({ [TOKEN]: requiredScopes({ scopes: [] }), [withScope]: requiredScopes({ scopes: ["notifications"] }) })
      })
      const attempt = (token: string) =>
        Effect.gen(function*() {
          const rpc = yield* DiscordRpc
          yield* rpc.stateChanges.pipe(Stream.filter((s) => s._tag === "Ready"), Stream.take(1), Stream.runDrain)
          const before = (yield* sent(fake, "SUBSCRIBE")).filter((f) => f.evt === "NOTIFICATION_CREATE").length
          const events = yield* rpc.subscribe("NOTIFICATION_CREATE")
          yield* eventually(
            sent(fake, "SUBSCRIBE"),
            (fs) => fs.filter((f) => f.evt === "NOTIFICATION_CREATE").length > before,
            "the SUBSCRIBE to reach the fake"
          )
          return { events, dispatched: yield* fake.notify({ channelId: labGeneral.id, author: alex, content: "hi" }) }
        }).pipe(Effect.provide(fakeDiscordClient(fake, { token })), Effect.scoped)
      // without the scope Discord refuses the SUBSCRIBE (4006), so nothing is dispatched
      assert.strictEqual((yield* attempt(TOKEN)).dispatched, 0)
      assert.strictEqual((yield* attempt(withScope)).dispatched, 1)
    }).pipe(Effect.scoped, Effect.timeout("20 seconds")))
})
