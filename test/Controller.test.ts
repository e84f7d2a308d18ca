/**
 * The Controller end to end: FakeDiscord on a real socket, the real DiscordRpc, VoiceState,
 * Deck and KeyRenderer, and fake Stream Decks. Every wait is on a condition, never a clock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Stream, SubscriptionRef } from "effect"
import {
  controlId,
  Controller,
  Deck,
  type DeckcordConfig,
  type Face,
  KeyRenderer,
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
  fixtures,
  simpleAuthority
} from "../src/testing/index.ts"
import { captureLogs, eventually } from "./support/effects.ts"

const TOKEN = "controller-test-token"
const SCOPES = requiredScopes({ scopes: ["video", "screenshare"] })
/** Generous: real sockets, real renders, and reconnects after `stop`/`start`. */
const WAIT = Duration.seconds(10)
const { gaming, labGeneral, lounge } = fixtures.channels
const { alex, blair, drew } = fixtures.users

// ---------------------------------------------------------------------------------------------
// harness
// ---------------------------------------------------------------------------------------------


interface Harness {
  readonly fake: FakeDiscordShape
  readonly controller: Controller["Service"]
  readonly decks: ReadonlyArray<FakeDeck>
  readonly provider: FakeDeckProvider["Service"]
  readonly renderer: KeyRenderer["Service"]
  readonly config: SubscriptionRef.SubscriptionRef<DeckcordConfig>
  readonly logs: ReadonlyArray<string>
}

const harness = (
  options: {
    readonly decks: ReadonlyArray<string>
    readonly layout?: unknown
    readonly fake?: FakeDiscordOptions
  }
) =>
  Effect.gen(function*() {
    const logs = captureLogs()
    const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }), ...options.fake })
    const config = yield* SubscriptionRef.make<DeckcordConfig>({
      clientId: FIXTURE_CLIENT_ID,
      brightness: 60,
      scopes: ["video", "screenshare"],
      ...(options.layout === undefined ? {} : { decks: options.layout })
    })
    const settings = Layer.succeed(Settings)(Settings.of({
      file: "/test/config.json",
      config: SubscriptionRef.get(config),
      changes: SubscriptionRef.changes(config),
      saveCredentials: () => Effect.die("not used")
    }))
    const discord = fakeDiscordClient(fake, { token: TOKEN })
    const decks = Deck.layerWith({ writeRetryDelay: "1 millis" }).pipe(
      Layer.provideMerge(FakeDeckProvider.layer({ decks: options.decks })),
      Layer.provideMerge(KeyRenderer.layer)
    )
    const layer = Controller.layer.pipe(Layer.provideMerge(Layer.mergeAll(discord, decks, settings)))
    const context = yield* Layer.build(layer).pipe(Effect.provide(logs.layer))
    const provider = Context.get(context, FakeDeckProvider)
    return {
      fake,
      controller: Context.get(context, Controller),
      decks: yield* provider.decks,
      provider,
      renderer: Context.get(context, KeyRenderer),
      config,
      logs: logs.lines
    } satisfies Harness
  })

/** The face of a control once it satisfies `ok` (waiting on the Controller's changes). */
const faceWhere = (h: Harness, id: string, ok: (face: Face) => boolean, what: string) =>
  h.controller.faceChanges.pipe(
    Stream.filter((faces) => {
      const face = faces.get(id)
      return face !== undefined && ok(face)
    }),
    Stream.take(1),
    Stream.runHead,
    Effect.flatMap(Effect.fromOption),
    Effect.map((faces) => faces.get(id)!),
    Effect.timeoutOrElse({
      duration: WAIT,
      orElse: () =>
        Effect.flatMap(h.controller.faces, (faces) =>
          Effect.die(new Error(`timed out waiting for ${what}; ${id} shows ${JSON.stringify(faces.get(id))}`))
        )
    })
  )


interface Command {
  readonly cmd: string
  readonly args: Record<string, unknown>
  readonly evt?: string
}
const commands = (fake: FakeDiscordShape, cmd: string) =>
  fake.framesReceived().pipe(
    Effect.map((frames) => frames.map((f) => f.payload as Command).filter((p) => p.cmd === cmd))
  )
/** Wait until the fake received `cmd` with args containing `args`; returns how many such frames. */
const received = (fake: FakeDiscordShape, cmd: string, args: Record<string, unknown>) =>
  eventually(
    commands(fake, cmd).pipe(Effect.map((cs) => cs.filter((c) => matches(c.args, args)).length)),
    (n) => n > 0,
    `${cmd} ${JSON.stringify(args)}`
  )
const matches = (actual: unknown, expected: unknown): boolean =>
  typeof expected === "object" && expected !== null
    ? typeof actual === "object" && actual !== null &&
      Object.entries(expected).every(([k, v]) => matches((actual as Record<string, unknown>)[k], v))
    : actual === expected

/** The key's pixels equal the renderer's output for `face` (RGB; the deck has no alpha). */
const keyShows = (h: Harness, deck: FakeDeck, index: number, face: Face) =>
  Effect.gen(function*() {
    const image = deck.keyImage(index)
    const size = image === undefined ? { width: 1, height: 1 } : { width: image.width, height: image.height }
    const expected = yield* h.renderer.render(face, size)
    return eventually(
      Effect.sync(() => deck.keyImage(index)),
      (actual) => actual !== undefined && sameRgb(actual.rgba, expected.rgba),
      `key ${index} of ${deck.model} to show ${JSON.stringify(face)}`
    )
  }).pipe(Effect.flatten)

const sameRgb = (a: Uint8Array, b: Uint8Array) => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i += 4) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) return false
  }
  return true
}

const key = (deck: FakeDeck, index: number) => controlId(deck.serial, { kind: "key", index })
const dial = (deck: FakeDeck, index: number) => controlId(deck.serial, { kind: "encoder", index })
const live = (face: Face) => face.tone !== "offline" || face.sublabel === "not in a call"

// ---------------------------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------------------------

describe("Controller end to end", () => {
  it.live("default layouts on a Mini, an MK.2 and a Plus, drawn from Discord's state", () =>
    Effect.gen(function*() {
      const h = yield* harness({ decks: ["mini", "original-mk2", "plus"] })
      const [mini, mk2, plus] = h.decks as [FakeDeck, FakeDeck, FakeDeck]
      const mic = yield* faceWhere(h, key(mk2, 0), (f) => f.label === "Mic on", "the MK.2 mute key")
      assert.deepStrictEqual(mic, { icon: "mic", tone: "neutral", label: "Mic on" })
      yield* keyShows(h, mk2, 0, mic)
      const status = yield* faceWhere(h, key(mini, 5), (f) => f.label === "Connected", "the Mini status key")
      yield* keyShows(h, mini, 5, status)
      // the MK.2's last key: automatic gain control (the fixture has it on)
      assert.strictEqual((yield* faceWhere(h, key(mk2, 14), live, "AGC")).label, "Auto gain")
      // the Plus: user volume and output volume on its dials, nothing on the fourth
      assert.strictEqual((yield* faceWhere(h, dial(plus, 0), live, "user volume dial")).label, "User volume")
      const output = yield* faceWhere(h, dial(plus, 1), live, "output volume dial")
      assert.deepStrictEqual([output.label, output.sublabel, output.value], ["Output", "100%", 0.5])
      assert.isUndefined((yield* h.controller.faces).get(dial(plus, 3)))
      assert.strictEqual((yield* h.controller.faces).size, 6 + 15 + 8 + 3)
    }))

  it.live("every action's press sends the right frame and its face follows Discord", () =>
    Effect.gen(function*() {
      const owlHoot = fixtures.sounds.find((s) => s.name === "owl hoot")!
      const h = yield* harness({
        decks: ["xl", "plus"],
        fake: { initialVoiceChannelId: lounge.id },
        layout: {
          "*": {
            keys: {
              "0": "mute",
              "1": "deafen",
              "2": { action: "input-mode", mode: "push-to-talk" },
              "3": "push-to-talk",
              "4": { action: "voice-channel", channel: gaming.id },
              "5": "leave-call",
              "6": { action: "text-channel", channel: labGeneral.id },
              "7": { action: "input-volume", set: 42 },
              "8": { action: "output-volume", step: 10 },
              "9": { action: "user-volume", user: alex.id, set: 150 },
              "10": "input-device",
              "11": { action: "output-device", device: fixtures.devices.output[2]!.id },
              "12": "camera",
              "13": "screen-share",
              "14": { action: "soundboard", name: "airhorn" },
              "15": { action: "voice-processing", feature: "echo-cancellation" },
              "16": "status",
              "17": { action: "soundboard", sound: owlHoot.sound_id }
            },
            encoders: { "0": "user-volume", "1": "output-volume" }
          }
        }
      })
      const [xl, plus] = h.decks as [FakeDeck, FakeDeck]
      yield* faceWhere(h, key(xl, 5), (f) => f.sublabel === "Lounge", "connected, in the Lounge")

      xl.pressKey(0)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { mute: true })
      yield* keyShows(h, xl, 0, yield* faceWhere(h, key(xl, 0), (f) => f.label === "Muted", "muted"))

      xl.pressKey(1)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { deaf: true })
      yield* faceWhere(h, key(xl, 1), (f) => f.label === "Deafened", "deafened")
      xl.pressKey(1)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { deaf: false, mute: false })
      yield* faceWhere(h, key(xl, 0), (f) => f.label === "Mic on", "undeafen also unmuted")

      // PTT in voice-activity mode: the face is idle and says why; after switching mode it is a plain key
      yield* faceWhere(h, key(xl, 3), (f) => f.tone === "offline" && f.sublabel === "voice activity", "PTT idle in voice activity")
      xl.pressKey(2)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { mode: { type: "PUSH_TO_TALK" } })
      yield* faceWhere(h, key(xl, 3), (f) => f.tone === "neutral", "PTT ready")
      xl.keyDown(3)
      yield* received(h.fake, "PUSH_TO_TALK", { active: true })
      yield* faceWhere(h, key(xl, 3), (f) => f.label === "Talking", "talking")
      xl.keyUp(3)
      yield* received(h.fake, "PUSH_TO_TALK", { active: false })
      yield* faceWhere(h, key(xl, 3), (f) => f.label === "PTT", "done talking")

      xl.pressKey(6)
      yield* received(h.fake, "SELECT_TEXT_CHANNEL", { channel_id: labGeneral.id })
      xl.pressKey(7)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { input: { volume: 42 } })
      yield* faceWhere(h, key(xl, 7), (f) => f.sublabel === "42%", "input volume 42")
      xl.pressKey(8)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { output: { volume: 110 } })
      xl.pressKey(9)
      yield* received(h.fake, "SET_USER_VOICE_SETTINGS", { user_id: alex.id, volume: 150 })
      yield* faceWhere(h, key(xl, 9), (f) => f.sublabel === "150%", "Alex at 150%")
      xl.pressKey(10)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { input: { device_id: fixtures.devices.input[1]!.id } })
      xl.pressKey(11)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { output: { device_id: fixtures.devices.output[2]!.id } })
      yield* faceWhere(h, key(xl, 11), (f) => f.tone === "active", "chosen output device active")
      xl.pressKey(12)
      yield* received(h.fake, "TOGGLE_VIDEO", {})
      yield* faceWhere(h, key(xl, 12), (f) => f.label === "Camera on", "camera on")
      xl.pressKey(13)
      yield* received(h.fake, "TOGGLE_SCREENSHARE", {})
      yield* faceWhere(h, key(xl, 13), (f) => f.label === "Sharing", "sharing")
      xl.pressKey(14)
      yield* received(h.fake, "PLAY_SOUNDBOARD_SOUND", { sound_id: "1219734528472387604", guild_id: fixtures.guilds.lab.id })
      xl.pressKey(15)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { echo_cancellation: false })
      yield* faceWhere(h, key(xl, 15), (f) => f.sublabel === "off", "echo cancellation off")

      // dials: turn, push to pick the next member, tap the strip to mute them
      plus.turnDial(1, -3)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { output: { volume: 95 } })
      yield* faceWhere(h, dial(plus, 0), (f) => f.label === "Alex (mod)", "user dial on Alex")
      plus.turnDial(0, 2)
      yield* received(h.fake, "SET_USER_VOICE_SETTINGS", { user_id: alex.id, volume: 160 })
      plus.pushDial(0)
      yield* faceWhere(h, dial(plus, 0), (f) => f.label === "Blair", "user dial on Blair")
      plus.touchLcd(50, 50)
      yield* received(h.fake, "SET_USER_VOICE_SETTINGS", { user_id: blair.id, mute: true })
      yield* faceWhere(h, dial(plus, 0), (f) => f.icon === "user-off", "Blair locally muted")

      // a failed press: an error face on that key and a log line with Discord's reason
      xl.pressKey(17)
      yield* faceWhere(h, key(xl, 17), (f) => f.overlay === "error", "error face for an unavailable sound")
      yield* eventually(Effect.sync(() => h.logs.some((l) => l.includes("4018"))), (ok) => ok, "the 4018 logged")
      yield* faceWhere(h, key(xl, 17), (f) => f.overlay === undefined, "the error face clears by itself")

      // joining another channel moves, and leaving from it goes; leave-call from anywhere
      xl.pressKey(4)
      yield* received(h.fake, "SELECT_VOICE_CHANNEL", { channel_id: gaming.id, force: true })
      yield* faceWhere(h, key(xl, 4), (f) => f.tone === "active", "in Gaming")
      xl.pressKey(4)
      yield* received(h.fake, "SELECT_VOICE_CHANNEL", { channel_id: null })
      yield* faceWhere(h, key(xl, 5), (f) => f.sublabel === "not in a call", "left")
      assert.strictEqual((yield* faceWhere(h, key(xl, 16), live, "status")).label, "Connected")
      xl.pressKey(5)
      yield* eventually(
        commands(h.fake, "SELECT_VOICE_CHANNEL").pipe(Effect.map((cs) => cs.filter((c) => c.args.channel_id === null).length)),
        (n) => n === 2,
        "leave-call sent"
      )
    }), 60_000)

  it.live("Discord restarting: keys show it, a press waits and is delivered exactly once, faces recover", () =>
    Effect.gen(function*() {
      const h = yield* harness({ decks: ["mini"], layout: { "*": { keys: { "0": { action: "mute", mode: "on" }, "1": "status" } } } })
      const [mini] = h.decks as [FakeDeck]
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Mic on", "connected")
      yield* h.fake.stop
      const offline = yield* faceWhere(h, key(mini, 0), (f) => f.tone === "offline", "offline face")
      assert.deepStrictEqual([offline.label, offline.sublabel], ["Mute", "offline"])
      assert.strictEqual((yield* faceWhere(h, key(mini, 1), (f) => f.tone === "offline", "status offline")).sublabel, "Discord")
      mini.pressKey(0)
      yield* faceWhere(h, key(mini, 0), (f) => f.overlay === "pending", "pending while Discord is away")
      yield* h.fake.start
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Muted" && f.overlay === undefined, "delivered and muted")
      const mutes = yield* commands(h.fake, "SET_VOICE_SETTINGS")
      assert.strictEqual(mutes.filter((c) => c.args.mute === true).length, 1)
      yield* faceWhere(h, key(mini, 1), (f) => f.label === "Connected", "status recovered")
    }), 30_000)

  it.live("a slow press shows pending on its key and does not hold up other keys", () =>
    Effect.gen(function*() {
      const h = yield* harness({
        decks: ["mini"],
        layout: { "*": { keys: { "0": "mute", "1": { action: "text-channel", channel: labGeneral.id } } } }
      })
      const [mini] = h.decks as [FakeDeck]
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Mic on", "connected")
      yield* h.fake.withholdReplies("SELECT_TEXT_CHANNEL")
      mini.pressKey(1)
      yield* received(h.fake, "SELECT_TEXT_CHANNEL", { channel_id: labGeneral.id })
      yield* faceWhere(h, key(mini, 1), (f) => f.overlay === "pending", "the unanswered press pending")
      mini.pressKey(0)
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Muted", "another key still works")
      assert.strictEqual((yield* h.controller.faces).get(key(mini, 1))?.overlay, "pending")
    }), 30_000)

  it.live("a replugged deck is drawn again from state; an unplugged one stops", () =>
    Effect.gen(function*() {
      const h = yield* harness({ decks: ["mini"] })
      const [mini] = h.decks as [FakeDeck]
      const mic = yield* faceWhere(h, key(mini, 0), (f) => f.label === "Mic on", "drawn")
      // push-to-talk held when the deck goes away must not stay on
      mini.keyDown(3)
      yield* received(h.fake, "PUSH_TO_TALK", { active: true })
      yield* h.provider.unplug(mini)
      yield* received(h.fake, "PUSH_TO_TALK", { active: false })
      yield* eventually(h.controller.faces, (faces) => !faces.has(key(mini, 0)), "faces of the unplugged deck dropped")
      // state changes while it is away
      yield* h.fake.setVoiceSettings({ mute: true })
      yield* h.provider.plug(mini)
      const muted = yield* faceWhere(h, key(mini, 0), (f) => f.label === "Muted", "redrawn from state")
      yield* keyShows(h, mini, 0, muted)
      assert.notDeepEqual(muted, mic)
      // and its input works again
      mini.pressKey(0)
      yield* received(h.fake, "SET_VOICE_SETTINGS", { mute: false })
    }), 30_000)

  it.live("voice-channel keys follow members joining, leaving and speaking, across channel changes", () =>
    Effect.gen(function*() {
      const h = yield* harness({
        decks: ["mini"],
        layout: { "*": { keys: { "0": { action: "voice-channel", channel: lounge.id }, "1": { action: "voice-channel", channel: gaming.id } } } }
      })
      const [mini] = h.decks as [FakeDeck]
      const loungeKey = yield* faceWhere(
        h,
        key(mini, 0),
        (f) => f.label === "Lounge" && f.sublabel === "Stream Deck Lab",
        "Lounge watched, with its server name"
      )
      assert.deepStrictEqual([loungeKey.badge, loungeKey.sublabel, loungeKey.tone], ["2", "Stream Deck Lab", "neutral"])
      yield* h.fake.addMember(lounge.id, drew)
      yield* faceWhere(h, key(mini, 0), (f) => f.badge === "3", "Drew joined the Lounge")
      yield* h.fake.removeMember(drew.id)
      yield* faceWhere(h, key(mini, 0), (f) => f.badge === "2", "Drew left")

      // move into Gaming (from Discord itself): its key is active, with you counted
      yield* h.fake.moveSelfTo(gaming.id)
      yield* faceWhere(h, key(mini, 1), (f) => f.tone === "active" && f.badge === "1", "in Gaming")
      yield* h.fake.addMember(gaming.id, drew)
      yield* faceWhere(h, key(mini, 1), (f) => f.badge === "2", "Drew joined Gaming")
      yield* h.fake.startSpeaking(drew.id)
      yield* faceWhere(h, key(mini, 1), (f) => f.highlight === true, "Drew speaking")
      yield* h.fake.stopSpeaking(drew.id)
      yield* faceWhere(h, key(mini, 1), (f) => f.highlight === undefined, "Drew quiet")

      // and back to the Lounge: the subscriptions follow
      mini.pressKey(0)
      yield* received(h.fake, "SELECT_VOICE_CHANNEL", { channel_id: lounge.id, force: true })
      yield* faceWhere(h, key(mini, 0), (f) => f.tone === "active" && f.badge === "3", "in the Lounge")
      yield* faceWhere(h, key(mini, 1), (f) => f.tone === "neutral" && f.badge === "1", "Gaming left behind")
      yield* h.fake.startSpeaking(alex.id)
      yield* faceWhere(h, key(mini, 0), (f) => f.highlight === true, "Alex speaking in the Lounge")
    }), 30_000)

  it.live("layout edits apply live; an invalid edit is rejected with its path and the last layout stays", () =>
    Effect.gen(function*() {
      const h = yield* harness({ decks: ["mini"], layout: { "*": { keys: { "0": "mute", "9": "deafen" } } } })
      const [mini] = h.decks as [FakeDeck]
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Mic on", "mute bound")
      yield* eventually(
        Effect.sync(() => h.logs.some((l) => l.includes(`at ["decks"]["*"]["keys"]["9"]: Stream Deck Mini`) && l.includes("has no key 9"))),
        (ok) => ok,
        "the out-of-grid binding reported"
      )
      yield* SubscriptionRef.update(h.config, (c) => ({ ...c, decks: { "*": { keys: { "0": { action: "deafen", label: "Ears" } } } } }))
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Ears" && f.icon === "headphones", "rebound to deafen")
      yield* SubscriptionRef.update(h.config, (c) => ({ ...c, decks: { "*": { keys: { "1": { action: "voice-channel", channel: "1234" } } } } }))
      yield* eventually(
        Effect.sync(() => h.logs.find((l) => l.includes(`at ["decks"]["*"]["keys"]["1"]["channel"]`))),
        (l) => l !== undefined && l.includes(`got "1234"`) && l.includes("keeping the last valid one"),
        "the invalid layout rejected"
      )
      assert.strictEqual((yield* h.controller.faces).get(key(mini, 0))?.label, "Ears")
      assert.isUndefined((yield* h.controller.faces).get(key(mini, 1)))
    }), 30_000)

  it.live("page keys switch pages, work while Discord is away, and the switching press's release stays on its page", () =>
    Effect.gen(function*() {
      const layout = {
        "*": {
          keys: { "0": "mute", "5": { action: "page", page: "talk" } },
          pages: { talk: { keys: { "0": { action: "page", page: "home" }, "5": "push-to-talk" } } }
        }
      }
      const h = yield* harness({ decks: ["mini"], layout })
      const [mini] = h.decks as [FakeDeck]
      const folder = yield* faceWhere(h, key(mini, 5), (f) => f.icon === "folder", "the page key")
      assert.deepStrictEqual(folder, { icon: "folder", tone: "neutral", label: "talk" })
      yield* keyShows(h, mini, 5, folder)
      // down switches; the up lands on push-to-talk, which never saw its press
      mini.keyDown(5)
      yield* faceWhere(h, key(mini, 5), (f) => f.label === "PTT", "push-to-talk on the new page")
      mini.keyUp(5)
      assert.strictEqual((yield* faceWhere(h, key(mini, 0), (f) => f.icon === "back", "the back key")).label, "Back")
      mini.pressKey(5)
      yield* eventually(commands(h.fake, "PUSH_TO_TALK"), (cs) => cs.length >= 2, "a full push-to-talk press")
      assert.deepStrictEqual((yield* commands(h.fake, "PUSH_TO_TALK")).map((c) => c.args.active), [true, false])
      // navigation is local: it works with Discord gone, while the other keys say offline
      yield* h.fake.stop
      yield* faceWhere(h, key(mini, 5), (f) => f.tone === "offline", "push-to-talk offline")
      mini.pressKey(0)
      yield* faceWhere(h, key(mini, 5), (f) => f.icon === "folder" && f.tone === "neutral", "home again, offline")
      assert.strictEqual((yield* faceWhere(h, key(mini, 0), (f) => f.tone === "offline", "mute offline")).label, "Mute")
      // an edit that removes the page on show goes home
      mini.pressKey(5)
      yield* faceWhere(h, key(mini, 0), (f) => f.icon === "back", "on the page")
      yield* SubscriptionRef.update(h.config, (c) => ({ ...c, decks: { "*": { keys: { "0": "mute", "1": "deafen" } } } }))
      // key 1 is bound only on the edited home page
      yield* faceWhere(h, key(mini, 1), (f) => f.tone === "offline", "home after the edit")
      assert.strictEqual((yield* h.controller.faces).get(key(mini, 5)), undefined)
    }), 30_000)

  it.live("on a Stream Deck +, swiping the touch strip turns the pages in the order they are written", () =>
    Effect.gen(function*() {
      const back = { action: "page", page: "home" }
      const layout = {
        "*": {
          keys: { "0": { action: "page", page: "a" } },
          pages: { a: { keys: { "0": back, "1": "mute" } }, b: { keys: { "0": back, "1": "deafen" } } }
        }
      }
      const h = yield* harness({ decks: ["plus"], layout })
      const [plus] = h.decks as [FakeDeck]
      const onHome = faceWhere(h, key(plus, 0), (f) => f.icon === "folder", "home")
      const onA = faceWhere(h, key(plus, 1), (f) => f.icon === "mic", "page a")
      const onB = faceWhere(h, key(plus, 1), (f) => f.icon === "headphones", "page b")
      const left = () => plus.swipeLcd({ x: 600, y: 50 }, { x: 100, y: 50 })
      const right = () => plus.swipeLcd({ x: 100, y: 50 }, { x: 600, y: 50 })
      yield* onHome
      left()
      yield* onA
      left()
      yield* onB
      left()
      yield* onHome
      right()
      yield* onB
    }), 30_000)

  it.live("without a client id the status key says to set up and the other keys stay calm", () =>
    Effect.gen(function*() {
      const h = yield* harness({ decks: ["mini"], layout: { "*": { keys: { "0": "mute", "1": "status" } } } })
      const [mini] = h.decks as [FakeDeck]
      yield* faceWhere(h, key(mini, 0), (f) => f.label === "Mic on", "connected")
      const { clientId: _, ...rest } = yield* SubscriptionRef.get(h.config)
      yield* SubscriptionRef.set(h.config, rest)
      const status = yield* faceWhere(h, key(mini, 1), (f) => f.icon === "setup", "status set up")
      assert.deepStrictEqual([status.label, status.sublabel, status.tone], ["Set up", "deckcord auth", "warning"])
      // one setup key, not a wall of them: the mute key keeps its own icon, dimmed, with no instructions
      const calm = yield* faceWhere(h, key(mini, 0), (f) => f.tone === "offline", "calm")
      assert.deepStrictEqual(calm, { icon: "mic", tone: "offline", label: "Mute" })
    }), 30_000)
})
