/**
 * Channels: join a voice channel, leave the call, jump to a text channel
 * (SELECT_VOICE_CHANNEL / SELECT_TEXT_CHANNEL, docs/discord-rpc.md#select_voice_channel, docs/discord-rpc.md#select_text_channel).
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { avatarFile, defaultAvatarIndex } from "../../discord/Avatars.ts"
import type { ChannelView, Member, VoiceModel } from "../../discord/VoiceState.ts"
import { type FaceAvatar, initialsOf, MAX_FACE_AVATARS } from "../../face/Face.ts"
import { ActionError, defineAction, DiscordId, liveModel, NoOptions } from "./types.ts"

/** A channel as the model knows it: your current one first (it is always live), else a watched one. */
export const channelView = (model: VoiceModel, id: string): ChannelView | undefined =>
  model.channel?.id === id ? model.channel : model.watched.get(id)

/** A member count that fits a corner: up to two digits. */
export const memberBadge = (count: number): string => (count > 99 ? "99+" : String(count))

/**
 * A member as a face shows them: their picture once it is fetched (`VoiceModel.avatars`),
 * else their initials on the colour of their Discord default avatar.
 */
export const memberAvatar = (model: VoiceModel, member: Member): FaceAvatar => {
  const image = avatarFile(model, member)
  return {
    initials: initialsOf(member.name),
    tint: defaultAvatarIndex(member.id),
    ...(image === undefined ? {} : { image }),
    ...(member.speaking ? { speaking: true } : {})
  }
}

export const VoiceChannelOptions = Schema.Struct({
  channel: DiscordId("voice channel")
})

export const voiceChannel = defineAction({
  name: "voice-channel",
  summary: "Join a voice channel; press again while in it to leave. Shows who is there and who speaks.",
  title: "Voice",
  icon: "voice-channel",
  options: VoiceChannelOptions,
  initial: () => undefined,
  watches: (options) => [options.channel],
  face: (model, options) => {
    const view = channelView(model, options.channel)
    const inIt = model.channel?.id === options.channel
    const members = view === undefined ? [] : [...view.members.values()]
    const count = members.length
    const speaking = members.some((m) => m.speaking)
    return {
      icon: "voice-channel",
      // who is there, in join order; the badge counts everyone
      ...(count > 0 ? { avatars: members.slice(0, MAX_FACE_AVATARS).map((m) => memberAvatar(model, m)) } : {}),
      tone: inIt ? "active" : "neutral",
      label: view?.name ?? "Voice channel",
      ...(view?.guildName ? { sublabel: view.guildName } : {}),
      ...(count > 0 ? { badge: memberBadge(count) } : {}),
      ...(speaking ? { highlight: true } : {})
    }
  },
  handle: (input, { env, options }) =>
    Effect.gen(function*() {
      if (input._tag !== "Press") return
      const model = yield* liveModel(env, "SELECT_VOICE_CHANNEL")
      // leave only from this channel; from anywhere else, move here (deck software always forces, docs/discord-rpc.md#select_voice_channel)
      if (model.channel?.id === options.channel) yield* env.rpc.selectVoiceChannel(null)
      else yield* env.rpc.selectVoiceChannel(options.channel, { force: true })
    })
})

export const leaveCall = defineAction({
  name: "leave-call",
  summary: "Leave the voice channel you are in.",
  title: "Leave",
  icon: "leave-call",
  options: NoOptions,
  initial: () => undefined,
  face: (model) =>
    model.channel === null
      ? { icon: "leave-call", tone: "neutral", label: "Leave", sublabel: "not in a call" }
      : { icon: "leave-call", tone: "muted", label: "Leave", sublabel: model.channel.name },
  handle: (input, { env }) =>
    input._tag === "Press" ? env.rpc.selectVoiceChannel(null).pipe(Effect.asVoid) : Effect.void
})

export const TextChannelOptions = Schema.Struct({
  channel: DiscordId("text channel")
})

export const textChannel = defineAction({
  name: "text-channel",
  summary: "Show a text channel in Discord.",
  title: "Text",
  icon: "text-channel",
  options: TextChannelOptions,
  initial: () => undefined,
  face: () => ({ icon: "text-channel", tone: "neutral", label: "Text channel" }),
  handle: (input, { env, options }) =>
    input._tag === "Press"
      ? env.rpc.selectTextChannel(options.channel).pipe(
        Effect.flatMap((channel) =>
          channel === null
            ? Effect.fail(new ActionError({ action: "text-channel", message: `Discord did not open channel ${options.channel}` }))
            : Effect.void
        )
      )
      : Effect.void
})
