/**
 * Camera, screen share (TOGGLE_VIDEO / TOGGLE_SCREENSHARE, state from VIDEO_STATE_UPDATE /
 * SCREENSHARE_STATE_UPDATE, docs/discord-rpc.md#toggle_video-and-toggle_screenshare) and soundboard sounds (docs/discord-rpc.md#soundboard).
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { SoundboardSound } from "../../protocol/Message.ts"
import type { Face } from "../../face/Face.ts"
import type { VoiceModel } from "../../discord/VoiceState.ts"
import { ActionError, defineAction, liveModel, NoOptions } from "./types.ts"

/** Both toggles do nothing outside a voice channel (docs/discord-rpc.md#toggle_video-and-toggle_screenshare): say so instead of a silent press. */
const notInCall = (action: string) =>
  new ActionError({ action, message: "not in a voice channel: join one first" })

export const camera = defineAction({
  name: "camera",
  summary: "Turn your camera on or off (needs \"video\" in the config's scopes; in a call only).",
  title: "Camera",
  icon: "camera",
  options: NoOptions,
  scopes: ["video"],
  initial: () => undefined,
  face: (model) =>
    model.video
      ? { icon: "camera", tone: "active", label: "Camera on" }
      : { icon: "camera-off", tone: model.channel === null ? "offline" : "neutral", label: "Camera off" },
  handle: (input, { env }) =>
    Effect.gen(function*() {
      if (input._tag !== "Press") return
      const model = yield* liveModel(env, "TOGGLE_VIDEO")
      if (model.channel === null) return yield* notInCall("camera")
      yield* env.rpc.toggleVideo()
    })
})

export const screenShare = defineAction({
  name: "screen-share",
  summary: "Start or stop sharing your screen (needs \"screenshare\" in the config's scopes; in a call only).",
  title: "Share",
  icon: "screen-share",
  options: NoOptions,
  scopes: ["screenshare"],
  initial: () => undefined,
  face: (model) =>
    model.screenshare
      ? { icon: "screen-share", tone: "active", label: "Sharing" }
      : { icon: "screen-share-off", tone: model.channel === null ? "offline" : "neutral", label: "Share screen" },
  handle: (input, { env }) =>
    Effect.gen(function*() {
      if (input._tag !== "Press") return
      const model = yield* liveModel(env, "TOGGLE_SCREENSHARE")
      if (model.channel === null) return yield* notInCall("screen-share")
      yield* env.rpc.toggleScreenshare()
    })
})

// ---------------------------------------------------------------------------------------------
// soundboard
// ---------------------------------------------------------------------------------------------

export const SoundboardOptions = Schema.Struct({
  /** The sound's id (from GET_SOUNDBOARD_SOUNDS; built-in sounds have small ids like "1"). */
  sound: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty())),
  /** The sound's guild id ("0" for Discord's built-ins); looked up from the list when omitted. */
  guild: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty())),
  /** Or pick the sound by its name (case-insensitive). */
  name: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty()))
}).check(
  Schema.makeFilter((o) =>
    o.sound !== undefined || o.name !== undefined ? undefined : "needs \"sound\" (a sound id) or \"name\" (a sound's name)"
  )
)
type SoundboardOptions = typeof SoundboardOptions.Type

/** Find the configured sound in a list. */
export const findSound = (
  sounds: ReadonlyArray<SoundboardSound>,
  options: SoundboardOptions
): SoundboardSound | undefined =>
  options.sound !== undefined
    ? sounds.find((s) => s.sound_id === options.sound && (options.guild === undefined || s.guild_id === options.guild))
    : sounds.find((s) => s.name?.toLowerCase() === options.name?.toLowerCase())

/**
 * A sound's key: its emoji as the glyph when it has a Unicode one (a custom server emoji is
 * an image we do not fetch), the soundboard icon otherwise, and its name as the label.
 */
const soundFace = (model: VoiceModel, options: SoundboardOptions): Face => {
  const sound = findSound(model.soundboard, options)
  const name = sound?.name ?? options.name ?? "Sound"
  const emoji = sound?.emoji_name
  return emoji !== undefined && emoji !== null && emoji.length > 0
    ? { icon: "soundboard", glyph: emoji, label: name }
    : { icon: "soundboard", label: name }
}

export const soundboard = defineAction({
  name: "soundboard",
  summary: "Play a soundboard sound in your voice channel, by id or by name.",
  title: "Sound",
  icon: "soundboard",
  options: SoundboardOptions,
  initial: () => undefined,
  face: (model, options) => ({
    ...soundFace(model, options),
    tone: model.channel === null ? "offline" : "neutral",
    ...(model.channel === null ? { sublabel: "not in a call" } : {})
  }),
  handle: (input, { env, options }) =>
    Effect.gen(function*() {
      if (input._tag !== "Press") return
      // an id with its guild needs no lookup; otherwise resolve from the list (fetched if the model has none)
      if (options.sound !== undefined && options.guild !== undefined) {
        return yield* env.rpc.playSoundboardSound({ soundId: options.sound, guildId: options.guild })
      }
      const model = yield* liveModel(env, "PLAY_SOUNDBOARD_SOUND")
      const sounds = model.soundboard.length > 0 ? model.soundboard : yield* env.rpc.getSoundboardSounds
      const sound = findSound(sounds, options)
      if (sound === undefined) {
        const wanted = options.sound !== undefined ? `id "${options.sound}"` : `named "${options.name}"`
        return yield* new ActionError({
          action: "soundboard",
          message: `no soundboard sound ${wanted}; available: ${sounds.map((s) => `"${s.name ?? s.sound_id}"`).join(", ") || "none"}`
        })
      }
      yield* env.rpc.playSoundboardSound({ soundId: sound.sound_id, guildId: sound.guild_id ?? "0" })
    })
})
