/**
 * FakeDiscord's command and event tables: for each command its scope rule (docs/discord-rpc.md#scopes-per-command),
 * its Joi-like argument schema (docs/discord-rpc.md#argument-validation, docs/discord-rpc.md#voice-commands) and its handler; for each event its scope,
 * its subscription-args schema (docs/discord-rpc.md#events-deckcord-follows). Handlers return plain outcomes; the server
 * turns them into replies.
 *
 * Over 400 lines because it is one table: a row per command and per event.
 *
 * @since 0.1.0
 */
import type { FakeAuthority } from "../FakeAuthority.ts"
import * as V from "./validate.ts"
import type { World } from "./world.ts"

/** Every IPC socket holds this scope before any OAuth (docs/discord-rpc.md#scopes-per-command). */
export const LOCAL_SCOPE = "RPC_LOCAL_SCOPE"
/** Added to a socket's scopes once AUTHENTICATE succeeds (docs/discord-rpc.md#authenticate). */
export const AUTHENTICATED_SCOPE = "RPC_AUTHENTICATED_SCOPE"

/** ANY: one listed scope suffices; ALL: every one is needed. */
export type ScopeRule = { readonly any: ReadonlyArray<string> } | { readonly all: ReadonlyArray<string> }

export const hasScope = (scopes: ReadonlySet<string>, rule: ScopeRule | undefined): boolean =>
  rule === undefined ||
  ("any" in rule ? rule.any.some((s) => scopes.has(s)) : rule.all.every((s) => scopes.has(s)))

/** @category models */
export type AuthorizeBehavior = "approve" | "deny" | "hang"

/** The per-socket facts a handler reads and writes. */
export interface CommandConn {
  readonly clientId: string
  readonly scopes: Set<string>
  authing: boolean
  token: string | undefined
}

export interface AuthConfig {
  readonly authority: FakeAuthority
  readonly grantableScopes: ReadonlySet<string>
  readonly behavior: () => AuthorizeBehavior
  readonly applicationName: string
}

export interface CommandContext {
  readonly conn: CommandConn
  readonly world: World
  readonly auth: AuthConfig
}

export type Outcome =
  | { readonly _tag: "Ok"; readonly data: unknown }
  | { readonly _tag: "Err"; readonly code: number; readonly message: string }
  /** Never answer (AUTHORIZE that nobody clicks). */
  | { readonly _tag: "Hang" }
  /** Answer later; `start` returns a canceller, run if the socket closes first. */
  | { readonly _tag: "Later"; readonly start: (done: (outcome: Outcome) => void) => () => void }

const ok = (data: unknown): Outcome => ({ _tag: "Ok", data })
const err = (code: number, message: string): Outcome => ({ _tag: "Err", code, message })
const HANG: Outcome = { _tag: "Hang" }

/** Resolve after `seconds` unless the socket closes first (Discord's `storeWait`, docs/discord-rpc.md#select_voice_channel). */
const waitThenFail = (seconds: number, code: number, message: string): Outcome => ({
  _tag: "Later",
  start: (done) => {
    const timer = setTimeout(() => done(err(code, message)), seconds * 1000)
    return () => clearTimeout(timer)
  }
})

export interface Command {
  readonly scope?: ScopeRule
  readonly args?: V.Check
  /** A `.required()` args schema: a request without `args` fails (docs/discord-rpc.md#argument-validation). */
  readonly argsRequired?: boolean
  readonly run: (ctx: CommandContext, args: Record<string, unknown>) => Outcome
}

/** Scopes a fake application may be granted by default: the OAuth2 scopes an RPC app can ask for. */
export const DEFAULT_GRANTABLE_SCOPES: ReadonlyArray<string> = [
  "identify",
  "email",
  "guilds",
  "guilds.members.read",
  "guilds.channels.read",
  "connections",
  "messages.read",
  "dm_channels.read",
  "rpc",
  "rpc.voice.read",
  "rpc.voice.write",
  "rpc.video.read",
  "rpc.video.write",
  "rpc.screenshare.read",
  "rpc.screenshare.write",
  "rpc.activities.write",
  "rpc.notifications.read"
]

const RPC = "rpc"
const VOICE_READ: ScopeRule = { any: [RPC, "rpc.voice.read"] }
const VOICE_WRITE: ScopeRule = { any: [RPC, "rpc.voice.write"] }
const RPC_ONLY: ScopeRule = { any: [RPC] }

const MODE_TYPES = ["PUSH_TO_TALK", "VOICE_ACTIVITY"] as const
const SHORTCUT_KEY_TYPES = [0, 1, 2, 3] as const

const voiceSettingsArgs = V.object({
  input: V.object({ device_id: V.string, volume: V.number({ min: 0, max: 100 }) }),
  output: V.object({ device_id: V.string, volume: V.number({ min: 0, max: 200 }) }),
  mode: V.object({
    type: V.oneOf(MODE_TYPES),
    auto_threshold: V.boolean,
    threshold: V.number({ min: -100, max: 0 }),
    shortcut: V.array(V.object({ type: V.required(V.oneOf(SHORTCUT_KEY_TYPES)), code: V.required(V.number()), name: V.string })),
    delay: V.number({ min: 0, max: 2000 })
  }),
  automatic_gain_control: V.boolean,
  echo_cancellation: V.boolean,
  noise_suppression: V.boolean,
  qos: V.boolean,
  silence_warning: V.boolean,
  deaf: V.boolean,
  mute: V.boolean
})

const deviceError = (
  label: string,
  requested: unknown,
  devices: ReadonlyArray<{ readonly id: string }>
): string | undefined =>
  requested === undefined || devices.some((d) => d.id === requested)
    ? undefined
    : `"${label}" must be one of [${devices.map((d) => d.id).join(", ")}]`

const selectChannelArgs = (extra: Record<string, V.Check>) =>
  V.object({ channel_id: V.nullable(V.string), timeout: V.number({ min: 0, max: 60 }), ...extra })

const invalidChannel = (id: unknown) => err(4005, `Invalid channel id: ${String(id)}`)

export const COMMANDS: Readonly<Record<string, Command>> = {
  GET_VOICE_SETTINGS: {
    scope: VOICE_READ,
    run: ({ world }) => ok(world.voiceSettings())
  },
  SET_VOICE_SETTINGS: {
    scope: VOICE_WRITE,
    args: voiceSettingsArgs,
    argsRequired: true,
    run: ({ world }, args) => {
      const current = world.voiceSettings()
      const input = args["input"] as { device_id?: string } | undefined
      const output = args["output"] as { device_id?: string } | undefined
      const bad = deviceError("input.device_id", input?.device_id, current.input.available_devices) ??
        deviceError("output.device_id", output?.device_id, current.output.available_devices)
      if (bad !== undefined) return err(4000, bad)
      world.patchVoiceSettings(args)
      return ok(world.voiceSettings())
    }
  },
  PUSH_TO_TALK: {
    scope: { all: [RPC, "rpc.voice.write"] },
    args: V.object({ active: V.required(V.boolean) }),
    argsRequired: true,
    run: ({ world }, args) => {
      // Only has an effect in push-to-talk mode (docs/discord-rpc.md#push_to_talk).
      world.pushToTalkActive = world.voiceSettings().mode.type === "PUSH_TO_TALK" && args["active"] === true
      return ok(null)
    }
  },
  SELECT_VOICE_CHANNEL: {
    scope: RPC_ONLY,
    args: selectChannelArgs({ force: V.boolean, navigate: V.boolean }),
    argsRequired: true,
    run: ({ world }, args) => {
      const id = args["channel_id"] as string | null | undefined
      if (id === undefined || id === null || id === "") {
        world.moveSelf(null)
        return ok(null)
      }
      const current = world.selectedVoiceChannelId
      if (current !== null && current !== id && args["force"] !== true) {
        return err(5003, "User is already joined to a voice channel.")
      }
      const channel = world.channels.get(id)
      if (channel === undefined) {
        const timeout = (args["timeout"] as number | undefined) ?? 0
        return timeout === 0
          ? invalidChannel(id)
          : waitThenFail(timeout, 5001, "Request to select voice channel timed out.")
      }
      if (!world.isVoiceType(channel.type)) return err(4005, "Channel is not a voice channel")
      if (
        current !== id && channel.user_limit > 0 && world.memberCount(id) >= channel.user_limit
      ) return err(4005, "Channel is full")
      world.moveSelf(id)
      return ok(world.channelObject(channel))
    }
  },
  GET_SELECTED_VOICE_CHANNEL: {
    scope: VOICE_READ,
    run: ({ world }) => {
      const id = world.selectedVoiceChannelId
      const channel = id === null ? undefined : world.channels.get(id)
      return ok(channel === undefined ? null : world.channelObject(channel))
    }
  },
  SELECT_TEXT_CHANNEL: {
    scope: RPC_ONLY,
    args: selectChannelArgs({}),
    argsRequired: true,
    run: ({ world }, args) => {
      const id = args["channel_id"] as string | null | undefined
      if (id === undefined || id === null || id === "") {
        world.selectedTextChannelId = null
        return ok(null)
      }
      const channel = world.channels.get(id)
      if (channel === undefined) {
        const timeout = (args["timeout"] as number | undefined) ?? 0
        return timeout === 0
          ? invalidChannel(id)
          : waitThenFail(timeout, 5001, "Request to select text channel timed out.")
      }
      if (!world.isTextChannel(channel.type)) return err(4005, "Channel is not a text channel")
      world.selectedTextChannelId = id
      return ok(world.channelObject(channel))
    }
  },
  GET_CHANNEL: {
    scope: { any: [RPC, "guilds", "guilds.channels.read"] },
    run: ({ world }, args) => {
      const channel = world.channels.get(args["channel_id"] as string)
      return channel === undefined ? invalidChannel(args["channel_id"]) : ok(world.channelObject(channel))
    }
  },
  GET_CHANNELS: {
    scope: RPC_ONLY,
    run: ({ world }, args) => {
      const guildId = args["guild_id"]
      if (guildId && !world.guilds.has(guildId as string)) return err(4003, `Invalid guild id: ${String(guildId)}`)
      const channels = Array.from(world.channels.values())
        .filter((c) => !guildId || c.guild_id === guildId)
        .map((c) => ({ id: c.id, name: c.name, type: c.type }))
      return ok({ channels })
    }
  },
  GET_GUILDS: {
    scope: RPC_ONLY,
    run: ({ world }) => ok({ guilds: Array.from(world.guilds.values(), (g) => world.guildSummary(g)) })
  },
  GET_GUILD: {
    scope: RPC_ONLY,
    args: V.object({ guild_id: V.required(V.string), timeout: V.number({ min: 0, max: 60 }) }),
    argsRequired: true,
    run: ({ world }, args) => {
      const guild = world.guilds.get(args["guild_id"] as string)
      if (guild === undefined) {
        const timeout = (args["timeout"] as number | undefined) ?? 0
        return timeout === 0
          ? err(4003, `Invalid guild id: ${String(args["guild_id"])}`)
          : waitThenFail(timeout, 5002, "Request to get guild timed out.")
      }
      return ok({ id: guild.id, name: guild.name, icon_url: guild.icon_url, members: [], vanity_url_code: guild.vanity_url_code })
    }
  },
  SET_USER_VOICE_SETTINGS: {
    scope: VOICE_WRITE,
    args: V.object({
      user_id: V.required(V.string),
      volume: V.number({ min: 0, max: 200 }),
      mute: V.boolean,
      pan: V.object({ left: V.required(V.number({ min: 0, max: 1 })), right: V.required(V.number({ min: 0, max: 1 })) })
    }),
    argsRequired: true,
    run: ({ world }, args) => {
      const userId = args["user_id"] as string
      if (userId === world.user.id || !world.knowsUser(userId)) return err(4010, "Invalid user id")
      const patch: { volume?: number; mute?: boolean; pan?: { left: number; right: number } } = {}
      if (args["volume"] !== undefined) patch.volume = args["volume"] as number
      if (args["mute"] !== undefined) patch.mute = args["mute"] as boolean
      if (args["pan"] !== undefined) patch.pan = args["pan"] as { left: number; right: number }
      const next = world.setUserSettings(userId, patch)
      return ok({ user_id: userId, pan: next.pan, volume: next.volume, mute: next.mute })
    }
  },
  TOGGLE_VIDEO: {
    scope: { all: [RPC, "rpc.video.write"] },
    run: ({ world }) => {
      if (world.selectedVoiceChannelId !== null) world.setVideo(!world.video)
      return ok(null)
    }
  },
  TOGGLE_SCREENSHARE: {
    scope: { all: [RPC, "rpc.screenshare.write"] },
    args: V.object({ pid: V.number({ min: 0, integer: true }) }),
    run: ({ world }, args) => {
      if (world.selectedVoiceChannelId !== null) {
        const pid = args["pid"] as number | undefined
        world.setScreenshare(!world.screenshare.active, pid ?? null, pid === undefined ? null : { name: `Process ${pid}` })
      }
      return ok(null)
    }
  },
  GET_SOUNDBOARD_SOUNDS: {
    scope: { any: [RPC, LOCAL_SCOPE] },
    run: ({ world }) => ok(world.sounds)
  },
  PLAY_SOUNDBOARD_SOUND: {
    scope: { all: [RPC, "rpc.voice.write"] },
    args: V.object({ guild_id: V.required(V.string), sound_id: V.required(V.string) }),
    argsRequired: true,
    run: ({ world }, args) => {
      if (world.selectedVoiceChannelId === null) return err(4005, "Invalid Channel.")
      const sound = world.sounds.find((s) => s.sound_id === args["sound_id"] && s.guild_id === args["guild_id"])
      if (sound === undefined || !sound.available) return err(4018, "Invalid Sound.")
      world.soundsPlayed.push({ guild_id: sound.guild_id, sound_id: sound.sound_id })
      return ok(null)
    }
  },
  SET_ACTIVITY: {
    scope: { any: [LOCAL_SCOPE, "rpc.activities.write"] },
    run: (_ctx, args) => ok(args["activity"] ?? null)
  },
  AUTHORIZE: {
    run: ({ auth, conn }, args) => {
      if (conn.scopes.has(AUTHENTICATED_SCOPE)) return err(4002, "Already authenticated")
      if (conn.authing) return err(4002, "Already authing")
      if (args["client_id"] !== conn.clientId) return err(4007, "Application does not match the connection's")
      if (args["response_type"] === "token") return err(4002, "Unsupported response_type: token")
      if (args["redirect_uri"] !== undefined) {
        return err(5000, "Redirect URI cannot be used in the RPC OAuth2 Authorization flow")
      }
      const raw = args["scopes"] ?? (typeof args["scope"] === "string" ? args["scope"].split(" ") : undefined)
      const scopes = Array.isArray(raw) ? raw.filter((s): s is string => typeof s === "string" && s.length > 0) : []
      if (scopes.length === 0 || scopes.some((s) => !auth.grantableScopes.has(s))) {
        return err(5000, "OAuth2 Error: invalid_scope: The requested scope is invalid, unknown, or malformed.")
      }
      const refusal = auth.authority.refuseAuthorize?.(conn.clientId, scopes)
      if (refusal !== undefined) return err(5000, refusal)
      switch (auth.behavior()) {
        case "deny":
          return err(5000, "OAuth2 Error: access_denied: The resource owner or authorization server denied the request")
        case "hang":
          conn.authing = true
          return HANG
        case "approve":
          return ok({ code: auth.authority.issueCode(conn.clientId, scopes, { prompt: args["prompt"] }) })
      }
    }
  },
  AUTHENTICATE: {
    run: ({ auth, conn, world }, args) => {
      if (conn.scopes.has(AUTHENTICATED_SCOPE)) return err(4002, "Already authenticated")
      if (conn.authing) return err(4002, "Already authing")
      const token = args["access_token"]
      if (typeof token !== "string" || token.length === 0) return err(4009, "No access token provided")
      const check = auth.authority.checkAccessToken(conn.clientId, token)
      // The real message echoes the token: clients must redact it (docs/discord-rpc.md#authenticate).
      if (!check.ok) return err(4009, `Invalid access token: ${token}`)
      for (const scope of check.scopes) conn.scopes.add(scope)
      conn.scopes.add(AUTHENTICATED_SCOPE)
      conn.token = token
      return ok({
        application: { id: conn.clientId, name: auth.applicationName, icon: null, description: "", rpc_origins: [] },
        scopes: check.scopes,
        expires: check.expires,
        user: world.user,
        access_token: token
      })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// events (docs/discord-rpc.md#events-deckcord-follows)
// ---------------------------------------------------------------------------------------------

export interface EventSpec {
  readonly scope: ScopeRule
  /** Subscription args schema; absent = any args. */
  readonly args?: V.Check
}

const channelBound: EventSpec = { scope: VOICE_READ, args: V.object({ channel_id: V.required(V.string) }) }
const speaking: EventSpec = {
  scope: { any: [RPC, "rpc.voice.read", LOCAL_SCOPE] },
  args: V.object({ channel_id: V.nullable(V.string), lobby_id: V.nullable(V.string) })
}

export const EVENTS: Readonly<Record<string, EventSpec>> = {
  VOICE_SETTINGS_UPDATE: { scope: VOICE_READ },
  VOICE_CONNECTION_STATUS: { scope: VOICE_READ },
  VOICE_CHANNEL_SELECT: { scope: RPC_ONLY },
  VOICE_STATE_CREATE: channelBound,
  VOICE_STATE_UPDATE: channelBound,
  VOICE_STATE_DELETE: channelBound,
  SPEAKING_START: speaking,
  SPEAKING_STOP: speaking,
  VIDEO_STATE_UPDATE: { scope: { all: [LOCAL_SCOPE, "rpc.video.read"] } },
  SCREENSHARE_STATE_UPDATE: { scope: { all: [LOCAL_SCOPE, "rpc.screenshare.read"] } },
  NOTIFICATION_CREATE: { scope: { all: [RPC, "rpc.notifications.read"] } },
  GUILD_STATUS: { scope: RPC_ONLY, args: V.object({ guild_id: V.required(V.string) }) },
  GUILD_CREATE: { scope: RPC_ONLY },
  CHANNEL_CREATE: { scope: RPC_ONLY },
  CURRENT_USER_UPDATE: { scope: { any: [LOCAL_SCOPE, "identify"] } }
}
