/**
 * The command path's promises (issue 9 items 2 and 9): a press's deadline runs from the
 * press, per-control queues are bounded, nothing is sent late, errors say what happened, and
 * readers of the faces see one consistent snapshot per model.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Clock, Context, Duration, Effect, Layer, Stream, SubscriptionRef } from "effect"
import {
  CONTROL_QUEUE_CAPACITY,
  controlId,
  Controller,
  Deck,
  type DeckcordConfig,
  type Face,
  KeyRenderer,
  PRESS_DEADLINE_MILLIS,
  requiredScopes,
  Settings
} from "../src/index.ts"
import {
  type FakeDeck,
  FakeDeckProvider,
  FakeDiscord,
  fakeDiscordClient,
  type FakeDiscordOptions,
  type FakeDiscordShape,
  FIXTURE_CLIENT_ID,
  simpleAuthority
} from "../src/testing/index.ts"
import { captureLogs, eventually } from "./support/effects.ts"

const TOKEN = "controller-test-token"
const SCOPES = requiredScopes({ scopes: [] })
const WAIT = Duration.seconds(15)

const harness = (options: { readonly decks: ReadonlyArray<string>; readonly layout: unknown; readonly fake?: FakeDiscordOptions }) =>
  Effect.gen(function*() {
    const logs = captureLogs()
    const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }), ...options.fake })
    const config = yield* SubscriptionRef.make<DeckcordConfig>({ clientId: FIXTURE_CLIENT_ID, decks: options.layout } as DeckcordConfig)
    const settings = Layer.succeed(Settings)(Settings.of({
      file: "/test/config.json",
      config: SubscriptionRef.get(config),
      changes: SubscriptionRef.changes(config),
      saveCredentials: () => Effect.die("not used")
    }))
    const decks = Deck.layerWith({ writeRetryDelay: "1 millis" }).pipe(
      Layer.provideMerge(FakeDeckProvider.layer({ decks: options.decks })),
      Layer.provideMerge(KeyRenderer.layer)
    )
    const layer = Controller.layer.pipe(
      Layer.provideMerge(Layer.mergeAll(fakeDiscordClient(fake, { token: TOKEN }), decks, settings))
    )
    const context = yield* Layer.build(layer).pipe(Effect.provide(logs.layer))
    const provider = Context.get(context, FakeDeckProvider)
    return { fake, controller: Context.get(context, Controller), decks: yield* provider.decks, logs: logs.lines }
  })
type Harness = Effect.Success<ReturnType<typeof harness>>

const faceWhere = (h: Harness, id: string, ok: (face: Face) => boolean, what: string) =>
  h.controller.faceChanges.pipe(
    Stream.filter((faces) => {
      const face = faces.get(id)
      return face !== undefined && ok(face)
    }),
    Stream.take(1),
    Stream.runHead,
    Effect.flatMap(Effect.fromOption),
    Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die(new Error(`timed out waiting for ${what}`)) })
  )

const sent = (fake: FakeDiscordShape, cmd: string) =>
  fake.framesReceived().pipe(
    Effect.map((frames) => frames.map((f) => f.payload as { cmd?: string; args?: Record<string, unknown> }).filter((p) => p.cmd === cmd))
  )
const key = (deck: FakeDeck, index: number) => controlId(deck.serial, { kind: "key", index })
const countLogs = (h: Harness, text: string) => Effect.sync(() => h.logs.filter((l) => l.includes(text)).length)

describe("Controller command path", () => {
  it.live("presses during an outage: beyond the per-key bound they fail at once, the rest 5 s after each press; none is sent late", () =>
    Effect.gen(function*() {
      const h = yield* harness({ decks: ["mini"], layout: { "*": { keys: { "0": "mute", "1": "status" } } } })
      const [mini] = h.decks as [FakeDeck]
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Mic on", "connected")
      yield* h.fake.stop
      yield* faceWhere(h, key(mini, 0), (f) => f.tone === "offline", "offline")
      const presses = CONTROL_QUEUE_CAPACITY + 4
      for (let i = 0; i < presses; i++) mini.pressKey(0)
      // the overflow is told at once, not after the others time out
      yield* eventually(countLogs(h, "inputs waiting for Discord"), (n) => n === 4, "four presses turned away")
      yield* faceWhere(h, key(mini, 0), (f) => f.overlay === "error", "the error face")
      // every queued press expires counted from its own press: all of them within one deadline,
      // not one deadline after another
      yield* eventually(countLogs(h, "was not sent"), (n) => n === CONTROL_QUEUE_CAPACITY, "every queued press expired")
      expect(h.logs.filter((l) => l.includes("was not sent")).every((l) => /within \d+ ms/.test(l))).toBe(true)
      // Discord comes back: nothing pressed during the outage lands now
      yield* h.fake.start
      yield* faceWhere(h, key(mini, 1), (f) => f.label === "Connected", "connected again")
      expect(yield* sent(h.fake, "SET_VOICE_SETTINGS")).toEqual([])
      // and the key works again
      mini.pressKey(0)
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Muted", "a new press is delivered")
      expect((yield* sent(h.fake, "SET_VOICE_SETTINGS")).length).toBe(1)
    }), 40_000)

  it.live("a submitted press carries its own entry time: one already past its deadline is never sent", () =>
    Effect.gen(function*() {
      const h = yield* harness({ decks: ["mini"], layout: { "*": { keys: { "0": "mute", "1": { action: "input-volume", set: 42 } } } } })
      const [mini] = h.decks as [FakeDeck]
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Mic on", "connected")
      const now = yield* Clock.currentTimeMillis
      const late = yield* h.controller.submit({ _tag: "KeyDown", serial: mini.serial, key: 1, at: now - PRESS_DEADLINE_MILLIS - 1 })
        .pipe(Effect.flip)
      expect(late._tag).toBe("CommandExpiredError")
      yield* faceWhere(h, key(mini, 1), (f) => f.overlay === "error", "the error face for the late press")
      // one in time goes through, and the caller learns it did
      yield* h.controller.submit({ _tag: "KeyDown", serial: mini.serial, key: 1, at: now })
      yield* h.controller.submit({ _tag: "KeyUp", serial: mini.serial, key: 1, at: now })
      const volumes = yield* sent(h.fake, "SET_VOICE_SETTINGS")
      expect(volumes.map((c) => c.args)).toEqual([{ input: { volume: 42 } }])
      const unbound = yield* h.controller.submit({ _tag: "KeyDown", serial: mini.serial, key: 5, at: now }).pipe(Effect.flip)
      assert(unbound._tag === "PressRejectedError")
      expect(unbound.reason).toBe("unbound")
    }), 30_000)

  it.live("a press while Discord is connected but its voice state unread says so, not \"not connected\"", () =>
    Effect.gen(function*() {
      const h = yield* harness({ decks: ["mini"], layout: { "*": { keys: { "0": "mute", "1": "status" } } } })
      const [mini] = h.decks as [FakeDeck]
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Mic on", "connected")
      // the next connection never gets its voice settings read
      yield* h.fake.withholdReplies("GET_VOICE_SETTINGS")
      yield* h.fake.drop
      yield* faceWhere(h, key(mini, 1), (f) => f.label === "Syncing", "connected, syncing")
      const now = yield* Clock.currentTimeMillis
      const error = yield* h.controller.submit({ _tag: "KeyDown", serial: mini.serial, key: 0, at: now - PRESS_DEADLINE_MILLIS + 200 })
        .pipe(Effect.flip)
      assert(error._tag === "CommandExpiredError")
      expect(error.message).toMatch(/connected but its voice state was not read/)
      expect(error.message).not.toMatch(/not connected/)
    }), 30_000)

  it.live("every published snapshot of the faces comes from one model (issue 9 item 9)", () =>
    Effect.gen(function*() {
      const h = yield* harness({ decks: ["mini"], layout: { "*": { keys: { "0": "mute", "1": "mute", "2": "mute" } } } })
      const [mini] = h.decks as [FakeDeck]
      const ids = [key(mini, 0), key(mini, 1), key(mini, 2)]
      yield* faceWhere(h, ids[2]!, (f) => f.label === "Mic on", "connected")
      const mixed: Array<ReadonlyArray<string | undefined>> = []
      const watcher = yield* h.controller.faceChanges.pipe(
        Stream.runForEach((faces) =>
          Effect.sync(() => {
            const labels = ids.map((id) => faces.get(id)?.label)
            if (new Set(labels).size > 1) mixed.push(labels)
          })
        ),
        Effect.forkChild
      )
      for (const mute of [true, false, true, false]) {
        yield* h.fake.setVoiceSettings({ mute })
        const label = mute ? "Muted" : "Mic on"
        yield* faceWhere(h, ids[2]!, (f) => f.label === label, label)
      }
      void watcher
      expect(mixed).toEqual([])
    }), 30_000)
})
