/**
 * The daemon as one layer: settings and tokens, the Discord client with deckcord's OAuth
 * flow, the voice-state model, the decks and the controller between them.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Redacted, Stream } from "effect"
import { requiredScopes } from "../services/Config.ts"
import { Controller } from "../services/Controller.ts"
import { Deck } from "../services/Deck.ts"
import { DeckProvider, type DeckProviderShape } from "../services/DeckProvider.ts"
import { DiscordIpc } from "../services/DiscordIpc.ts"
import { DiscordRpc } from "../services/DiscordRpc.ts"
import { KeyRenderer } from "../services/KeyRenderer.ts"
import { OAuth } from "../services/OAuth.ts"
import { OAuthFlow } from "../services/OAuthFlow.ts"
import { Settings, TokenStore } from "../services/Settings.ts"
import { VoiceState } from "../services/VoiceState.ts"

export interface DaemonOptions {
  /** The config file (`--config`); else `$DECKCORD_CONFIG`, else the XDG default. */
  readonly configPath?: string | undefined
  /** The token file; else `$XDG_STATE_HOME/deckcord/tokens.json`. */
  readonly tokenPath?: string | undefined
  /** Where decks come from: real HID (default) or fakes (demos, tests). */
  readonly deckProvider?: Layer.Layer<DeckProvider>
  /** Decks beside the USB ones (virtual decks); see `DeckOptions.surfaces`. */
  readonly surfaces?: DeckProviderShape
}

/**
 * When the application id, secret or needed scopes change in the config (`deckcord auth` ran
 * while the daemon was up, or a camera key was added to the layout), reconnect so they take
 * effect: the OAuth flow then authorizes the missing scopes once.
 */
const reconnectOnCredentialChange = Layer.effectDiscard(
  Effect.gen(function*() {
    const settings = yield* Settings
    const rpc = yield* DiscordRpc
    yield* settings.changes.pipe(
      Stream.map((c) => ({ clientId: c.clientId, secret: c.clientSecret, scopes: requiredScopes(c).join(" ") })),
      Stream.changesWith((a, b) =>
        a.clientId === b.clientId && a.scopes === b.scopes &&
        (a.secret === undefined || b.secret === undefined
          ? a.secret === b.secret
          : Redacted.value(a.secret) === Redacted.value(b.secret))
      ),
      Stream.drop(1),
      Stream.runForEach(() => Effect.logInfo("application settings changed; reconnecting to Discord").pipe(
        Effect.andThen(rpc.reconnect)
      )),
      Effect.forkScoped
    )
  })
)

/** Everything below the settings, configured from the config in force at start. */
const services = (options: DaemonOptions) =>
  Layer.unwrap(
    Effect.gen(function*() {
      const settings = yield* Settings
      const config = yield* settings.config
      const ipc = config.socketPath === undefined
        ? DiscordIpc.layer
        : DiscordIpc.layerWith({ socketPaths: [config.socketPath] })
      const rpc = DiscordRpc.layer({ clientId: settings.config.pipe(Effect.map((c) => c.clientId)) }).pipe(
        Layer.provide(ipc),
        Layer.provide(OAuthFlow.layer.pipe(Layer.provide(OAuth.layer)))
      )
      const deck = Deck.layerWith({
        brightness: config.brightness,
        ...(options.surfaces === undefined ? {} : { surfaces: options.surfaces })
      }).pipe(
        Layer.provide(options.deckProvider ?? DeckProvider.layerNode),
        Layer.provide(KeyRenderer.layer)
      )
      return Layer.mergeAll(Controller.layer, reconnectOnCredentialChange).pipe(
        Layer.provideMerge(VoiceState.layer),
        Layer.provideMerge(rpc),
        Layer.provideMerge(deck)
      )
    })
  )

/**
 * The whole daemon. Fails to build with a `ConfigError` naming the file and the JSON path
 * when the config is invalid: it refuses to start rather than guess.
 */
export const daemonLayer = (options: DaemonOptions = {}) => {
  const files = { configPath: options.configPath, tokenPath: options.tokenPath }
  return services(options).pipe(
    Layer.provideMerge(Layer.mergeAll(Settings.layerWith(files), TokenStore.layerWith(files)))
  )
}
