/**
 * Multi-actions: decoded with path-precise errors, their steps run in order through the
 * real handlers against FakeDiscord, the first failure stops the rest and shows the error
 * face, delays wait on the clock, a toggle alternates, and step scopes count.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Clock, Context, Duration, Effect, Fiber, Layer, Result, Stream, SubscriptionRef } from "effect"
import { TestClock } from "effect/testing"
import type { VoiceSettings, VoiceSettingsPatch } from "../src/protocol/Message.ts"
// white-box: the multi action's definition and its local state
import { multi, type MultiLocal, type MultiOptions } from "../src/control/actions/index.ts"
import {
  type ActionEnv,
  CommandDeadline,
  controlId,
  Controller,
  type Deadline,
  Deck,
  type DeckcordConfig,
  decodeLayout,
  type DiscordRpc,
  type Face,
  KeyRenderer,
  type Layout,
  makeKnownState,
  PRESS_DEADLINE_MILLIS,
  requiredScopes,
  scopeExtrasFor,
  Settings,
  type VoiceModel
} from "../src/index.ts"
import {
  type FakeDeck,
  FakeDeckProvider,
  FakeDiscord,
  fakeDiscordClient,
  type FakeDiscordShape,
  FIXTURE_CLIENT_ID,
  fixtures,
  simpleAuthority
} from "../src/testing/index.ts"
import { captureLogs, eventually } from "./support/effects.ts"

const { booth, lounge } = fixtures.channels
const keyLayout = (binding: unknown) => ({ "*": { keys: { "0": binding } } })

const decoded = (decks: unknown): Layout => {
  const result = decodeLayout(decks)
  assert.isTrue(Result.isSuccess(result), Result.isFailure(result) ? result.failure.message : "")
  return (result as Result.Success<Layout, never>).success
}
const problems = (decks: unknown): ReadonlyArray<string> => {
  const result = decodeLayout(decks)
  assert.isTrue(Result.isFailure(result), "expected the layout to be rejected")
  return Result.isFailure(result) ? result.failure.problems : []
}

describe("multi-action layout", () => {
  it("decodes steps by name, as bindings and as delays; then makes a toggle", () => {
    const layout = decoded(keyLayout({
      action: "multi",
      label: "AFK",
      steps: ["mute", { delay: 200 }, { action: "voice-channel", channel: lounge.id }],
      then: [{ action: "mute", mode: "off" }]
    }))
    const binding = layout.decks.get("*")!.keys.get(0)!
    assert.strictEqual(binding.action, multi)
    assert.strictEqual(binding.label, "AFK")
    const options = binding.options as MultiOptions
    expect(options.steps.map((s) => (s._tag === "Delay" ? s.millis : s.action.name))).toEqual(["mute", 200, "voice-channel"])
    expect(options.then?.map((s) => (s._tag === "Run" ? s.options : undefined))).toEqual([{ mode: "off" }])
  })

  it("names the path of every mistake, also inside a step", () => {
    const at = `at ["decks"]["*"]["keys"]["0"]`
    expect(problems(keyLayout({ action: "multi" }))).toEqual([`${at}["steps"]: "multi" needs this option, a list of steps like [ "mute", { "delay": 200 }, "deafen" ]`])
    expect(problems(keyLayout({ action: "multi", steps: [] }))[0]).toMatch(/^at \["decks"\]\["\*"\]\["keys"\]\["0"\]\["steps"\]: expected a list of at least one step/)
    const many = problems(keyLayout({
      action: "multi",
      steps: [
        "mutee",
        { action: "voice-channel", channel: "1234" },
        { delay: "soon" },
        { action: "multi", steps: ["mute"] },
        { action: "page", page: "home" },
        { action: "deafen", label: "x" }
      ],
      then: [{ delay: 10, action: "mute" }],
      repeat: 2
    }))
    expect(many).toEqual([
      `${at}["repeat"]: unknown option for "multi"; its options: steps, then (and label, icon, background, foreground)`,
      expect.stringMatching(/^at \["decks"\]\["\*"\]\["keys"\]\["0"\]\["steps"\]\[0\]: unknown action "mutee"/),
      expect.stringMatching(/^at \["decks"\]\["\*"\]\["keys"\]\["0"\]\["steps"\]\[1\]\["channel"\]: expected a voice channel id/),
      `${at}["steps"][2]["delay"]: expected whole milliseconds from 0 to 60000, got "soon"`,
      `${at}["steps"][3]["action"]: a step cannot be a multi-action itself; list its steps here instead`,
      `${at}["steps"][4]["action"]: a step cannot turn the page (that ends the page running the steps); use a page key beside it`,
      `${at}["steps"][5]["label"]: a step has no face of its own; put "label" on the multi-action itself`,
      `${at}["then"][0]["action"]: a delay step has only "delay" (milliseconds)`
    ])
  })

  it("asks for the scopes its steps need", () => {
    expect(scopeExtrasFor(decoded(keyLayout({ action: "multi", steps: ["mute", "camera"] })))).toEqual(["video"])
    expect(scopeExtrasFor(decoded(keyLayout({ action: "multi", steps: ["mute"], then: ["screen-share"] })))).toEqual(["screenshare"])
    expect(scopeExtrasFor(decoded(keyLayout({ action: "multi", steps: ["mute"] })))).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// the handler on the clock: a stub Discord that records what it is asked and when
// ---------------------------------------------------------------------------------------------

const SETTINGS: VoiceSettings = { mute: false, deaf: false } as VoiceSettings

const clockHarness = Effect.gen(function*() {
  const model = { connection: { _tag: "Ready" }, synced: true, settings: SETTINGS } as unknown as VoiceModel
  const ref = yield* SubscriptionRef.make(model)
  const sent: Array<{ readonly patch: VoiceSettingsPatch; readonly at: number; readonly deadline: Deadline | undefined }> = []
  const rpc = {
    setVoiceSettings: (patch: VoiceSettingsPatch) =>
      Effect.gen(function*() {
        sent.push({ patch, at: yield* Clock.currentTimeMillis, deadline: yield* CommandDeadline })
        return { ...SETTINGS, ...patch } as VoiceSettings
      })
  } as unknown as DiscordRpc["Service"]
  const env: ActionEnv = {
    rpc,
    voice: {
      get: SubscriptionRef.get(ref),
      changes: SubscriptionRef.changes(ref),
      watchChannel: () => Effect.void,
      setTalking: () => Effect.void,
      clearNotifications: Effect.void
    } as unknown as ActionEnv["voice"],
    known: makeKnownState(),
    liveWaitMillis: 1_000
  }
  const options = (raw: unknown) => decoded(keyLayout(raw)).decks.get("*")!.keys.get(0)!.options as MultiOptions
  const press = (opts: MultiOptions, local: { value: MultiLocal }, deadline?: Deadline) => {
    const handled = multi.handle({ _tag: "Press" }, {
      options: opts,
      control: "key",
      env,
      navigate: () => Effect.void,
      local: { get: Effect.sync(() => local.value), set: (v) => Effect.sync(() => void (local.value = v)) }
    })
    return deadline === undefined ? handled : Effect.provideService(handled, CommandDeadline, deadline)
  }
  return { sent, options, press }
})

describe("multi-action handler", () => {
  it.effect("a delay step waits on the clock; the first step keeps the press's deadline, later ones get as long from their start", () =>
    Effect.gen(function*() {
      const h = yield* clockHarness
      const opts = h.options({ action: "multi", steps: [{ action: "mute", mode: "on" }, { delay: 200 }, { action: "deafen", mode: "on" }] })
      const local = { value: multi.initial(opts) }
      const start = yield* Clock.currentTimeMillis
      const pressDeadline = { enteredAt: start - 100, expiresAt: start - 100 + PRESS_DEADLINE_MILLIS }
      const fiber = yield* h.press(opts, local, pressDeadline).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      expect(h.sent.map((s) => s.patch)).toEqual([{ mute: true }])
      yield* TestClock.adjust(Duration.millis(199))
      expect(h.sent.length).toBe(1) // still waiting
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.join(fiber)
      expect(h.sent.map((s) => s.patch)).toEqual([{ mute: true }, { deaf: true }])
      expect(h.sent[1]!.at - h.sent[0]!.at).toBe(200)
      expect(h.sent[0]!.deadline).toEqual(pressDeadline)
      expect(h.sent[1]!.deadline).toEqual({ enteredAt: start + 200, expiresAt: start + 200 + PRESS_DEADLINE_MILLIS })
    }))

  it.effect("a toggle alternates its two sequences, and its face says which comes next", () =>
    Effect.gen(function*() {
      const h = yield* clockHarness
      const opts = h.options({ action: "multi", steps: [{ action: "mute", mode: "on" }], then: [{ action: "mute", mode: "off" }] })
      const local = { value: multi.initial(opts) }
      const face = () => multi.face({} as VoiceModel, opts, local.value, "key")
      expect(face()).toMatchObject({ tone: "neutral", sublabel: "off" })
      for (let i = 0; i < 3; i++) yield* h.press(opts, local)
      expect(h.sent.map((s) => s.patch)).toEqual([{ mute: true }, { mute: false }, { mute: true }])
      expect(face()).toMatchObject({ tone: "active", sublabel: "on" })
    }))
})

// ---------------------------------------------------------------------------------------------
// end to end: FakeDiscord on a real socket, the real Controller, a fake Mini
// ---------------------------------------------------------------------------------------------

const TOKEN = "multi-test-token"
const WAIT = Duration.seconds(15)

const harness = (layout: unknown) =>
  Effect.gen(function*() {
    const logs = captureLogs()
    const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: requiredScopes({ scopes: [] }) }) })
    const config = yield* SubscriptionRef.make<DeckcordConfig>({ clientId: FIXTURE_CLIENT_ID, decks: layout } as DeckcordConfig)
    const settings = Layer.succeed(Settings)(Settings.of({
      file: "/test/config.json",
      config: SubscriptionRef.get(config),
      changes: SubscriptionRef.changes(config),
      saveCredentials: () => Effect.die("not used")
    }))
    const decks = Deck.layerWith({ writeRetryDelay: "1 millis" }).pipe(
      Layer.provideMerge(FakeDeckProvider.layer({ decks: ["mini"] })),
      Layer.provideMerge(KeyRenderer.layer)
    )
    const layer = Controller.layer.pipe(Layer.provideMerge(Layer.mergeAll(fakeDiscordClient(fake, { token: TOKEN }), decks, settings)))
    const context = yield* Layer.build(layer).pipe(Effect.provide(logs.layer))
    const [mini] = (yield* Context.get(context, FakeDeckProvider).decks) as [FakeDeck]
    return { fake, controller: Context.get(context, Controller), mini, logs: logs.lines }
  })
type Harness = Effect.Success<ReturnType<typeof harness>>

const faceWhere = (h: Harness, index: number, ok: (face: Face) => boolean, what: string) =>
  h.controller.faceChanges.pipe(
    Stream.filter((faces) => {
      const face = faces.get(controlId(h.mini.serial, { kind: "key", index }))
      return face !== undefined && ok(face)
    }),
    Stream.take(1),
    Stream.runHead,
    Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die(new Error(`timed out waiting for ${what}`)) })
  )

/** The commands Discord received, in order, without the connection's own reads and subscriptions. */
const actions = (fake: FakeDiscordShape) =>
  fake.framesReceived().pipe(
    Effect.map((frames) =>
      frames
        .map((f) => f.payload as { readonly cmd?: string; readonly args?: Record<string, unknown> })
        .filter((p) => p.cmd === "SET_VOICE_SETTINGS" || p.cmd === "SELECT_VOICE_CHANNEL")
        .map((p) => ({ cmd: p.cmd, args: p.args }))
    )
  )

const press = (h: Harness) =>
  Effect.gen(function*() {
    const at = yield* Clock.currentTimeMillis
    const pressed = yield* h.controller.submit({ _tag: "KeyDown", serial: h.mini.serial, key: 0, at }).pipe(Effect.exit)
    yield* h.controller.submit({ _tag: "KeyUp", serial: h.mini.serial, key: 0, at })
    return pressed
  })

describe("multi-action on a deck", () => {
  it.live("runs its steps in order through their own actions", () =>
    Effect.gen(function*() {
      const h = yield* harness(keyLayout({
        action: "multi",
        steps: [{ action: "mute", mode: "on" }, { action: "voice-channel", channel: lounge.id }, { action: "deafen", mode: "on" }]
      }))
      yield* faceWhere(h, 0, (f) => f.label === "Multi" && f.tone !== "offline", "connected")
      const exit = yield* press(h)
      assert.isTrue(exit._tag === "Success", String(exit))
      expect(yield* actions(h.fake)).toMatchObject([
        { cmd: "SET_VOICE_SETTINGS", args: { mute: true } },
        { cmd: "SELECT_VOICE_CHANNEL", args: { channel_id: lounge.id, force: true } },
        { cmd: "SET_VOICE_SETTINGS", args: { deaf: true } }
      ])
    }), 30_000)

  it.live("a failing step stops the rest, shows the error face and logs which step failed", () =>
    Effect.gen(function*() {
      const h = yield* harness(keyLayout({
        action: "multi",
        steps: [{ action: "mute", mode: "on" }, { action: "voice-channel", channel: booth.id }, { action: "deafen", mode: "on" }]
      }))
      yield* faceWhere(h, 0, (f) => f.label === "Multi" && f.tone !== "offline", "connected")
      const exit = yield* press(h)
      assert.isTrue(exit._tag === "Failure", "the press fails")
      yield* faceWhere(h, 0, (f) => f.overlay === "error", "the error face")
      const sent = yield* actions(h.fake)
      expect(sent.map((c) => c.cmd)).toEqual(["SET_VOICE_SETTINGS", "SELECT_VOICE_CHANNEL"]) // no deafen
      yield* eventually(
        Effect.sync(() => h.logs.filter((l) => l.includes(`step 2 ("voice-channel") failed, the steps after it did not run`))),
        (lines) => lines.length === 1,
        "the failing step in the log"
      )
    }), 30_000)
})
