import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema, Stream, SubscriptionRef } from "effect"
import type { VoiceSettings } from "../src/protocol/Message.ts"
// white-box: unit tests of each action definition, driven directly with a fake environment
import {
  camera,
  deafen,
  inputDevice,
  inputMode,
  inputVolume,
  leaveCall,
  mute,
  outputDevice,
  outputVolume,
  pushToTalk,
  screenShare,
  soundboard,
  status,
  statusUnavailableFace,
  textChannel,
  unavailability,
  unavailableFace,
  userVolume,
  voiceChannel,
  voiceProcessing
} from "../src/control/actions/index.ts"
import { defaultAvatarIndex } from "../src/index.ts"
import { memberBadge } from "../src/control/actions/channels.ts"
import { SHEET_FACES } from "../src/cli/render.ts"
import {
  type ActionEnv,
  type ActionInput,
  type AnyActionDef,
  type ChannelView,
  type ControlKind,
  DiscordRpc,
  makeKnownState,
  type Member,
  type VoiceModel
} from "../src/index.ts"

// ---------------------------------------------------------------------------------------------
// a hand-made model
// ---------------------------------------------------------------------------------------------

const SELF = "284102645419212801"
const ALEX = "318047271617740801"
const BLAIR = "402571895341596673"
const LOUNGE = "613425648685547545"
const GAMING = "613425648685547546"
const GENERAL = "613425648685547543"

const member = (id: string, name: string, extra: Partial<Member> = {}): Member => ({
  id,
  name,
  avatar: null,
  bot: false,
  selfMute: false,
  selfDeaf: false,
  serverMute: false,
  serverDeaf: false,
  localMute: false,
  localVolume: 100,
  speaking: false,
  ...extra
})

const channel = (id: string, name: string, members: ReadonlyArray<Member>): ChannelView => ({
  id,
  guildId: "613425648685547541",
  name,
  guildName: "Stream Deck Lab",
  type: 2,
  members: new Map(members.map((m) => [m.id, m]))
})

const SETTINGS: VoiceSettings = {
  input: {
    available_devices: [{ id: "default", name: "Default" }, { id: "yeti", name: "Yeti" }],
    device_id: "default",
    volume: 80
  },
  output: {
    available_devices: [{ id: "default", name: "Default" }, { id: "xm4", name: "WH-1000XM4" }],
    device_id: "default",
    volume: 100
  },
  mode: { type: "VOICE_ACTIVITY" },
  noise_suppression: true,
  echo_cancellation: false,
  automatic_gain_control: true,
  mute: false,
  deaf: false
}

const model = (patch: Partial<VoiceModel> & { readonly settingsPatch?: Partial<VoiceSettings> } = {}): VoiceModel => {
  const { settingsPatch, ...rest } = patch
  const settings = { ...SETTINGS, ...settingsPatch }
  return {
    connection: { _tag: "Ready", user: undefined, authenticated: undefined, socketPath: "/tmp/discord-ipc-0" },
    synced: true,
    selfId: SELF,
    settings,
    muted: settings.mute === true || settings.deaf === true,
    deafened: settings.deaf === true,
    inputMode: settings.mode?.type,
    talking: false,
    channel: null,
    watched: new Map(),
    voiceConnection: undefined,
    video: false,
    screenshare: false,
    soundboard: [],
    notifications: { unread: 0, latest: null },
    ...rest
  }
}

const inLounge = (extra: Partial<VoiceModel> = {}) =>
  model({
    channel: channel(LOUNGE, "Lounge", [member(SELF, "Me"), member(ALEX, "Alex", { localVolume: 140 }), member(BLAIR, "Blair")]),
    ...extra
  })

// ---------------------------------------------------------------------------------------------
// a recording DiscordRpc over a model ref
// ---------------------------------------------------------------------------------------------

interface Sent {
  readonly cmd: string
  readonly args: Readonly<Record<string, unknown>>
}

const harness = (initial: VoiceModel) =>
  Effect.gen(function*() {
    const ref = yield* SubscriptionRef.make(initial)
    const sent: Array<Sent> = []
    const record = (cmd: string, args: Readonly<Record<string, unknown>> = {}) => Effect.sync(() => void sent.push({ cmd, args }))
    const rpc = DiscordRpc.of({
      state: Effect.succeed(initial.connection),
      stateChanges: Stream.make(initial.connection),
      request: (cmd, args) => record(cmd, args).pipe(Effect.as(null)),
      subscribe: () => Effect.succeed(Stream.empty),
      reconnect: record("(reconnect)"),
      stats: Effect.succeed({ pendingRequests: 0, queuedCommands: 0, remoteSubscriptions: 0, localSubscribers: 0, droppedEvents: 0 }),
      getVoiceSettings: Effect.succeed(SETTINGS),
      setVoiceSettings: (patch) =>
        record("SET_VOICE_SETTINGS", patch as Record<string, unknown>).pipe(
          Effect.andThen(SubscriptionRef.get(ref)),
          // like Discord: the full settings after the change (docs/discord-rpc.md#set_voice_settings)
          Effect.map((m): VoiceSettings => ({
            ...m.settings,
            ...patch,
            input: { ...m.settings?.input, ...patch.input },
            output: { ...m.settings?.output, ...patch.output }
          } as VoiceSettings))
        ),
      pushToTalk: (active) => record("PUSH_TO_TALK", { active }),
      selectVoiceChannel: (channelId, options) =>
        record("SELECT_VOICE_CHANNEL", {
          channel_id: channelId,
          ...(channelId === null ? {} : { force: options?.force ?? true })
        }).pipe(Effect.as(null)),
      getSelectedVoiceChannel: Effect.succeed(null),
      selectTextChannel: (channelId) =>
        record("SELECT_TEXT_CHANNEL", { channel_id: channelId }).pipe(Effect.as({ id: channelId ?? "" })),
      getChannel: () => Effect.die("unused"),
      getChannels: () => Effect.succeed([]),
      getGuild: () => Effect.die("unused"),
      getGuilds: Effect.succeed([]),
      setUserVoiceSettings: (userId, patch) =>
        record("SET_USER_VOICE_SETTINGS", { user_id: userId, ...patch }).pipe(
          Effect.as({ user_id: userId, ...patch })
        ),
      toggleVideo: () => record("TOGGLE_VIDEO"),
      toggleScreenshare: () => record("TOGGLE_SCREENSHARE"),
      getSoundboardSounds: record("GET_SOUNDBOARD_SOUNDS").pipe(
        Effect.as([{ sound_id: "1", guild_id: "0", name: "quack" }, { sound_id: "1219734528472387604", guild_id: "613425648685547541", name: "airhorn" }])
      ),
      playSoundboardSound: ({ guildId, soundId }) => record("PLAY_SOUNDBOARD_SOUND", { guild_id: guildId, sound_id: soundId })
    })
    const env: ActionEnv = {
      rpc,
      voice: {
        get: SubscriptionRef.get(ref),
        changes: SubscriptionRef.changes(ref),
        watchChannel: () => Effect.void,
        setTalking: (talking) => SubscriptionRef.update(ref, (m) => ({ ...m, talking })),
        clearNotifications: SubscriptionRef.update(ref, (m) => ({ ...m, notifications: { ...m.notifications, unread: 0 } }))
      },
      known: makeKnownState(),
      liveWaitMillis: 50
    }
    /** Run one input on a binding and return what it sent. */
    const send = (def: AnyActionDef, options: unknown, input: ActionInput, control: ControlKind = "key", local?: { value: unknown }) =>
      Effect.gen(function*() {
        const state = local ?? { value: def.initial(options) }
        const from = sent.length
        yield* def.handle(input, {
          options: decode(def, options),
          control,
          env,
          navigate: (page) => record("(page)", { page }),
          local: { get: Effect.sync(() => state.value), set: (v) => Effect.sync(() => void (state.value = v)) }
        })
        return sent.slice(from)
      })
    return { ref, sent, env, send }
  })

const decode = (def: AnyActionDef, options: unknown) => Schema.decodeUnknownSync(def.options)(options)
const PRESS: ActionInput = { _tag: "Press" }
const RELEASE: ActionInput = { _tag: "Release" }
const face = (def: AnyActionDef, m: VoiceModel, options: unknown = {}, local?: unknown, control: ControlKind = "key") =>
  def.face(m, decode(def, options), local ?? def.initial(decode(def, options)), control)

// ---------------------------------------------------------------------------------------------
// faces
// ---------------------------------------------------------------------------------------------

describe("faces", () => {
  it("mute / deafen follow self state; deafened implies muted", () => {
    assert.deepStrictEqual(face(mute, model()), { icon: "mic", tone: "neutral", label: "Mic on" })
    assert.deepStrictEqual(face(mute, model({ settingsPatch: { deaf: true } })), {
      icon: "mic-off",
      tone: "muted",
      label: "Muted",
      sublabel: "deafened"
    })
    assert.strictEqual(face(deafen, model({ settingsPatch: { deaf: true } })).tone, "muted")
    assert.strictEqual(face(deafen, model()).icon, "headphones")
  })

  it("push-to-talk is idle, not lit, in Discord's default voice-activity mode, and shows talking", () => {
    assert.deepStrictEqual(face(pushToTalk, model()), { icon: "push-to-talk", tone: "offline", label: "PTT", sublabel: "voice activity" })
    const ptt = model({ settingsPatch: { mode: { type: "PUSH_TO_TALK" } } })
    assert.strictEqual(face(pushToTalk, ptt).tone, "neutral")
    assert.strictEqual(face(pushToTalk, { ...ptt, talking: true }).label, "Talking")
    assert.strictEqual(face(inputMode, ptt).label, "Push to talk")
    assert.strictEqual(face(inputMode, ptt, { mode: "push-to-talk" }).tone, "active")
    // a key for one mode shows that mode, lit only while Discord is in it
    assert.deepStrictEqual(face(inputMode, ptt, { mode: "voice-activity" }), { icon: "voice-activity", tone: "neutral", label: "Voice activity" })
  })

  it("voice channel: name, guild, member count, in it, someone speaking", () => {
    const watched = channel(GAMING, "Gaming", [member(ALEX, "Alex", { speaking: true })])
    assert.deepStrictEqual(face(voiceChannel, model({ watched: new Map([[GAMING, watched]]) }), { channel: GAMING }), {
      icon: "voice-channel",
      avatars: [{ initials: "A", tint: defaultAvatarIndex(ALEX), speaking: true }],
      tone: "neutral",
      label: "Gaming",
      sublabel: "Stream Deck Lab",
      badge: "1",
      highlight: true
    })
    const here = face(voiceChannel, inLounge(), { channel: LOUNGE })
    assert.strictEqual(here.tone, "active")
    assert.strictEqual(here.badge, "3")
    assert.isUndefined(here.highlight)
    assert.strictEqual(face(voiceChannel, model(), { channel: GAMING }).label, "Voice channel")
  })

  it("volumes draw their value as a bar and a percentage within their range", () => {
    assert.deepStrictEqual(face(inputVolume, model(), {}, undefined, "encoder"), {
      icon: "mic",
      tone: "neutral",
      label: "Mic",
      sublabel: "80%",
      value: 0.8
    })
    const out = face(outputVolume, model({ settingsPatch: { output: { volume: 150 } } }), { step: -10 })
    assert.strictEqual(out.value, 0.75)
    // 0–200 is not 0–100: "100%" output is half a bar with the mark at 100 ("normal") on it
    const normal = face(outputVolume, model({ settingsPatch: { output: { volume: 100 } } }))
    assert.deepStrictEqual([normal.sublabel, normal.value, normal.mark], ["100%", 0.5, 0.5])
    assert.strictEqual(face(inputVolume, model()).mark, undefined) // a full-range bar needs no mark
    assert.strictEqual(out.label, "Output −10")
    assert.strictEqual(face(outputVolume, model({ settingsPatch: { deaf: true } })).icon, "volume-off")
  })

  it("user volume shows the first other member, their volume, mute and speaking", () => {
    const m = inLounge()
    assert.deepStrictEqual(face(userVolume, m, {}, undefined, "encoder"), {
      icon: "user",
      avatars: [{ initials: "A", tint: defaultAvatarIndex(ALEX) }],
      tone: "neutral",
      label: "Alex",
      sublabel: "140%",
      value: 0.7,
      mark: 0.5
    })
    assert.strictEqual(face(userVolume, m, {}, { selected: BLAIR }, "encoder").label, "Blair")
    assert.strictEqual(face(userVolume, model(), {}, undefined, "encoder").sublabel, "not in a call")
  })

  it("devices, processing, media, soundboard and status", () => {
    assert.strictEqual(face(inputDevice, model()).label, "Default")
    assert.deepStrictEqual(face(outputDevice, model(), { device: "xm4" }).label, "WH-1000XM4")
    assert.strictEqual(face(outputDevice, model(), { device: "gone" }).sublabel, "not available")
    assert.strictEqual(face(voiceProcessing, model(), { feature: "noise-suppression" }).tone, "active")
    assert.strictEqual(face(voiceProcessing, model(), { feature: "echo-cancellation" }).tone, "neutral")
    assert.strictEqual(face(camera, inLounge({ video: true })).tone, "active")
    assert.strictEqual(face(screenShare, model()).tone, "offline")
    // a sound's key shows its emoji as the glyph and its name; without an emoji, the soundboard icon
    assert.deepStrictEqual(
      face(soundboard, inLounge({ soundboard: [{ sound_id: "1", guild_id: "0", name: "quack", emoji_name: "🦆" }] }), { name: "Quack" }),
      { icon: "soundboard", glyph: "🦆", label: "quack", tone: "neutral" }
    )
    assert.deepStrictEqual(
      face(soundboard, inLounge({ soundboard: [{ sound_id: "2", guild_id: "0", name: "airhorn", emoji_name: null }] }), { sound: "2" }),
      { icon: "soundboard", label: "airhorn", tone: "neutral" }
    )
    assert.strictEqual(face(leaveCall, inLounge()).sublabel, "Lounge")
    assert.deepStrictEqual(
      face(status, inLounge({ voiceConnection: { state: "VOICE_CONNECTED", averagePing: 31.4 } })),
      { icon: "signal", tone: "active", label: "31 ms", sublabel: "Lounge" }
    )
    const down = model({ connection: { _tag: "Disconnected", reason: { _tag: "NoDiscord", message: "no socket" } } })
    assert.strictEqual(face(status, down).label, "No Discord")
    const unauthorized = model({
      connection: { _tag: "Disconnected", reason: { _tag: "AuthenticationFailed", message: "revoked" } }
    })
    assert.strictEqual(face(status, unauthorized).icon, "unauthorized")
  })
})

describe("faces before Discord is there", () => {
  it("a first run shows one setup key (the status key); every other key keeps its own icon, dimmed and quiet", () => {
    const why = unavailability(model(), false)
    assert(why !== undefined)
    assert.deepStrictEqual(statusUnavailableFace(why), { icon: "setup", tone: "warning", label: "Set up", sublabel: "deckcord auth" })
    const calm = unavailableFace(why, mute.title, mute.icon)
    assert.deepStrictEqual(calm, { icon: "mic", tone: "offline", label: "Mute" })
    assert.notStrictEqual(calm.icon, "setup")
  })

  it("while Discord is away, keys keep their own icon and say why in a word", () => {
    const down = model({ connection: { _tag: "Disconnected", reason: { _tag: "NoDiscord", message: "no socket" } } })
    const why = unavailability(down, true)
    assert(why !== undefined)
    assert.deepStrictEqual(unavailableFace(why, deafen.title, deafen.icon), { icon: "headphones", tone: "offline", label: "Deafen", sublabel: "offline" })
    // callers that know no icon get the reason's
    assert.strictEqual(unavailableFace(why, "Key").icon, "disconnected")
  })

  it("member counts fit a corner", () => {
    assert.deepStrictEqual([memberBadge(1), memberBadge(99), memberBadge(100), memberBadge(2500)], ["1", "99", "99+", "99+"])
  })

  it("the README's contact sheet shows what the actions draw", () => {
    const sheet = new Map(SHEET_FACES.map((f) => [f.name, f.face]))
    const ptt = model({ settingsPatch: { mode: { type: "PUSH_TO_TALK" } } })
    assert.deepStrictEqual(sheet.get("Mute"), face(mute, model()))
    assert.deepStrictEqual(sheet.get("Mute: muted"), face(mute, model({ settingsPatch: { mute: true } })))
    assert.deepStrictEqual(sheet.get("Deafen"), face(deafen, model()))
    assert.deepStrictEqual(sheet.get("Deafen: deafened"), face(deafen, model({ settingsPatch: { deaf: true } })))
    assert.deepStrictEqual(sheet.get("PTT (voice activity)"), face(pushToTalk, model()))
    assert.deepStrictEqual(sheet.get("PTT"), face(pushToTalk, ptt))
    assert.deepStrictEqual(sheet.get("PTT: talking"), face(pushToTalk, { ...ptt, talking: true }))
    assert.deepStrictEqual(sheet.get("Input mode"), face(inputMode, model()))
    assert.deepStrictEqual(
      sheet.get("Output volume"),
      face(outputVolume, model({ settingsPatch: { output: { volume: 100 } } }), { step: 10 })
    )
    const why = unavailability(model(), false)!
    assert.deepStrictEqual(sheet.get("First run: status key"), statusUnavailableFace(why))
    assert.deepStrictEqual(sheet.get("First run: other keys"), unavailableFace(why, mute.title, mute.icon))
  })
})

// ---------------------------------------------------------------------------------------------
// handlers
// ---------------------------------------------------------------------------------------------

describe("handlers", () => {
  it.effect("mute: toggle, on, off; unmuting while deafened also undeafens (docs/discord-rpc.md#get_voice_settings)", () =>
    Effect.gen(function*() {
      const h = yield* harness(model())
      assert.deepStrictEqual(yield* h.send(mute, {}, PRESS), [{ cmd: "SET_VOICE_SETTINGS", args: { mute: true } }])
      assert.deepStrictEqual(yield* h.send(mute, {}, RELEASE), [])
      yield* SubscriptionRef.set(h.ref, model({ settingsPatch: { deaf: true } }))
      assert.deepStrictEqual(yield* h.send(mute, {}, PRESS), [{ cmd: "SET_VOICE_SETTINGS", args: { mute: false, deaf: false } }])
      assert.deepStrictEqual(yield* h.send(mute, { mode: "on" }, PRESS), [{ cmd: "SET_VOICE_SETTINGS", args: { mute: true } }])
    }))

  it.effect("a quick double toggle acts on the reply of the first, not on the model the event has not updated yet", () =>
    Effect.gen(function*() {
      const h = yield* harness(model())
      yield* h.send(mute, {}, PRESS)
      // no VOICE_SETTINGS_UPDATE yet: the model still says unmuted
      assert.deepStrictEqual(yield* h.send(mute, {}, PRESS), [{ cmd: "SET_VOICE_SETTINGS", args: { mute: false } }])
      // once the model moves on, it is authoritative again
      yield* SubscriptionRef.set(h.ref, model({ settingsPatch: { mute: true } }))
      assert.deepStrictEqual(yield* h.send(mute, {}, PRESS), [{ cmd: "SET_VOICE_SETTINGS", args: { mute: false } }])
    }))

  it.effect("hold to mute: muted while held, and only unmuted if the press muted", () =>
    Effect.gen(function*() {
      const h = yield* harness(model())
      const local = { value: mute.initial({ mode: "hold" }) }
      assert.deepStrictEqual(yield* h.send(mute, { mode: "hold" }, PRESS, "key", local), [
        { cmd: "SET_VOICE_SETTINGS", args: { mute: true } }
      ])
      assert.deepStrictEqual(yield* h.send(mute, { mode: "hold" }, RELEASE, "key", local), [
        { cmd: "SET_VOICE_SETTINGS", args: { mute: false } }
      ])
      const muted = yield* harness(model({ settingsPatch: { mute: true } }))
      const local2 = { value: mute.initial({ mode: "hold" }) }
      assert.deepStrictEqual(yield* muted.send(mute, { mode: "hold" }, PRESS, "key", local2), [])
      assert.deepStrictEqual(yield* muted.send(mute, { mode: "hold" }, RELEASE, "key", local2), [])
    }))

  it.effect("deafen: undeafen also unmutes unless told not to", () =>
    Effect.gen(function*() {
      const h = yield* harness(model({ settingsPatch: { deaf: true } }))
      assert.deepStrictEqual(yield* h.send(deafen, {}, PRESS), [{ cmd: "SET_VOICE_SETTINGS", args: { deaf: false, mute: false } }])
      assert.deepStrictEqual(yield* h.send(deafen, { mode: "off", unmute: false }, PRESS), [
        { cmd: "SET_VOICE_SETTINGS", args: { deaf: false } }
      ])
      assert.deepStrictEqual(yield* h.send(deafen, { mode: "on" }, PRESS), [{ cmd: "SET_VOICE_SETTINGS", args: { deaf: true } }])
    }))

  it.effect("push-to-talk: active on down, inactive on up, and the model knows deckcord is talking", () =>
    Effect.gen(function*() {
      const h = yield* harness(model({ settingsPatch: { mode: { type: "PUSH_TO_TALK" } } }))
      assert.deepStrictEqual(yield* h.send(pushToTalk, {}, PRESS), [{ cmd: "PUSH_TO_TALK", args: { active: true } }])
      assert.isTrue((yield* SubscriptionRef.get(h.ref)).talking)
      assert.deepStrictEqual(yield* h.send(pushToTalk, {}, RELEASE), [{ cmd: "PUSH_TO_TALK", args: { active: false } }])
      assert.isFalse((yield* SubscriptionRef.get(h.ref)).talking)
    }))

  it.effect("input mode toggles between PTT and VA, or sets one", () =>
    Effect.gen(function*() {
      const h = yield* harness(model())
      assert.deepStrictEqual(yield* h.send(inputMode, {}, PRESS), [
        { cmd: "SET_VOICE_SETTINGS", args: { mode: { type: "PUSH_TO_TALK" } } }
      ])
      assert.deepStrictEqual(yield* h.send(inputMode, { mode: "voice-activity" }, PRESS), [
        { cmd: "SET_VOICE_SETTINGS", args: { mode: { type: "VOICE_ACTIVITY" } } }
      ])
    }))

  it.effect("voice channel joins with force, leaves only from that channel; leave-call and text channel", () =>
    Effect.gen(function*() {
      const h = yield* harness(inLounge())
      assert.deepStrictEqual(yield* h.send(voiceChannel, { channel: GAMING }, PRESS), [
        { cmd: "SELECT_VOICE_CHANNEL", args: { channel_id: GAMING, force: true } }
      ])
      assert.deepStrictEqual(yield* h.send(voiceChannel, { channel: LOUNGE }, PRESS), [
        { cmd: "SELECT_VOICE_CHANNEL", args: { channel_id: null } }
      ])
      assert.deepStrictEqual(yield* h.send(leaveCall, {}, PRESS), [{ cmd: "SELECT_VOICE_CHANNEL", args: { channel_id: null } }])
      assert.deepStrictEqual(yield* h.send(textChannel, { channel: GENERAL }, PRESS), [
        { cmd: "SELECT_TEXT_CHANNEL", args: { channel_id: GENERAL } }
      ])
    }))

  it.effect("input / output volume: dial steps within range, dial press mutes or resets, keys step or set", () =>
    Effect.gen(function*() {
      const h = yield* harness(model())
      assert.deepStrictEqual(yield* h.send(inputVolume, {}, { _tag: "Rotate", delta: 2 }, "encoder"), [
        { cmd: "SET_VOICE_SETTINGS", args: { input: { volume: 90 } } }
      ])
      // the latest known volume is 90: +5 detents clamps at 100
      assert.deepStrictEqual(yield* h.send(inputVolume, {}, { _tag: "Rotate", delta: 5 }, "encoder"), [
        { cmd: "SET_VOICE_SETTINGS", args: { input: { volume: 100 } } }
      ])
      assert.deepStrictEqual(yield* h.send(inputVolume, {}, { _tag: "Rotate", delta: 1 }, "encoder"), [])
      assert.deepStrictEqual(yield* h.send(inputVolume, {}, PRESS, "encoder"), [{ cmd: "SET_VOICE_SETTINGS", args: { mute: true } }])
      assert.deepStrictEqual(yield* h.send(outputVolume, { press: "reset", reset: 120 }, PRESS, "encoder"), [
        { cmd: "SET_VOICE_SETTINGS", args: { output: { volume: 120 } } }
      ])
      assert.deepStrictEqual(yield* h.send(outputVolume, { step: 50 }, { _tag: "Rotate", delta: 9 }, "encoder"), [
        { cmd: "SET_VOICE_SETTINGS", args: { output: { volume: 200 } } }
      ])
      assert.deepStrictEqual(yield* h.send(outputVolume, { set: 30 }, PRESS, "key"), [
        { cmd: "SET_VOICE_SETTINGS", args: { output: { volume: 30 } } }
      ])
      assert.deepStrictEqual(yield* h.send(outputVolume, { press: "mute" }, PRESS, "encoder"), [
        { cmd: "SET_VOICE_SETTINGS", args: { deaf: true } }
      ])
    }))

  it.effect("user volume: rotate ±N in 0–200, push cycles members without yourself, touch toggles their mute", () =>
    Effect.gen(function*() {
      const h = yield* harness(inLounge())
      const local = { value: userVolume.initial({}) }
      assert.deepStrictEqual(yield* h.send(userVolume, {}, { _tag: "Rotate", delta: 3 }, "encoder", local), [
        { cmd: "SET_USER_VOICE_SETTINGS", args: { user_id: ALEX, volume: 155 } }
      ])
      assert.deepStrictEqual(yield* h.send(userVolume, {}, PRESS, "encoder", local), [])
      assert.deepStrictEqual(local.value, { selected: BLAIR })
      assert.deepStrictEqual(yield* h.send(userVolume, {}, { _tag: "Touch", long: false }, "encoder", local), [
        { cmd: "SET_USER_VOICE_SETTINGS", args: { user_id: BLAIR, mute: true } }
      ])
      yield* h.send(userVolume, {}, PRESS, "encoder", local)
      assert.deepStrictEqual(local.value, { selected: ALEX }, "wraps around, never selects yourself")
      assert.deepStrictEqual(yield* h.send(userVolume, { user: BLAIR, set: 200 }, PRESS, "key"), [
        { cmd: "SET_USER_VOICE_SETTINGS", args: { user_id: BLAIR, volume: 200 } }
      ])
      assert.deepStrictEqual(yield* h.send(userVolume, { user: ALEX, step: -20 }, PRESS, "key"), [
        { cmd: "SET_USER_VOICE_SETTINGS", args: { user_id: ALEX, volume: 135 } }
      ], "steps from the latest known volume (155 after the rotation)")
      const alone = yield* harness(model())
      const failed = yield* alone.send(userVolume, {}, { _tag: "Rotate", delta: 1 }, "encoder").pipe(Effect.flip)
      assert.strictEqual(failed.message, "not in a voice channel: join one first")
    }))

  it.effect("devices cycle in Discord's order or set one; an unknown device names the available ones", () =>
    Effect.gen(function*() {
      const h = yield* harness(model())
      assert.deepStrictEqual(yield* h.send(inputDevice, {}, PRESS), [
        { cmd: "SET_VOICE_SETTINGS", args: { input: { device_id: "yeti" } } }
      ])
      assert.deepStrictEqual(yield* h.send(inputDevice, {}, PRESS), [
        { cmd: "SET_VOICE_SETTINGS", args: { input: { device_id: "default" } } }
      ], "wraps around after the last")
      assert.deepStrictEqual(yield* h.send(outputDevice, { device: "xm4" }, PRESS), [
        { cmd: "SET_VOICE_SETTINGS", args: { output: { device_id: "xm4" } } }
      ])
      const error = yield* h.send(outputDevice, { device: "hdmi" }, PRESS).pipe(Effect.flip)
      assert.include(error.message, `no output device "hdmi"; available: "default" (Default), "xm4" (WH-1000XM4)`)
    }))

  it.effect("camera / screen share toggle in a call and refuse outside one; processing toggles; soundboard resolves names", () =>
    Effect.gen(function*() {
      const h = yield* harness(inLounge())
      assert.deepStrictEqual(yield* h.send(camera, {}, PRESS), [{ cmd: "TOGGLE_VIDEO", args: {} }])
      assert.deepStrictEqual(yield* h.send(screenShare, {}, PRESS), [{ cmd: "TOGGLE_SCREENSHARE", args: {} }])
      assert.deepStrictEqual(yield* h.send(voiceProcessing, { feature: "noise-suppression" }, PRESS), [
        { cmd: "SET_VOICE_SETTINGS", args: { noise_suppression: false } }
      ])
      assert.deepStrictEqual(yield* h.send(soundboard, { name: "AIRHORN" }, PRESS), [
        { cmd: "GET_SOUNDBOARD_SOUNDS", args: {} },
        { cmd: "PLAY_SOUNDBOARD_SOUND", args: { guild_id: "613425648685547541", sound_id: "1219734528472387604" } }
      ])
      assert.deepStrictEqual(yield* h.send(soundboard, { sound: "1", guild: "0" }, PRESS), [
        { cmd: "PLAY_SOUNDBOARD_SOUND", args: { guild_id: "0", sound_id: "1" } }
      ])
      const missing = yield* h.send(soundboard, { name: "tada" }, PRESS).pipe(Effect.flip)
      assert.include(missing.message, `no soundboard sound named "tada"; available: "quack", "airhorn"`)
      const outside = yield* harness(model())
      const refused = yield* outside.send(camera, {}, PRESS).pipe(Effect.flip)
      assert.strictEqual(refused.message, "not in a voice channel: join one first")
      assert.deepStrictEqual(outside.sent, [])
    }))

  it.live("a toggle waits for a live model and expires if it does not come; status reconnects only when down", () =>
    Effect.gen(function*() {
      const down = model({ connection: { _tag: "Connecting" }, synced: false })
      const h = yield* harness(down)
      const exit = yield* h.send(mute, {}, PRESS).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "CommandExpiredError")
      assert.deepStrictEqual(h.sent, [])
      assert.deepStrictEqual(yield* h.send(status, {}, PRESS), [{ cmd: "(reconnect)", args: {} }])
      const up = yield* harness(model())
      assert.deepStrictEqual(yield* up.send(status, {}, PRESS), [])
    }))
})
