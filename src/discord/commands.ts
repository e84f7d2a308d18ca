/**
 * The typed commands of the Discord client (docs/discord-rpc.md#voice-commands): their
 * options and the decoding of their replies.
 *
 * @since 0.2.0
 */
import { Effect, Schema } from "effect"
import {
  Channel,
  Channels,
  Guild,
  Guilds,
  type GuildSummary,
  type SoundboardSound,
  SoundboardSounds,
  UserVoiceSettings,
  VoiceSettings,
  type VoiceSettingsPatch
} from "../protocol/Message.ts"
import type { RequestOptions } from "./CommandQueue.ts"
import { ReplyDecodeError, type RpcRequestError } from "./RpcErrors.ts"

/** @category models */
export interface SelectVoiceChannelOptions {
  /** Move even when in another voice channel (deck software always does, docs/discord-rpc.md#select_voice_channel). Default true. */
  readonly force?: boolean
  /** Seconds Discord may wait to learn about the channel, 0–60. Default 10. */
  readonly timeoutSeconds?: number
  readonly navigate?: boolean
}

/** @category models */
export interface UserVoiceSettingsPatch {
  readonly volume?: number
  readonly mute?: boolean
  readonly pan?: { readonly left: number; readonly right: number }
}

export const decodeReply = <S extends Schema.Top & { readonly DecodingServices: never }>(cmd: string, schema: S) =>
(data: unknown): Effect.Effect<S["Type"], ReplyDecodeError> =>
  Schema.decodeUnknownEffect(schema)(data).pipe(
    Effect.mapError((e) => new ReplyDecodeError({ cmd, detail: e.message }))
  ) as Effect.Effect<S["Type"], ReplyDecodeError>

/** The typed commands of `DiscordRpc` (docs/discord-rpc.md#voice-commands). @category models */
export interface DiscordCommands {
  readonly getVoiceSettings: Effect.Effect<VoiceSettings, RpcRequestError>
  readonly setVoiceSettings: (patch: VoiceSettingsPatch, options?: RequestOptions) => Effect.Effect<VoiceSettings, RpcRequestError>
  readonly pushToTalk: (active: boolean, options?: RequestOptions) => Effect.Effect<void, RpcRequestError>
  readonly selectVoiceChannel: (
    channelId: string | null,
    options?: SelectVoiceChannelOptions & RequestOptions
  ) => Effect.Effect<Channel | null, RpcRequestError>
  readonly getSelectedVoiceChannel: Effect.Effect<Channel | null, RpcRequestError>
  readonly selectTextChannel: (
    channelId: string | null,
    options?: { readonly timeoutSeconds?: number } & RequestOptions
  ) => Effect.Effect<Channel | null, RpcRequestError>
  readonly getChannel: (channelId: string) => Effect.Effect<Channel, RpcRequestError>
  readonly getChannels: (guildId?: string) => Effect.Effect<ReadonlyArray<{ id: string; name?: string | null; type?: number }>, RpcRequestError>
  readonly getGuild: (guildId: string) => Effect.Effect<GuildSummary, RpcRequestError>
  readonly getGuilds: Effect.Effect<ReadonlyArray<GuildSummary>, RpcRequestError>
  readonly setUserVoiceSettings: (
    userId: string,
    patch: UserVoiceSettingsPatch,
    options?: RequestOptions
  ) => Effect.Effect<{ user_id: string; volume?: number; mute?: boolean }, RpcRequestError>
  readonly toggleVideo: (options?: RequestOptions) => Effect.Effect<void, RpcRequestError>
  readonly toggleScreenshare: (options?: RequestOptions) => Effect.Effect<void, RpcRequestError>
  readonly getSoundboardSounds: Effect.Effect<ReadonlyArray<SoundboardSound>, RpcRequestError>
  readonly playSoundboardSound: (
    sound: { readonly soundId: string; readonly guildId: string },
    options?: RequestOptions
  ) => Effect.Effect<void, RpcRequestError>
}

/** A client's `request`: send a command, get its reply's `data`. */
export type Request = (
  cmd: string,
  args?: Readonly<Record<string, unknown>>,
  options?: RequestOptions
) => Effect.Effect<unknown, RpcRequestError>

/** The typed commands over a client's `request`: the arguments Discord expects, the replies decoded. */
export const makeCommands = (request: Request): DiscordCommands => {
  const typed = <S extends Schema.Top & { readonly DecodingServices: never }>(
    cmd: string,
    schema: S,
    args: Readonly<Record<string, unknown>> = {},
    options?: RequestOptions
  ) => request(cmd, args, options).pipe(Effect.flatMap(decodeReply(cmd, schema)))

  const NullableChannel = Schema.NullOr(Channel)

  return {
    getVoiceSettings: typed("GET_VOICE_SETTINGS", VoiceSettings),
    setVoiceSettings: (patch, options) =>
      typed("SET_VOICE_SETTINGS", VoiceSettings, patch as Readonly<Record<string, unknown>>, options),
    pushToTalk: (active, options) => request("PUSH_TO_TALK", { active }, options).pipe(Effect.asVoid),
    selectVoiceChannel: (channelId, options = {}) =>
      typed("SELECT_VOICE_CHANNEL", NullableChannel, {
        channel_id: channelId,
        ...(channelId === null ? {} : {
          force: options.force ?? true,
          timeout: options.timeoutSeconds ?? 10,
          ...(options.navigate === undefined ? {} : { navigate: options.navigate })
        })
      }, options),
    getSelectedVoiceChannel: typed("GET_SELECTED_VOICE_CHANNEL", NullableChannel),
    selectTextChannel: (channelId, options = {}) =>
      typed("SELECT_TEXT_CHANNEL", NullableChannel, {
        channel_id: channelId,
        ...(channelId === null ? {} : { timeout: options.timeoutSeconds ?? 10 })
      }, options),
    getChannel: (channelId) => typed("GET_CHANNEL", Channel, { channel_id: channelId }),
    getChannels: (guildId) =>
      typed("GET_CHANNELS", Channels, guildId === undefined ? {} : { guild_id: guildId }).pipe(
        Effect.map((r) => r.channels)
      ),
    getGuild: (guildId) => typed("GET_GUILD", Guild, { guild_id: guildId, timeout: 10 }),
    getGuilds: typed("GET_GUILDS", Guilds).pipe(Effect.map((r) => r.guilds)),
    setUserVoiceSettings: (userId, patch, options) =>
      typed("SET_USER_VOICE_SETTINGS", UserVoiceSettings, { user_id: userId, ...patch }, options),
    toggleVideo: (options) => request("TOGGLE_VIDEO", {}, options).pipe(Effect.asVoid),
    toggleScreenshare: (options) => request("TOGGLE_SCREENSHARE", {}, options).pipe(Effect.asVoid),
    getSoundboardSounds: typed("GET_SOUNDBOARD_SOUNDS", SoundboardSounds),
    playSoundboardSound: ({ guildId, soundId }, options) =>
      request("PLAY_SOUNDBOARD_SOUND", { guild_id: guildId, sound_id: soundId }, options).pipe(Effect.asVoid)
  }
}
