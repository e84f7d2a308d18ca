/**
 * One observable model of Discord's voice state, fed by initial fetches and events
 * (spec §5, §6). Keys are pure functions of it, so after a reconnect or a replug they simply
 * re-render. (Model and service shape; the implementation follows below.)
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Scope, type Stream } from "effect"
import type { InputModeType, SoundboardSound, VoiceSettings } from "../protocol/Message.ts"
import type { ConnectionState } from "./DiscordRpc.ts"

/** Someone in a voice channel, as you see them. */
export interface Member {
  readonly id: string
  /** nick, else global name, else username. */
  readonly name: string
  readonly avatar: string | null
  readonly bot: boolean
  readonly selfMute: boolean
  readonly selfDeaf: boolean
  /** Server mute/deaf (by a moderator). */
  readonly serverMute: boolean
  readonly serverDeaf: boolean
  /** Your local mute of them (SET_USER_VOICE_SETTINGS). */
  readonly localMute: boolean
  /** Your local volume for them, 0–200 (100 = normal). */
  readonly localVolume: number
  readonly speaking: boolean
}

/** A voice channel with its live members. */
export interface ChannelView {
  readonly id: string
  readonly guildId: string | null
  readonly name: string
  /** The guild's name, when known (GET_GUILD). */
  readonly guildName: string | null
  readonly type: number
  /** Members by user id, in join order. Includes you when you are in it. */
  readonly members: ReadonlyMap<string, Member>
}

export interface VoiceModel {
  /** The connection as DiscordRpc reports it. */
  readonly connection: ConnectionState
  /** True once the initial fetches after the latest Ready completed; false means stale. */
  readonly synced: boolean
  /** Your own user id, when known. */
  readonly selfId: string | undefined
  /** The latest voice settings (GET_VOICE_SETTINGS / VOICE_SETTINGS_UPDATE). */
  readonly settings: VoiceSettings | undefined
  /** Self mute as Discord means it: deafened implies muted (spec §5.1). */
  readonly muted: boolean
  readonly deafened: boolean
  readonly inputMode: InputModeType | undefined
  /** Push-to-talk currently held by deckcord. */
  readonly talking: boolean
  /** The voice channel you are in, with its members; null when not in one. */
  readonly channel: ChannelView | null
  /** Channels bound to keys (`watchChannel`), with their members, by id. */
  readonly watched: ReadonlyMap<string, ChannelView>
  /** VOICE_CONNECTION_STATUS. */
  readonly voiceConnection: { readonly state: string; readonly averagePing: number | null } | undefined
  readonly video: boolean
  readonly screenshare: boolean
  readonly soundboard: ReadonlyArray<SoundboardSound>
}

export class VoiceState extends Context.Service<VoiceState, {
  readonly get: Effect.Effect<VoiceModel>
  /** The current model, then every change. */
  readonly changes: Stream.Stream<VoiceModel>
  /**
   * Keep a channel's name, guild name and members live in `watched` while the calling scope
   * lives (a voice-channel key shows them even when you are elsewhere).
   */
  readonly watchChannel: (channelId: string) => Effect.Effect<void, never, Scope.Scope>
  /** Record deckcord's own push-to-talk state (Discord sends no event for it). */
  readonly setTalking: (talking: boolean) => Effect.Effect<void>
}>()("deckcord/VoiceState") {}
