/**
 * The JSON messages carried by IPC frames (docs/discord-rpc.md#handshake-and-ready, docs/discord-rpc.md#requests-and-replies, docs/discord-rpc.md#voice-commands, docs/discord-rpc.md#subscriptions-and-events), as effect Schemas.
 *
 * Decoding is lenient where Discord is inconsistent (docs/discord-rpc.md#lenient-decoding): unknown fields are
 * dropped, most fields are optional, and only what deckcord relies on is required.
 * Pure: no I/O, no services.
 *
 * Over 400 lines because it is one table: the schemas of every message deckcord sends or
 * reads, side by side so the wire format is in one place.
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"

// ---------------------------------------------------------------------------------------------
// outbound
// ---------------------------------------------------------------------------------------------

/** RPC protocol version; only 1 exists (docs/discord-rpc.md#handshake-and-ready). */
export const RPC_VERSION = 1

/** @category outbound */
export const Handshake = Schema.Struct({
  v: Schema.Number,
  client_id: Schema.String
})
/** @category outbound */
export type Handshake = typeof Handshake.Type

/** The HANDSHAKE body. `client_id` is a string: a JS number would lose snowflake precision. */
export const handshake = (clientId: string): Handshake => ({ v: RPC_VERSION, client_id: clientId })

/** @category outbound */
export interface CommandEnvelope {
  readonly cmd: string
  readonly nonce: string
  /** Always present: commands with a required args schema reject a missing one (docs/discord-rpc.md#argument-validation). */
  readonly args: Readonly<Record<string, unknown>>
  /** Only for SUBSCRIBE / UNSUBSCRIBE. */
  readonly evt?: string
}

/** Build the FRAME body of a command. @category outbound */
export const commandEnvelope = (
  cmd: string,
  nonce: string,
  args: Readonly<Record<string, unknown>>,
  evt?: string
): CommandEnvelope => (evt === undefined ? { cmd, args, nonce } : { cmd, args, evt, nonce })

// ---------------------------------------------------------------------------------------------
// shared shapes
// ---------------------------------------------------------------------------------------------

/** What a Discord id (a snowflake) looks like: a decimal string of 17 to 20 digits. */
export const SNOWFLAKE_PATTERN = /^\d{17,20}$/

/** Whether a string is a well-formed Discord id. */
export const isSnowflake = (s: string): boolean => SNOWFLAKE_PATTERN.test(s)

/** @category models */
export const User = Schema.Struct({
  id: Schema.String,
  username: Schema.optionalKey(Schema.String),
  discriminator: Schema.optionalKey(Schema.NullOr(Schema.String)),
  global_name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  avatar: Schema.optionalKey(Schema.NullOr(Schema.String)),
  bot: Schema.optionalKey(Schema.Boolean)
})
/** @category models */
export type User = typeof User.Type

/** The CLOSE body Discord sends before closing the socket (docs/discord-rpc.md#close-codes). @category inbound */
export const ClosePayload = Schema.Struct({
  code: Schema.Number,
  message: Schema.optionalKey(Schema.String)
})
/** @category inbound */
export type ClosePayload = typeof ClosePayload.Type

/** @category inbound */
export const ErrorData = Schema.Struct({
  code: Schema.Number,
  message: Schema.optionalKey(Schema.String)
})

/** READY's data (docs/discord-rpc.md#handshake-and-ready). `user` is present on IPC. @category inbound */
export const ReadyData = Schema.Struct({
  v: Schema.optionalKey(Schema.Number),
  config: Schema.optionalKey(
    Schema.Struct({
      cdn_host: Schema.optionalKey(Schema.String),
      api_endpoint: Schema.optionalKey(Schema.String),
      environment: Schema.optionalKey(Schema.String)
    })
  ),
  user: Schema.optionalKey(User)
})
/** @category inbound */
export type ReadyData = typeof ReadyData.Type

/** arRPC's mock READY user (docs/discord-rpc.md#skipping-arrpc-and-vesktop): such a server has no voice control. */
export const ARRPC_USER_ID = "1045800378228281345"

/** Whether a READY came from arRPC / Vesktop rather than the official client (docs/discord-rpc.md#skipping-arrpc-and-vesktop). */
export const isArRpcReady = (ready: ReadyData): boolean =>
  ready.user?.id === ARRPC_USER_ID || ready.user?.username === "arrpc"

// ---------------------------------------------------------------------------------------------
// inbound envelope
// ---------------------------------------------------------------------------------------------

const Envelope = Schema.Struct({
  cmd: Schema.String,
  evt: Schema.optionalKey(Schema.NullOr(Schema.String)),
  nonce: Schema.optionalKey(Schema.NullOr(Schema.String)),
  data: Schema.optionalKey(Schema.Unknown)
})
const decodeEnvelope = Schema.decodeUnknownResult(Envelope)
const decodeErrorData = Schema.decodeUnknownResult(ErrorData)
const decodeReady = Schema.decodeUnknownResult(ReadyData)

/** An inbound FRAME body, classified by the matching rules of docs/discord-rpc.md#matching-replies. @category inbound */
export type Inbound =
  | { readonly _tag: "Reply"; readonly cmd: string; readonly nonce: string; readonly data: unknown }
  | {
    readonly _tag: "ErrorReply"
    readonly cmd: string
    readonly nonce: string
    readonly code: number
    readonly message: string
  }
  | { readonly _tag: "Ready"; readonly data: ReadyData }
  | { readonly _tag: "Event"; readonly evt: string; readonly data: unknown }
  /** An ERROR not tied to a request (nonce null): log it. */
  | { readonly _tag: "ServerError"; readonly cmd: string; readonly code: number; readonly message: string }

/** An inbound body that is not a Discord message. @category errors */
export class MessageDecodeError extends Schema.TaggedError<MessageDecodeError>()("MessageDecodeError", {
  message: Schema.String
}) {}

const malformed = (what: string, detail: string) =>
  Result.fail(new MessageDecodeError({ message: `malformed ${what} from Discord: ${detail}` }))

/**
 * Classify an inbound FRAME body. A non-null nonce marks a reply (ERROR if `evt` is
 * "ERROR"); otherwise `cmd: "DISPATCH"` is an event, READY included.
 *
 * @category inbound
 */
export const decodeInbound = (payload: unknown): Result.Result<Inbound, MessageDecodeError> => {
  const envelope = decodeEnvelope(payload)
  if (Result.isFailure(envelope)) return malformed("message", envelope.failure.message)
  const { cmd, data, evt, nonce } = envelope.success
  if (evt === "ERROR") {
    const error = decodeErrorData(data)
    if (Result.isFailure(error)) return malformed(`${cmd} error`, error.failure.message)
    const { code, message = "" } = error.success
    return Result.succeed(
      typeof nonce === "string" && nonce.length > 0
        ? { _tag: "ErrorReply", cmd, nonce, code, message }
        : { _tag: "ServerError", cmd, code, message }
    )
  }
  if (typeof nonce === "string" && nonce.length > 0) {
    return Result.succeed({ _tag: "Reply", cmd, nonce, data: data ?? null })
  }
  if (cmd === "DISPATCH" && typeof evt === "string") {
    if (evt === "READY") {
      const ready = decodeReady(data ?? {})
      if (Result.isFailure(ready)) return malformed("READY", ready.failure.message)
      return Result.succeed({ _tag: "Ready", data: ready.success })
    }
    return Result.succeed({ _tag: "Event", evt, data: data ?? null })
  }
  return malformed("message", `neither a reply (no nonce) nor an event (cmd ${JSON.stringify(cmd)})`)
}

// ---------------------------------------------------------------------------------------------
// voice settings (docs/discord-rpc.md#get_voice_settings, docs/discord-rpc.md#set_voice_settings)
// ---------------------------------------------------------------------------------------------

/** @category voice */
export const AudioDevice = Schema.Struct({ id: Schema.String, name: Schema.String })
/** @category voice */
export type AudioDevice = typeof AudioDevice.Type

/** @category voice */
export const VoiceIo = Schema.Struct({
  available_devices: Schema.optionalKey(Schema.Array(AudioDevice)),
  device_id: Schema.optionalKey(Schema.String),
  /** Raw engine value: input 0–100, output 0–200 (docs/discord-rpc.md#get_voice_settings). */
  volume: Schema.optionalKey(Schema.Number)
})

/** @category voice */
export const InputModeType = Schema.Literals(["PUSH_TO_TALK", "VOICE_ACTIVITY"])
/** @category voice */
export type InputModeType = typeof InputModeType.Type

/** @category voice */
export const ShortcutKey = Schema.Struct({
  type: Schema.Number,
  code: Schema.Number,
  name: Schema.optionalKey(Schema.String)
})

/** @category voice */
export const VoiceMode = Schema.Struct({
  type: InputModeType,
  auto_threshold: Schema.optionalKey(Schema.Boolean),
  threshold: Schema.optionalKey(Schema.Number),
  /** An array of key combos (docs/discord-rpc.md#get_voice_settings; some typings wrongly say one object). */
  shortcut: Schema.optionalKey(Schema.Array(ShortcutKey)),
  delay: Schema.optionalKey(Schema.Number)
})

/** GET_VOICE_SETTINGS reply and VOICE_SETTINGS_UPDATE payload. @category voice */
export const VoiceSettings = Schema.Struct({
  input: Schema.optionalKey(VoiceIo),
  output: Schema.optionalKey(VoiceIo),
  mode: Schema.optionalKey(VoiceMode),
  automatic_gain_control: Schema.optionalKey(Schema.Boolean),
  echo_cancellation: Schema.optionalKey(Schema.Boolean),
  noise_suppression: Schema.optionalKey(Schema.Boolean),
  qos: Schema.optionalKey(Schema.Boolean),
  silence_warning: Schema.optionalKey(Schema.Boolean),
  /** Self-deafen. Deafened implies muted even when `mute` reads false (docs/discord-rpc.md#get_voice_settings). */
  deaf: Schema.optionalKey(Schema.Boolean),
  /** Self-mute. */
  mute: Schema.optionalKey(Schema.Boolean)
})
/** @category voice */
export type VoiceSettings = typeof VoiceSettings.Type

/**
 * SET_VOICE_SETTINGS args: only the fields being changed. Never echo a whole settings
 * object back: the server validates keys strictly (docs/discord-rpc.md#argument-validation).
 *
 * @category voice
 */
export interface VoiceSettingsPatch {
  readonly input?: { readonly device_id?: string; readonly volume?: number }
  readonly output?: { readonly device_id?: string; readonly volume?: number }
  readonly mode?: {
    readonly type?: InputModeType
    readonly auto_threshold?: boolean
    readonly threshold?: number
    readonly delay?: number
  }
  readonly automatic_gain_control?: boolean
  readonly echo_cancellation?: boolean
  readonly noise_suppression?: boolean
  readonly qos?: boolean
  readonly silence_warning?: boolean
  readonly deaf?: boolean
  readonly mute?: boolean
}

// ---------------------------------------------------------------------------------------------
// channels, guilds, voice states (docs/discord-rpc.md#voice-commands)
// ---------------------------------------------------------------------------------------------

/** One entry of a channel's `voice_states` and the VOICE_STATE_* payload. @category channels */
export const VoiceStateEntry = Schema.Struct({
  nick: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** Your local mute of this user (not theirs). */
  mute: Schema.optionalKey(Schema.Boolean),
  /** Your local volume for this user, 0–200. */
  volume: Schema.optionalKey(Schema.Number),
  pan: Schema.optionalKey(Schema.Struct({ left: Schema.Number, right: Schema.Number })),
  voice_state: Schema.optionalKey(
    Schema.Struct({
      mute: Schema.optionalKey(Schema.Boolean),
      deaf: Schema.optionalKey(Schema.Boolean),
      self_mute: Schema.optionalKey(Schema.Boolean),
      self_deaf: Schema.optionalKey(Schema.Boolean),
      suppress: Schema.optionalKey(Schema.Boolean)
    })
  ),
  user: User
})
/** @category channels */
export type VoiceStateEntry = typeof VoiceStateEntry.Type

/** Channel types deckcord cares about (docs/discord-rpc.md#get_channel-and-the-channel-object). */
export const ChannelType = { GuildText: 0, DM: 1, GuildVoice: 2, GroupDM: 3, GuildStageVoice: 13 } as const

/** GET_CHANNEL / SELECT_*_CHANNEL / GET_SELECTED_VOICE_CHANNEL reply. @category channels */
export const Channel = Schema.Struct({
  id: Schema.String,
  guild_id: Schema.optionalKey(Schema.NullOr(Schema.String)),
  name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  type: Schema.optionalKey(Schema.Number),
  topic: Schema.optionalKey(Schema.NullOr(Schema.String)),
  bitrate: Schema.optionalKey(Schema.Number),
  user_limit: Schema.optionalKey(Schema.Number),
  position: Schema.optionalKey(Schema.Number),
  voice_states: Schema.optionalKey(Schema.Array(VoiceStateEntry))
})
/** @category channels */
export type Channel = typeof Channel.Type

/** @category channels */
export const ChannelSummary = Schema.Struct({
  id: Schema.String,
  name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  type: Schema.optionalKey(Schema.Number)
})
/** GET_CHANNELS reply. @category channels */
export const Channels = Schema.Struct({ channels: Schema.Array(ChannelSummary) })

/** @category guilds */
export const GuildSummary = Schema.Struct({
  id: Schema.String,
  name: Schema.optionalKey(Schema.String),
  icon_url: Schema.optionalKey(Schema.NullOr(Schema.String))
})
/** @category guilds */
export type GuildSummary = typeof GuildSummary.Type
/** GET_GUILDS reply. @category guilds */
export const Guilds = Schema.Struct({ guilds: Schema.Array(GuildSummary) })
/** GET_GUILD reply. @category guilds */
export const Guild = Schema.Struct({
  id: Schema.String,
  name: Schema.optionalKey(Schema.String),
  icon_url: Schema.optionalKey(Schema.NullOr(Schema.String)),
  vanity_url_code: Schema.optionalKey(Schema.NullOr(Schema.String))
})

/** SET_USER_VOICE_SETTINGS reply: the values in effect afterwards (docs/discord-rpc.md#set_user_voice_settings). @category voice */
export const UserVoiceSettings = Schema.Struct({
  user_id: Schema.String,
  volume: Schema.optionalKey(Schema.Number),
  mute: Schema.optionalKey(Schema.Boolean),
  pan: Schema.optionalKey(Schema.Struct({ left: Schema.Number, right: Schema.Number }))
})

/** One GET_SOUNDBOARD_SOUNDS entry (docs/discord-rpc.md#soundboard). @category soundboard */
export const SoundboardSound = Schema.Struct({
  sound_id: Schema.String,
  guild_id: Schema.optionalKey(Schema.NullOr(Schema.String)),
  name: Schema.optionalKey(Schema.String),
  emoji_name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  volume: Schema.optionalKey(Schema.Number),
  available: Schema.optionalKey(Schema.Boolean)
})
/** @category soundboard */
export type SoundboardSound = typeof SoundboardSound.Type
/** GET_SOUNDBOARD_SOUNDS replies with a bare array. @category soundboard */
export const SoundboardSounds = Schema.Array(SoundboardSound)

// ---------------------------------------------------------------------------------------------
// auth (docs/discord-rpc.md#authorization)
// ---------------------------------------------------------------------------------------------

/** AUTHORIZE reply. @category auth */
export const AuthorizeResult = Schema.Struct({ code: Schema.String })

/** AUTHENTICATE reply: `/oauth2/@me` plus the token. @category auth */
export const AuthenticateResult = Schema.Struct({
  application: Schema.optionalKey(Schema.Struct({ id: Schema.String, name: Schema.optionalKey(Schema.String) })),
  scopes: Schema.optionalKey(Schema.Array(Schema.String)),
  expires: Schema.optionalKey(Schema.String),
  user: Schema.optionalKey(User)
})
/** @category auth */
export type AuthenticateResult = typeof AuthenticateResult.Type

// ---------------------------------------------------------------------------------------------
// events (docs/discord-rpc.md#events-deckcord-follows)
// ---------------------------------------------------------------------------------------------

/** @category events */
export const VoiceChannelSelect = Schema.Struct({
  channel_id: Schema.NullOr(Schema.String),
  guild_id: Schema.optionalKey(Schema.NullOr(Schema.String))
})

/** `pings` are documented as integers but sent as `{time, value}` (docs/discord-rpc.md#voice_connection_status): accept both. */
const Ping = Schema.Union([Schema.Number, Schema.Struct({ time: Schema.Number, value: Schema.Number })])

/** @category events */
export const VoiceConnectionStatus = Schema.Struct({
  /** Tolerate unknown strings (docs/discord-rpc.md#voice_connection_status). */
  state: Schema.String,
  hostname: Schema.optionalKey(Schema.NullOr(Schema.String)),
  pings: Schema.optionalKey(Schema.Array(Ping)),
  average_ping: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  last_ping: Schema.optionalKey(Schema.NullOr(Schema.Number))
})
/** @category events */
export type VoiceConnectionStatus = typeof VoiceConnectionStatus.Type

/** @category events */
export const Speaking = Schema.Struct({
  channel_id: Schema.optionalKey(Schema.NullOr(Schema.String)),
  user_id: Schema.String
})

/** @category events */
export const VideoState = Schema.Struct({ active: Schema.Boolean })

/** @category events */
export const ScreenshareState = Schema.Struct({
  active: Schema.Boolean,
  pid: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  application: Schema.optionalKey(Schema.NullOr(Schema.Struct({ name: Schema.optionalKey(Schema.String) })))
})

/**
 * A desktop notification Discord shows (needs rpc.notifications.read). Only what a key shows
 * is required; the message object is Discord's full message, of which we read the author.
 *
 * @category events
 */
export const NotificationCreate = Schema.Struct({
  channel_id: Schema.String,
  message: Schema.optionalKey(Schema.Struct({
    id: Schema.optionalKey(Schema.String),
    content: Schema.optionalKey(Schema.String),
    author: Schema.optionalKey(User)
  })),
  icon_url: Schema.optionalKey(Schema.NullOr(Schema.String)),
  title: Schema.optionalKey(Schema.String),
  body: Schema.optionalKey(Schema.String)
})
/** @category events */
export type NotificationCreate = typeof NotificationCreate.Type

/** The payload schema of each event deckcord subscribes to. @category events */
export const EventPayloads = {
  VOICE_SETTINGS_UPDATE: VoiceSettings,
  VOICE_CHANNEL_SELECT: VoiceChannelSelect,
  VOICE_CONNECTION_STATUS: VoiceConnectionStatus,
  VOICE_STATE_CREATE: VoiceStateEntry,
  VOICE_STATE_UPDATE: VoiceStateEntry,
  VOICE_STATE_DELETE: VoiceStateEntry,
  SPEAKING_START: Speaking,
  SPEAKING_STOP: Speaking,
  VIDEO_STATE_UPDATE: VideoState,
  SCREENSHARE_STATE_UPDATE: ScreenshareState,
  NOTIFICATION_CREATE: NotificationCreate,
  CURRENT_USER_UPDATE: User
} as const
/** @category events */
export type EventName = keyof typeof EventPayloads
/** @category events */
export type EventPayload<E extends EventName> = (typeof EventPayloads)[E]["Type"]
