/**
 * Volumes: your input and output volume (SET_VOICE_SETTINGS, raw engine values: input 0–100,
 * output 0–200, docs/discord-rpc.md#get_voice_settings) and your local volume for another user (SET_USER_VOICE_SETTINGS,
 * 0–200, docs/discord-rpc.md#set_user_voice_settings).
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { Member, VoiceModel } from "../../discord/VoiceState.ts"
import { memberAvatar } from "./channels.ts"
import {
  ActionError,
  type ActionFailure,
  type ActionInput,
  clamp,
  defineAction,
  DiscordId,
  findMember,
  type HandlerContext,
  isDeafened,
  isMuted,
  liveModel,
  setUserVoiceSettings,
  setVoiceSettings
} from "./types.ts"

/** Raw volume ranges (docs/discord-rpc.md#get_voice_settings, docs/discord-rpc.md#set_user_voice_settings). */
export const INPUT_VOLUME_MAX = 100
export const OUTPUT_VOLUME_MAX = 200
export const USER_VOLUME_MAX = 200
/** 100 is "normal" everywhere: the reset target. */
export const NORMAL_VOLUME = 100
/** One dial detent or key press moves this much unless the layout says otherwise. */
export const DEFAULT_VOLUME_STEP = 5

const Step = Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: -200, maximum: 200 }))
const Level = (max: number) => Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: max }))

const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : "0")

/**
 * A volume's bar on its real scale: 0–200 volumes are half full at 100, so they carry a mark
 * at 100 ("normal") to tell that from a 0–100 volume at 50.
 */
export const volumeBar = (volume: number, max: number): { readonly value: number; readonly mark?: number } =>
  max > NORMAL_VOLUME ? { value: volume / max, mark: NORMAL_VOLUME / max } : { value: volume / max }

// ---------------------------------------------------------------------------------------------
// input / output volume
// ---------------------------------------------------------------------------------------------

const ownVolumeOptions = (max: number) =>
  Schema.Struct({
    /** Change per dial detent, or per key press (negative to turn down). Default 5. */
    step: Schema.optionalKey(Step),
    /** Keys: set this volume instead of stepping. */
    set: Schema.optionalKey(Level(max)),
    /** Dials: what pushing the dial does (default "mute"). */
    press: Schema.optionalKey(Schema.Literals(["mute", "reset", "none"])),
    /** The volume "reset" restores (default 100, Discord's normal). */
    reset: Schema.optionalKey(Level(max))
  })

export const InputVolumeOptions = ownVolumeOptions(INPUT_VOLUME_MAX)
export const OutputVolumeOptions = ownVolumeOptions(OUTPUT_VOLUME_MAX)
type OwnVolumeOptions = typeof InputVolumeOptions.Type

const ownVolume = (which: "input" | "output") => {
  const max = which === "input" ? INPUT_VOLUME_MAX : OUTPUT_VOLUME_MAX
  const name = which === "input" ? "Mic" : "Output"
  const silenced = (model: VoiceModel) => (which === "input" ? model.muted : model.deafened)
  return defineAction<OwnVolumeOptions>({
    name: `${which}-volume`,
    summary: which === "input"
      ? "Your microphone volume (0–100): turn a dial, or step/set with a key; pushing the dial mutes."
      : "Your output volume (0–200): turn a dial, or step/set with a key; pushing the dial deafens.",
    title: name,
    icon: which === "input" ? "mic" : "volume",
    options: which === "input" ? InputVolumeOptions : OutputVolumeOptions,
    initial: () => undefined,
    face: (model, options, _local, control) => {
      const volume = model.settings?.[which]?.volume
      const off = silenced(model)
      const keyLabel = options.set !== undefined
        ? `${name} ${Math.round(options.set)}%`
        : `${name} ${signed(options.step ?? DEFAULT_VOLUME_STEP)}`
      return {
        icon: which === "input" ? (off ? "mic-off" : "mic") : (off ? "volume-off" : "volume"),
        tone: off ? "muted" : "neutral",
        label: control === "encoder" ? name : keyLabel,
        ...(volume === undefined ? {} : { sublabel: `${Math.round(volume)}%`, ...volumeBar(volume, max) })
      }
    },
    handle: (input, { control, env, options }) =>
      Effect.gen(function*() {
        const setVolume = (volume: number) =>
          setVoiceSettings(env, which === "input" ? { input: { volume } } : { output: { volume } })
        const stepBy = (steps: number) =>
          Effect.gen(function*() {
            const model = yield* liveModel(env, "SET_VOICE_SETTINGS")
            const current = env.known.settings(model)?.[which]?.volume ?? NORMAL_VOLUME
            const next = clamp(current + steps * (options.step ?? DEFAULT_VOLUME_STEP), 0, max)
            if (next !== current) yield* setVolume(next)
          })
        if (input._tag === "Rotate") return yield* stepBy(input.delta)
        if (input._tag !== "Press") return
        if (control === "key") return yield* (options.set === undefined ? stepBy(1) : setVolume(options.set))
        const press = options.press ?? "mute"
        if (press === "reset") return yield* setVolume(options.reset ?? NORMAL_VOLUME)
        if (press === "none") return
        const model = yield* liveModel(env, "SET_VOICE_SETTINGS")
        const settings = env.known.settings(model)
        if (which === "input") {
          yield* setVoiceSettings(env, isMuted(settings) ? { mute: false, deaf: false } : { mute: true })
        } else {
          yield* setVoiceSettings(env, isDeafened(settings) ? { deaf: false, mute: false } : { deaf: true })
        }
      }).pipe(Effect.asVoid)
  })
}

export const inputVolume = ownVolume("input")
export const outputVolume = ownVolume("output")

// ---------------------------------------------------------------------------------------------
// user volume
// ---------------------------------------------------------------------------------------------

export const UserVolumeOptions = Schema.Struct({
  /** A fixed user; without it the control adjusts a member of your current channel (push the dial to pick). */
  user: Schema.optionalKey(DiscordId("user")),
  /** Change per dial detent or key press (negative to turn down). Default 5. */
  step: Schema.optionalKey(Step),
  /** Keys: set this volume instead of stepping. */
  set: Schema.optionalKey(Level(USER_VOLUME_MAX))
})
type UserVolumeOptions = typeof UserVolumeOptions.Type

/** Which member an unfixed dial adjusts; undefined = the first one. */
interface UserVolumeLocal {
  readonly selected: string | undefined
}

/** Members of your channel you can adjust: everyone but you (yourself is 4010, docs/discord-rpc.md#set_user_voice_settings). */
const others = (model: VoiceModel): ReadonlyArray<Member> =>
  model.channel === null ? [] : [...model.channel.members.values()].filter((m) => m.id !== model.selfId)

/** The user this binding acts on now. */
export const userVolumeTarget = (model: VoiceModel, options: UserVolumeOptions, local: UserVolumeLocal): string | undefined => {
  if (options.user !== undefined) return options.user
  const candidates = others(model)
  return candidates.find((m) => m.id === local.selected)?.id ?? candidates[0]?.id
}

const noTarget = (model: VoiceModel) =>
  new ActionError({
    action: "user-volume",
    message: model.channel === null ? "not in a voice channel: join one first" : "nobody else is in your voice channel"
  })

export const userVolume = defineAction<UserVolumeOptions, UserVolumeLocal>({
  name: "user-volume",
  summary: "Your local volume for a user (0–200): turn to change, push the dial for the next member, tap the strip to mute them.",
  title: "User",
  icon: "user",
  options: UserVolumeOptions,
  initial: () => ({ selected: undefined }),
  face: (model, options, local) => {
    const target = userVolumeTarget(model, options, local)
    const member = target === undefined ? undefined : findMember(model, target)
    if (member === undefined) {
      return target === undefined
        ? { icon: "user", tone: "offline", label: "User volume", sublabel: model.channel === null ? "not in a call" : "alone" }
        : { icon: "user", tone: "offline", label: "User", sublabel: "not in a call" }
    }
    return {
      icon: member.localMute ? "user-off" : "user",
      avatars: [memberAvatar(model, member)],
      tone: member.localMute ? "muted" : "neutral",
      label: member.name,
      sublabel: member.localMute ? "muted" : `${Math.round(member.localVolume)}%`,
      ...volumeBar(member.localVolume, USER_VOLUME_MAX),
      ...(member.speaking ? { highlight: true } : {})
    }
  },
  handle: (input, ctx) => handleUserVolume(input, ctx)
})

const handleUserVolume = (
  input: ActionInput,
  { control, env, local, options }: HandlerContext<UserVolumeOptions, UserVolumeLocal>
): Effect.Effect<void, ActionFailure> =>
  Effect.gen(function*() {
    if (input._tag === "Release") return
    const model = yield* liveModel(env, "SET_USER_VOICE_SETTINGS")
    const state = yield* local.get
    // a dial without a fixed user: pushing it picks the next member
    if (input._tag === "Press" && control === "encoder" && options.user === undefined) {
      const candidates = others(model)
      if (candidates.length === 0) return yield* noTarget(model)
      const at = candidates.findIndex((m) => m.id === userVolumeTarget(model, options, state))
      return yield* local.set({ selected: candidates[(at + 1) % candidates.length]!.id })
    }
    const target = userVolumeTarget(model, options, state)
    if (target === undefined) return yield* noTarget(model)
    const known = env.known.user(model, target)
    const volume = known?.volume ?? NORMAL_VOLUME
    const toggleMute = setUserVoiceSettings(env, target, { mute: !(known?.mute ?? false) })
    const setTo = (v: number) => (v === volume ? Effect.void : setUserVoiceSettings(env, target, { volume: v }))
    const step = options.step ?? DEFAULT_VOLUME_STEP
    switch (input._tag) {
      case "Rotate":
        return yield* setTo(clamp(volume + input.delta * step, 0, USER_VOLUME_MAX))
      case "Touch":
        return yield* toggleMute
      case "Press":
        // a dial with a fixed user, or a key: set, step, or (with neither) toggle their mute
        if (options.set !== undefined) return yield* setTo(clamp(options.set, 0, USER_VOLUME_MAX))
        if (options.step !== undefined && control === "key") return yield* setTo(clamp(volume + step, 0, USER_VOLUME_MAX))
        return yield* toggleMute
    }
  })
