/**
 * The daemon as one layer: settings and tokens, the Discord client with deckcord's OAuth
 * flow, the voice-state model, the decks and the controller between them.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Redacted, Ref, Stream } from "effect"
import type { DeckcordConfig } from "../config/Config.ts"
import { checkLayout } from "../control/Layout.ts"
import { layoutScopePolicy, requiredScopes } from "../control/Scopes.ts"
import { Controller } from "../control/Controller.ts"
import { Deck, type DeckInfo } from "../deck/Deck.ts"
import type { DeckProvider, DeckProviderShape } from "../deck/DeckProvider.ts"
import { type ConnectionState, DiscordRpc } from "../discord/DiscordRpc.ts"
import { discordClientLayer } from "./DiscordClient.ts"
import { deckProviderFromEnv } from "./FakeDecksFromEnv.ts"
import { KeyRenderer } from "../face/KeyRenderer.ts"
import { OAuth } from "../auth/OAuth.ts"
import { OAuthFlow } from "../auth/OAuthFlow.ts"
import { Settings } from "../config/Settings.ts"
import { TokenStore } from "../auth/TokenStore.ts"
import { type AvatarSettings, voiceModelLayer } from "./VoiceModel.ts"

export interface DaemonOptions {
  /** The config file (`--config`); else `$DECKCORD_CONFIG`, else the XDG default. */
  readonly configPath?: string | undefined
  /** The token file; else `$XDG_STATE_HOME/deckcord/tokens.json`. */
  readonly tokenPath?: string | undefined
  /** Where decks come from: real HID (default; fakes when `$DECKCORD_FAKE_DECKS` is set) or fakes (tests). */
  readonly deckProvider?: Layer.Layer<DeckProvider>
  /** Decks beside the USB ones (virtual decks); see `DeckOptions.surfaces`. */
  readonly surfaces?: DeckProviderShape
  /** Where members' avatars are fetched from and kept (default: Discord's CDN, `$XDG_CACHE_HOME/deckcord/avatars`). */
  readonly avatars?: AvatarSettings
}

/** The scopes the config needs with the decks that are connected now. */
const scopesFor = (config: DeckcordConfig, decks: ReadonlyMap<string, DeckInfo>) =>
  requiredScopes(config, [], [...decks.values()])

/**
 * The OAuth flow's scope policy: the layout's camera and screen-share keys count only where
 * a connected deck has that key, so an ignored binding asks Discord for nothing.
 */
const scopesOfConnectedDecks = Layer.unwrap(
  Effect.gen(function*() {
    const deck = yield* Deck
    return layoutScopePolicy(Effect.map(deck.decks, (decks) => [...decks.values()]))
  })
)

/**
 * When the application id or secret changes in the config (`deckcord auth` ran while the
 * daemon was up), or a scope becomes needed (a camera key added to the layout, or plugged
 * in on a deck that has it), reconnect so it takes effect: the OAuth flow then authorizes
 * the missing scopes once. A scope no longer needed is no reason to reconnect.
 */
const reconnectOnCredentialChange = Layer.effectDiscard(
  Effect.gen(function*() {
    const settings = yield* Settings
    const deck = yield* Deck
    const rpc = yield* DiscordRpc
    const sameSecret = (a: Redacted.Redacted<string> | undefined, b: Redacted.Redacted<string> | undefined) =>
      a === undefined || b === undefined ? a === b : Redacted.value(a) === Redacted.value(b)
    let previous: { clientId?: string | undefined; secret?: Redacted.Redacted<string> | undefined } | undefined
    // every scope needed so far in this run: a deck unplugged and plugged back in needs
    // nothing new, so it costs no reconnect
    const covered = new Set<string>()
    yield* settings.changes.pipe(
      Stream.zipLatest(deck.deckChanges),
      Stream.runForEach(([config, decks]) => {
        const last = previous
        previous = { clientId: config.clientId, secret: config.clientSecret }
        const gained = scopesFor(config, decks).filter((scope) => !covered.has(scope))
        for (const scope of gained) covered.add(scope)
        if (last === undefined) return Effect.void
        const credentials = last.clientId !== config.clientId || !sameSecret(last.secret, config.clientSecret)
        if (!credentials && gained.length === 0) return Effect.void
        return Effect.logInfo(
          credentials
            ? "application settings changed; reconnecting to Discord"
            : `the layout now needs ${gained.join(", ")}; reconnecting to Discord to authorize ${gained.length === 1 ? "it" : "them"}`
        ).pipe(Effect.andThen(rpc.reconnect))
      }),
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
      const key = `Disconnected ${reason._tag} ${reason.message}`
      if (reason._tag === "NoDiscord") {
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
        message: `Discord: disconnected (${reason._tag}): ${reason.message}${reason.hint ? `; ${reason.hint}` : ""}`
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
          if (state._tag === "Disconnected" && state.reason._tag === "NotStarted") return
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
      const rpc = discordClientLayer(
        config,
        settings,
        OAuthFlow.layer.pipe(Layer.provide(OAuth.layer), Layer.provide(scopesOfConnectedDecks))
      )
      const deck = Deck.layerWith({
        brightness: config.brightness,
        ...(config.onExit ? { onExit: config.onExit } : {}),
        ...(options.surfaces === undefined ? {} : { surfaces: options.surfaces })
      }).pipe(
        Layer.provide(options.deckProvider ?? deckProviderFromEnv()),
        Layer.provide(KeyRenderer.layer)
      )
      return Layer.mergeAll(Controller.layer, reconnectOnCredentialChange, logConnectionStates, reportNoDeckYet).pipe(
        Layer.provideMerge(voiceModelLayer(config, options.avatars)),
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
    Layer.provideMerge(Layer.mergeAll(Settings.layerWith({ ...files, check: checkLayout }), TokenStore.layerWith(files)))
  )
}
