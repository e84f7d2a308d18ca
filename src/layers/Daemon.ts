/**
 * The daemon as one layer: settings and tokens, the Discord client with deckcord's OAuth
 * flow, the voice-state model, the decks and the controller between them.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Redacted, Ref, Stream } from "effect"
import { requiredScopes } from "../services/Config.ts"
import { Controller } from "../services/Controller.ts"
import { Deck } from "../services/Deck.ts"
import { DeckProvider } from "../services/DeckProvider.ts"
import { DiscordIpc } from "../services/DiscordIpc.ts"
import { type ConnectionState, DiscordRpc } from "../services/DiscordRpc.ts"
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

/**
 * What a connection state means to someone reading the log, and at which level. States that
 * DiscordRpc already reports itself (connected, lost, failed, not configured) are repeated at
 * debug only; "Discord is not running" is the one it keeps quiet about while it retries, so
 * that one is said here, at info.
 */
export const describeConnectionState = (
  state: ConnectionState
): { readonly key: string; readonly level: "Info" | "Debug"; readonly message: string } => {
  switch (state._tag) {
    case "Connecting":
      return { key: "Connecting", level: "Debug", message: "Discord: connecting" }
    case "Authenticating":
      return {
        key: "Authenticating",
        level: "Debug",
        message: "Discord: answered; authorizing deckcord (if Discord shows a prompt, click Authorize)"
      }
    case "Ready":
      return { key: `Ready ${state.socketPath}`, level: "Debug", message: `Discord: ready at ${state.socketPath}` }
    case "Disconnected": {
      const { reason } = state
      const key = `Disconnected ${reason.kind} ${reason.message}`
      if (reason.kind === "NoDiscord") {
        // "Discord is not running (no IPC socket answered; looked in …)": keep where it looked
        const looked = /looked in ([^)]*)/.exec(reason.message)?.[1]
        const what = looked === undefined ? reason.message : `no socket in ${looked}`
        return {
          key,
          level: "Info",
          message: `waiting for Discord: ${what}; start Discord (for Flatpak or Snap Discord see Troubleshooting in the README)`
        }
      }
      return {
        key,
        level: "Debug",
        message: `Discord: disconnected (${reason.kind}): ${reason.message}${reason.hint ? `; ${reason.hint}` : ""}`
      }
    }
  }
}

/**
 * Log every change of the Discord connection state, once per change: while Discord is away
 * the client retries (Connecting, then "not running" again), and that cycle is one state
 * for the reader, not a line per attempt.
 */
const logConnectionStates = Layer.effectDiscard(
  Effect.gen(function*() {
    const rpc = yield* DiscordRpc
    const lastLogged = yield* Ref.make<string | undefined>(undefined)
    yield* rpc.stateChanges.pipe(
      Stream.runForEach((state) =>
        Effect.gen(function*() {
          if (state._tag === "Disconnected" && state.reason.kind === "NotStarted") return
          const described = describeConnectionState(state)
          const previous = yield* Ref.get(lastLogged)
          if (previous === described.key) return
          // a retry while waiting for Discord is not news
          if (state._tag === "Connecting" && previous?.startsWith("Disconnected NoDiscord")) return
          yield* Ref.set(lastLogged, described.key)
          yield* described.level === "Info" ? Effect.logInfo(described.message) : Effect.logDebug(described.message)
        })
      ),
      Effect.forkScoped
    )
  })
)

/** Said once at start: otherwise an empty deck list looks like deckcord ignoring the deck. */
const reportNoDeckYet = Layer.effectDiscard(
  Effect.gen(function*() {
    const deck = yield* Deck
    const decks = yield* deck.decks
    const status = yield* deck.status
    // an unavailable HID library or permission problem is reported by Deck itself, with its fix
    if (decks.size === 0 && status._tag === "Ok") {
      yield* Effect.logInfo("no Stream Deck connected yet; plug one in, deckcord picks it up while it runs")
    }
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
      const deck = Deck.layerWith({ brightness: config.brightness, ...(config.onExit ? { onExit: config.onExit } : {}) }).pipe(
        Layer.provide(options.deckProvider ?? DeckProvider.layerNode),
        Layer.provide(KeyRenderer.layer)
      )
      return Layer.mergeAll(Controller.layer, reconnectOnCredentialChange, logConnectionStates, reportNoDeckYet).pipe(
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
