/**
 * The connection, as a key shows it: the status action, and the face every other key shows
 * while Discord is unavailable (instead of stale state).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Face, IconName } from "../../face/Face.ts"
import type { VoiceModel } from "../../discord/VoiceState.ts"
import { defineAction, isLive, NoOptions } from "./types.ts"

/** Why keys cannot show Discord's state, in a few words, with the icon for it. */
export interface Unavailable {
  readonly icon: IconName
  /** Two or three words for the status key. */
  readonly label: string
  /** One short word or two for every other key's sublabel. */
  readonly short: string
}

/**
 * Why the model is not live, or undefined when it is. `configured` is false until a client
 * id is configured: then nothing can connect and the user must run `deckcord auth`.
 */
export const unavailability = (model: VoiceModel, configured: boolean): Unavailable | undefined => {
  if (!configured) return { icon: "setup", label: "Set up", short: "deckcord auth" }
  const c = model.connection
  switch (c._tag) {
    case "Ready":
      return model.synced ? undefined : { icon: "disconnected", label: "Syncing", short: "syncing" }
    case "Connecting":
      return { icon: "disconnected", label: "Connecting", short: "connecting" }
    case "Authenticating":
      return { icon: "unauthorized", label: "Signing in", short: "signing in" }
    case "Disconnected":
      switch (c.reason._tag) {
        case "AuthenticationFailed":
          // a token endpoint that is down for a while needs nobody to sign in again
          return c.reason.retrying === true
            ? { icon: "unauthorized", label: "Retrying", short: "retrying" }
            : { icon: "unauthorized", label: "Sign in", short: "deckcord auth" }
        case "NoDiscord":
          return { icon: "disconnected", label: "No Discord", short: "offline" }
        case "ArRpcOnly":
          return { icon: "warning", label: "No voice RPC", short: "unsupported" }
        default:
          return { icon: "disconnected", label: "Offline", short: "offline" }
      }
  }
}

/**
 * What a bound key shows while Discord is unavailable: its own icon and name, dimmed, and why.
 * Before setup only the status key says what to do; every other key stays calm, with no
 * reason of its own, so a first run shows one "Set up" key rather than a wall of them.
 */
export const unavailableFace = (why: Unavailable, title: string, icon?: IconName): Face =>
  why.icon === "setup"
    ? { icon: icon ?? why.icon, tone: "offline", label: title }
    : { icon: icon ?? why.icon, tone: "offline", label: title, sublabel: why.short }

/** What the status key shows while Discord is unavailable: the reason. */
export const statusUnavailableFace = (why: Unavailable): Face => ({
  icon: why.icon,
  tone: why.icon === "warning" || why.icon === "setup" ? "warning" : "offline",
  label: why.label,
  sublabel: why.icon === "setup" ? why.short : "Discord"
})

/** VOICE_CONNECTION_STATUS `state` for a working voice connection (docs/discord-rpc.md#voice_connection_status). */
const VOICE_CONNECTED = "VOICE_CONNECTED"

export const status = defineAction({
  name: "status",
  summary: "Connection to Discord and the voice ping; when disconnected, the reason. Press to retry after a failed authorization.",
  title: "Status",
  icon: "signal",
  options: NoOptions,
  initial: () => undefined,
  face: (model): Face => {
    const why = unavailability(model, true)
    if (why !== undefined) return statusUnavailableFace(why)
    if (model.channel === null) return { icon: "signal", tone: "neutral", label: "Connected", sublabel: "not in a call" }
    const voice = model.voiceConnection
    if (voice?.state === VOICE_CONNECTED) {
      return {
        icon: "signal",
        tone: "active",
        label: voice.averagePing === null ? "Voice" : `${Math.round(voice.averagePing)} ms`,
        sublabel: model.channel.name
      }
    }
    return { icon: "signal", tone: "warning", label: voice?.state.replace(/_/g, " ").toLowerCase() ?? "connecting", sublabel: model.channel.name }
  },
  handle: (input, { env }) =>
    Effect.gen(function*() {
      if (input._tag !== "Press") return
      // while connected a press does nothing: dropping a working connection helps no one.
      // Down, it asks for a reconnect now, cutting any backoff wait short (DiscordRpc.reconnect).
      const model = yield* env.voice.get
      if (!isLive(model)) yield* env.rpc.reconnect
    })
})
