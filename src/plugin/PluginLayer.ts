/**
 * The plugin as one layer: the daemon's Discord stack (client, OAuth flow, token store,
 * voice state) and Controller, over the host's decks instead of HID ones.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Logger, Redacted, Stream } from "effect"
import { checkLayout } from "../control/Layout.ts"
import { layoutScopePolicy, requiredScopes } from "../control/Scopes.ts"
import { Controller } from "../control/Controller.ts"
import { DiscordRpc } from "../discord/DiscordRpc.ts"
import { OAuth } from "../auth/OAuth.ts"
import { OAuthFlow } from "../auth/OAuthFlow.ts"
import { Settings } from "../config/Settings.ts"
import { TokenStore } from "../auth/TokenStore.ts"
import { voiceModelLayer } from "../layers/VoiceModel.ts"
import { discordClientLayer } from "../layers/DiscordClient.ts"
import { HostConnection } from "./HostConnection.ts"
import type { LaunchArgs, RegistrationInfo } from "./HostProtocol.ts"
import { inspectorLayer } from "./Inspector.ts"
import { pluginDeckLayer } from "./PluginSurface.ts"
import { pluginSettingsLayer } from "./PluginSettings.ts"
import { rendererFilesIn, wasmRendererLayer } from "./WasmRenderer.ts"

export interface PluginOptions {
  readonly info: RegistrationInfo
  /** The `.sdPlugin` folder (the host starts the plugin there). */
  readonly pluginDir: string
}

/** A new application id, secret or needed scope takes effect by reconnecting, as in the daemon. */
const reconnectOnCredentialChange = Layer.effectDiscard(
  Effect.gen(function*() {
    const settings = yield* Settings
    const rpc = yield* DiscordRpc
    yield* settings.changes.pipe(
      Stream.map((c) => ({
        clientId: c.clientId,
        secret: c.clientSecret === undefined ? undefined : Redacted.value(c.clientSecret),
        scopes: requiredScopes(c).join(" ")
      })),
      Stream.changesWith((a, b) => a.clientId === b.clientId && a.secret === b.secret && a.scopes === b.scopes),
      Stream.drop(1),
      Stream.runForEach(() => rpc.reconnect),
      Effect.forkScoped
    )
  })
)

/** Longest log line passed to the host (its log is shared by every plugin). */
const HOST_LOG_MAX = 500

/**
 * Warnings and errors also go to the host's own log (`logMessage`): where Elgato's app puts a
 * plugin's stdout is not documented, and that log is where users look. deckcord never logs
 * secrets, so nothing secret reaches it.
 */
export const hostLogLayer = Logger.layer([
  Effect.gen(function*() {
    const host = yield* HostConnection
    return Logger.make((entry) => {
      if (entry.logLevel !== "Warn" && entry.logLevel !== "Error" && entry.logLevel !== "Fatal") return
      const parts = Array.isArray(entry.message) ? entry.message : [entry.message]
      const text = `${entry.logLevel}: ${parts.map(String).join(" ")}`
      Effect.runFork(host.send({ event: "logMessage", payload: { message: text.slice(0, HOST_LOG_MAX) } }))
    })
  })
], { mergeWithExisting: true })

export const pluginLayer = (options: PluginOptions) =>
  Layer.unwrap(
    Effect.gen(function*() {
      const settings = yield* Settings
      const config = yield* settings.config
      const rpc = discordClientLayer(config, settings, OAuthFlow.layer.pipe(Layer.provide(OAuth.layer), Layer.provide(layoutScopePolicy())))
      return Layer.mergeAll(Controller.layer, reconnectOnCredentialChange, inspectorLayer).pipe(
        // members' avatars from Discord's CDN, as the daemon shows them (`avatars: false` turns them off)
        Layer.provideMerge(voiceModelLayer(config)),
        Layer.provideMerge(rpc)
      )
    })
  ).pipe(
    Layer.provideMerge(pluginSettingsLayer),
    Layer.provideMerge(pluginDeckLayer(options.info)),
    Layer.provide(wasmRendererLayer(rendererFilesIn(options.pluginDir))),
    Layer.provide(Layer.mergeAll(Settings.layerWith({ check: checkLayout }), TokenStore.layer))
  )

/**
 * The connection to the host, with deckcord's warnings and errors going to the host's log
 * too. Built first and on its own, so a plugin that cannot start (a broken config file)
 * still says why where the user looks, instead of vanishing.
 */
export const hostLayer = (args: LaunchArgs) => hostLogLayer.pipe(Layer.provideMerge(HostConnection.layer(args)))
