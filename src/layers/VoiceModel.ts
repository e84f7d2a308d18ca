/**
 * The voice-state model as the daemon builds it: `VoiceState` over the Discord client, with
 * members' avatars fetched from Discord's CDN (`Avatars`, `withAvatars`) unless the config
 * says `avatars: false`, in which case nothing is fetched and faces show initials.
 *
 * @since 0.3.0
 */
import { type FileSystem, Layer, type Path } from "effect"
import * as Os from "node:os"
import { nodeHttpClientOnFirstUse } from "../auth/OAuth.ts"
import { avatarCacheDir, type AvatarOptions, Avatars, withAvatars } from "../discord/Avatars.ts"
import type { DiscordRpc } from "../discord/DiscordRpc.ts"
import { VoiceState } from "../discord/VoiceState.ts"

/** Another CDN for avatars (a mirror, a caching proxy, a fake in tests); the daemon's and the plugin's. */
export const AVATAR_CDN_ENV = "DECKCORD_AVATAR_CDN"

/** Where avatars come from and go; every field has a default. */
export type AvatarSettings = Partial<AvatarOptions>

/** The model, with avatars unless `config.avatars` is false. */
export const voiceModelLayer = (
  config: { readonly avatars?: boolean | undefined },
  settings: AvatarSettings = {}
): Layer.Layer<VoiceState, never, DiscordRpc | FileSystem.FileSystem | Path.Path> => {
  if (config.avatars === false) return VoiceState.layer
  const mirror = process.env[AVATAR_CDN_ENV]
  const avatars = Avatars.layer({
    cacheDir: avatarCacheDir(process.env, Os.homedir()),
    ...(mirror === undefined || mirror === "" ? {} : { baseUrl: mirror }),
    ...settings
  }).pipe(
    // its own agent: a few pictures at once over kept-alive connections, apart from OAuth's
    // one; built with the first fetch, so a run that shows no avatar never starts TLS
    Layer.provide(nodeHttpClientOnFirstUse({ keepAlive: true, maxSockets: settings.concurrency ?? 4 }))
  )
  return withAvatars.pipe(Layer.provide(VoiceState.layer), Layer.provide(avatars))
}
