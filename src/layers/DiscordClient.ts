/**
 * The Discord client as deckcord runs it: over the socket the config names (else the usual
 * ones), authenticated by the given `Authenticator` (deckcord's OAuth flow). The daemon and
 * the SDK plugin build it the same way; this module imports only the Discord side, so the
 * plugin's bundle does not pull in the daemon's renderer or HID decks.
 *
 * @since 0.2.0
 */
import { Effect, Layer } from "effect"
import type { DeckcordConfig } from "../config/Config.ts"
import type { Settings } from "../config/Settings.ts"
import type { Authenticator } from "../discord/Authenticator.ts"
import { DiscordIpc } from "../discord/DiscordIpc.ts"
import { DiscordRpc } from "../discord/DiscordRpc.ts"

export const discordClientLayer = <E, R>(
  config: DeckcordConfig,
  settings: Settings["Service"],
  authenticator: Layer.Layer<Authenticator, E, R>
) =>
  DiscordRpc.layer({ clientId: settings.config.pipe(Effect.map((c) => c.clientId)) }).pipe(
    Layer.provide(config.socketPath === undefined ? DiscordIpc.layer : DiscordIpc.layerWith({ socketPaths: [config.socketPath] })),
    Layer.provide(authenticator)
  )
