/**
 * Your own voice: mute, deafen, push-to-talk, input mode and voice processing
 * (SET_VOICE_SETTINGS and PUSH_TO_TALK, docs/discord-rpc.md#set_voice_settings, docs/discord-rpc.md#push_to_talk).
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { VoiceSettingsPatch } from "../../protocol/Message.ts"
import {
  defineAction,
  isDeafened,
  isMuted,
  liveModel,
  NoOptions,
  setVoiceSettings
} from "./types.ts"

// ---------------------------------------------------------------------------------------------
// mute
// ---------------------------------------------------------------------------------------------

export const MuteOptions = Schema.Struct({
  /** toggle (default), on, off, or hold: muted while the key is held (push-to-mute). */
  mode: Schema.optionalKey(Schema.Literals(["toggle", "on", "off", "hold"]))
})

/** Unmuting while deafened must also undeafen, or Discord stays muted (docs/discord-rpc.md#get_voice_settings). */
const unmutePatch = (deafened: boolean): VoiceSettingsPatch => (deafened ? { mute: false, deaf: false } : { mute: false })

export const mute = defineAction({
  name: "mute",
  summary: "Mute or unmute your microphone (toggle, on, off, or hold to mute).",
  title: "Mute",
  icon: "mic",
  options: MuteOptions,
  /** hold: whether this press muted you (and so the release should unmute). */
  initial: () => ({ heldMuted: false }),
  face: (model, options) => {
    const muted = model.muted
    const hold = options.mode === "hold"
    return {
      icon: muted ? "mic-off" : "mic",
      tone: muted ? "muted" : "neutral",
      label: muted ? "Muted" : "Mic on",
      ...(hold ? { sublabel: "hold to mute" } : model.deafened ? { sublabel: "deafened" } : {})
    }
  },
  handle: (input, { env, local, options }) =>
    Effect.gen(function*() {
      const mode = options.mode ?? "toggle"
      if (mode === "hold") {
        if (input._tag === "Press") {
          const model = yield* liveModel(env, "SET_VOICE_SETTINGS")
          if (isMuted(env.known.settings(model))) return
          yield* setVoiceSettings(env, { mute: true })
          yield* local.set({ heldMuted: true })
        } else if (input._tag === "Release" && (yield* local.get).heldMuted) {
          yield* local.set({ heldMuted: false })
          const model = yield* liveModel(env, "SET_VOICE_SETTINGS")
          yield* setVoiceSettings(env, unmutePatch(isDeafened(env.known.settings(model))))
        }
        return
      }
      if (input._tag !== "Press") return
      if (mode === "on") return yield* setVoiceSettings(env, { mute: true })
      const model = yield* liveModel(env, "SET_VOICE_SETTINGS")
      const settings = env.known.settings(model)
      if (mode === "off" || isMuted(settings)) return yield* setVoiceSettings(env, unmutePatch(isDeafened(settings)))
      yield* setVoiceSettings(env, { mute: true })
    }).pipe(Effect.asVoid)
})

// ---------------------------------------------------------------------------------------------
// deafen
// ---------------------------------------------------------------------------------------------

export const DeafenOptions = Schema.Struct({
  mode: Schema.optionalKey(Schema.Literals(["toggle", "on", "off"])),
  /** Undeafening also unmutes (default true), as Discord's own button does (docs/discord-rpc.md#how-deckcord-is-built-on-this). */
  unmute: Schema.optionalKey(Schema.Boolean)
})

export const deafen = defineAction({
  name: "deafen",
  summary: "Deafen or undeafen (undeafening also unmutes unless \"unmute\": false).",
  title: "Deafen",
  icon: "headphones",
  options: DeafenOptions,
  initial: () => undefined,
  face: (model) => ({
    icon: model.deafened ? "headphones-off" : "headphones",
    tone: model.deafened ? "muted" : "neutral",
    label: model.deafened ? "Deafened" : "Sound on"
  }),
  handle: (input, { env, options }) =>
    Effect.gen(function*() {
      if (input._tag !== "Press") return
      const mode = options.mode ?? "toggle"
      const undeafen: VoiceSettingsPatch = options.unmute === false ? { deaf: false } : { deaf: false, mute: false }
      if (mode === "on") return yield* setVoiceSettings(env, { deaf: true })
      if (mode === "off") return yield* setVoiceSettings(env, undeafen)
      const model = yield* liveModel(env, "SET_VOICE_SETTINGS")
      yield* setVoiceSettings(env, isDeafened(env.known.settings(model)) ? undeafen : { deaf: true })
    }).pipe(Effect.asVoid)
})

// ---------------------------------------------------------------------------------------------
// push-to-talk
// ---------------------------------------------------------------------------------------------

export const pushToTalk = defineAction({
  name: "push-to-talk",
  summary: "Transmit while held. Works only when Discord's input mode is Push to Talk (docs/discord-rpc.md#push_to_talk).",
  title: "PTT",
  icon: "push-to-talk",
  options: NoOptions,
  initial: () => undefined,
  face: (model) => {
    if (model.inputMode === "VOICE_ACTIVITY") {
      // PUSH_TO_TALK is silently ignored in voice-activity mode (docs/discord-rpc.md#push_to_talk): the key is idle,
      // so it looks idle (Discord's default mode must not leave a key lit in alarm), and says why
      return { icon: "push-to-talk", tone: "offline", label: "PTT", sublabel: "voice activity" }
    }
    return model.talking
      ? { icon: "push-to-talk", tone: "active", label: "Talking" }
      : { icon: "push-to-talk", tone: "neutral", label: "PTT" }
  },
  handle: (input, { env }) => {
    if (input._tag === "Press") {
      return env.rpc.pushToTalk(true).pipe(Effect.andThen(env.voice.setTalking(true)))
    }
    if (input._tag === "Release") {
      return env.rpc.pushToTalk(false).pipe(Effect.ensuring(env.voice.setTalking(false)))
    }
    return Effect.void
  }
})

// ---------------------------------------------------------------------------------------------
// input mode
// ---------------------------------------------------------------------------------------------

export const InputModeOptions = Schema.Struct({
  /** toggle (default) between the two, or always switch to one. */
  mode: Schema.optionalKey(Schema.Literals(["toggle", "push-to-talk", "voice-activity"]))
})

export const inputMode = defineAction({
  name: "input-mode",
  summary: "Switch Discord's input mode between Push to Talk and Voice Activity.",
  title: "Mode",
  icon: "voice-activity",
  options: InputModeOptions,
  initial: () => undefined,
  face: (model, options) => {
    const target = options.mode ?? "toggle"
    // a toggle shows the mode Discord is in; a key for one mode shows that mode, lit while it is on
    const ptt = target === "toggle" ? model.inputMode === "PUSH_TO_TALK" : target === "push-to-talk"
    const current = target !== "toggle" && (model.inputMode === "PUSH_TO_TALK") === ptt
    return {
      icon: ptt ? "push-to-talk" : "voice-activity",
      tone: current ? "active" : "neutral",
      label: ptt ? "Push to talk" : "Voice activity"
    }
  },
  handle: (input, { env, options }) =>
    Effect.gen(function*() {
      if (input._tag !== "Press") return
      const mode = options.mode ?? "toggle"
      if (mode !== "toggle") {
        return yield* setVoiceSettings(env, { mode: { type: mode === "push-to-talk" ? "PUSH_TO_TALK" : "VOICE_ACTIVITY" } })
      }
      const model = yield* liveModel(env, "SET_VOICE_SETTINGS")
      const current = env.known.settings(model)?.mode?.type ?? model.inputMode
      yield* setVoiceSettings(env, { mode: { type: current === "PUSH_TO_TALK" ? "VOICE_ACTIVITY" : "PUSH_TO_TALK" } })
    }).pipe(Effect.asVoid)
})

// ---------------------------------------------------------------------------------------------
// voice processing
// ---------------------------------------------------------------------------------------------

/** The three processing switches of SET_VOICE_SETTINGS (docs/discord-rpc.md#set_voice_settings), by their layout names. */
export const PROCESSING_FEATURES = {
  "noise-suppression": { field: "noise_suppression", label: "Noise filter" },
  "echo-cancellation": { field: "echo_cancellation", label: "Echo filter" },
  "automatic-gain-control": { field: "automatic_gain_control", label: "Auto gain" }
} as const

export const VoiceProcessingOptions = Schema.Struct({
  feature: Schema.Literals(["noise-suppression", "echo-cancellation", "automatic-gain-control"]),
  mode: Schema.optionalKey(Schema.Literals(["toggle", "on", "off"]))
})

export const voiceProcessing = defineAction({
  name: "voice-processing",
  summary: "Toggle noise suppression, echo cancellation or automatic gain control.",
  title: "Processing",
  icon: "voice-processing",
  options: VoiceProcessingOptions,
  initial: () => undefined,
  face: (model, options) => {
    const feature = PROCESSING_FEATURES[options.feature]
    const on = model.settings?.[feature.field] === true
    return { icon: "voice-processing", tone: on ? "active" : "neutral", label: feature.label, sublabel: on ? "on" : "off" }
  },
  handle: (input, { env, options }) =>
    Effect.gen(function*() {
      if (input._tag !== "Press") return
      const { field } = PROCESSING_FEATURES[options.feature]
      const mode = options.mode ?? "toggle"
      let next: boolean
      if (mode === "toggle") {
        const model = yield* liveModel(env, "SET_VOICE_SETTINGS")
        next = env.known.settings(model)?.[field] !== true
      } else {
        next = mode === "on"
      }
      yield* setVoiceSettings(env, { [field]: next })
    }).pipe(Effect.asVoid)
})
