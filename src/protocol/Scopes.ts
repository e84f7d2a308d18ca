/**
 * Discord's OAuth scopes as deckcord asks for them: the base set every session needs, the
 * optional groups (camera, screen share, notifications) and which command or event needs
 * which group (docs/discord-rpc.md#scopes-per-command). Pure data: the config names groups,
 * the actions declare them, and the OAuth flow turns them into the scope list.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Optional features that need extra OAuth scopes (docs/discord-rpc.md#scopes-per-command), in
 * the order they are requested: a constant order avoids re-prompts.
 */
export const SCOPE_EXTRAS = ["video", "screenshare", "notifications"] as const

/** Optional features that need extra OAuth scopes (docs/discord-rpc.md#scopes-per-command). @category schema */
export const ScopeExtra = Schema.Literals(SCOPE_EXTRAS)
/** @category schema */
export type ScopeExtra = typeof ScopeExtra.Type

/** Always requested, in this order (docs/discord-rpc.md#scopes-per-command; a constant order avoids re-prompts, docs/discord-rpc.md#authorization-pitfalls). */
export const BASE_SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"] as const

const EXTRA_SCOPES: Record<ScopeExtra, ReadonlyArray<string>> = {
  video: ["rpc.video.read", "rpc.video.write"],
  screenshare: ["rpc.screenshare.read", "rpc.screenshare.write"],
  notifications: ["rpc.notifications.read"]
}

/**
 * The scope list for the base scopes plus these groups, in one fixed order whatever order the
 * groups come in: every scope the app may not grant fails the whole request
 * (docs/discord-rpc.md#scopes-per-command), so only the groups asked for are added.
 *
 * @category scopes
 */
export const oauthScopes = (extras: Iterable<ScopeExtra>): ReadonlyArray<string> => {
  const wanted = new Set(extras)
  const scopes: Array<string> = [...BASE_SCOPES]
  for (const key of SCOPE_EXTRAS) {
    if (wanted.has(key)) scopes.push(...EXTRA_SCOPES[key])
  }
  return scopes
}

/**
 * The scope group a command or event needs beyond the base scopes (docs/discord-rpc.md#scopes-per-command), if any: what
 * to add when Discord refuses it for lack of scope.
 *
 * @category scopes
 */
export const scopeExtraFor = (cmd: string, evt?: string): ScopeExtra | undefined => {
  const name = cmd === "SUBSCRIBE" || cmd === "UNSUBSCRIBE" ? evt : cmd
  switch (name) {
    case "TOGGLE_VIDEO":
    case "VIDEO_STATE_UPDATE":
      return "video"
    case "TOGGLE_SCREENSHARE":
    case "SCREENSHARE_STATE_UPDATE":
      return "screenshare"
    case "NOTIFICATION_CREATE":
      return "notifications"
    default:
      return undefined
  }
}
