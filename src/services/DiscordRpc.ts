/**
 * The Discord RPC client: one supervised connection, requests matched by nonce, a command
 * queue for outages, shared and counted subscriptions, and typed command helpers.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Scope, type Stream } from "effect"
import type {
  AuthenticateResult,
  Channel,
  EventName,
  EventPayload,
  GuildSummary,
  SoundboardSound,
  User,
  VoiceSettings,
  VoiceSettingsPatch
} from "../protocol/Message.ts"
import type { RpcRequestError } from "./RpcErrors.ts"

// ---------------------------------------------------------------------------------------------
// connection state
// ---------------------------------------------------------------------------------------------

/** Why deckcord is not connected, phrased for the user, with the fix where there is one. */
export interface DisconnectReason {
  readonly kind:
    | "NotStarted"
    | "NoDiscord" // no socket accepts: Discord is not running (or not visible from a sandbox)
    | "ArRpcOnly" // only arRPC / Vesktop answered (spec §1.3)
    | "Closed" // Discord sent CLOSE or the socket ended
    | "HandshakeFailed"
    | "AuthenticationFailed"
    | "ProtocolError" // undecodable bytes from the server
  readonly message: string
  readonly hint?: string
  /** Discord's close code, when it sent one. */
  readonly closeCode?: number
}

/** @category models */
export type ConnectionState =
  | { readonly _tag: "Disconnected"; readonly reason: DisconnectReason }
  | { readonly _tag: "Connecting" }
  | { readonly _tag: "Authenticating"; readonly user: User | undefined }
  | {
    readonly _tag: "Ready"
    readonly user: User | undefined
    /** AUTHENTICATE's result; undefined when no authentication was configured. */
    readonly authenticated: AuthenticateResult | undefined
    /** The socket path in use. */
    readonly socketPath: string
  }

// ---------------------------------------------------------------------------------------------
// requests
// ---------------------------------------------------------------------------------------------

/** @category models */
export interface RequestOptions {
  /** How long to wait for the reply once sent (default per command, spec §3.2 / §9). */
  readonly timeoutMillis?: number
  /**
   * How long the command may wait for a connection before it fails with
   * `CommandExpiredError` instead of firing late (default: the layer's `commandDeadline`).
   */
  readonly deadlineMillis?: number
}

/** @category models */
export interface SelectVoiceChannelOptions {
  /** Move even when in another voice channel (deck software always does, spec §5.4). Default true. */
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

// ---------------------------------------------------------------------------------------------
// the service
// ---------------------------------------------------------------------------------------------

export class DiscordRpc extends Context.Service<DiscordRpc, {
  /** The connection state now. */
  readonly state: Effect.Effect<ConnectionState>
  /** The current state, then every change. */
  readonly stateChanges: Stream.Stream<ConnectionState>
  /**
   * Send a command and wait for its reply's `data`. While not Ready it waits in the
   * command queue (in order, bounded, with a deadline).
   */
  readonly request: (
    cmd: string,
    args?: Readonly<Record<string, unknown>>,
    options?: RequestOptions
  ) => Effect.Effect<unknown, RpcRequestError>
  /**
   * Events of one kind, for as long as the calling scope lives. Many local subscribers of
   * the same (evt, args) share one remote SUBSCRIBE; the last one leaving sends UNSUBSCRIBE.
   * Remote subscriptions are sent again after every reconnect.
   */
  readonly subscribe: <E extends EventName>(
    evt: E,
    args?: Readonly<Record<string, unknown>>
  ) => Effect.Effect<Stream.Stream<EventPayload<E>>, never, Scope.Scope>
  /** Drop the current connection and connect again (e.g. after `deckcord auth` stored new tokens). */
  readonly reconnect: Effect.Effect<void>

  // typed helpers for spec §5
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
}>()("deckcord/DiscordRpc") {}
