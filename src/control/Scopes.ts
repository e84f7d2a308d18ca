/**
 * The scope policy of a layout: which OAuth scopes a config needs once its deck layout is
 * read (a camera key needs the video scopes, a notifications key the notifications scope).
 * It lives here because only control/ can decode a layout; the composition roots hand it
 * to the OAuth flow as its `ScopePolicy`.
 *
 * @since 0.2.0
 */
import { Effect, Layer, Result } from "effect"
import { ScopePolicy } from "../auth/ScopePolicy.ts"
import type { DeckcordConfig } from "../config/Config.ts"
import type { DeckInfo } from "../deck/Deck.ts"
import { oauthScopes, SCOPE_EXTRAS, type ScopeExtra } from "../protocol/Scopes.ts"
import { decodeLayout, scopeExtrasFor } from "./Layout.ts"

/**
 * The scope groups behind `requiredScopes`, in a fixed order: the config's `scopes`,
 * `extra`, and the layout's camera / screen-share / notifications keys (without the user
 * listing them; given the connected decks, only keys those decks have).
 *
 * @category scopes
 */
export const neededScopeExtras = (
  config: Pick<DeckcordConfig, "scopes" | "decks">,
  extra: ReadonlyArray<ScopeExtra> = [],
  decks?: ReadonlyArray<DeckInfo>
): ReadonlyArray<ScopeExtra> => {
  const layout = decodeLayout(config.decks)
  const fromLayout = Result.isSuccess(layout) ? scopeExtrasFor(layout.success, decks) : []
  const wanted = new Set<ScopeExtra>([...config.scopes, ...extra, ...fromLayout])
  return SCOPE_EXTRAS.filter((key) => wanted.has(key))
}

/**
 * The OAuth scopes deckcord requests: one fixed, ordered list. Camera and screenshare
 * scopes only when the config (or `extra`, e.g. from the layout) asks for them, because
 * every scope the app may not grant fails the whole request (docs/discord-rpc.md#scopes-per-command). `decks`: the decks
 * connected, when known, so that a binding none of them has asks for nothing.
 *
 * @category scopes
 */
export const requiredScopes = (
  config: Pick<DeckcordConfig, "scopes" | "decks">,
  extra: ReadonlyArray<ScopeExtra> = [],
  decks?: ReadonlyArray<DeckInfo>
): ReadonlyArray<string> => oauthScopes(neededScopeExtras(config, extra, decks))

/**
 * The OAuth flow's `ScopePolicy` for a config with a layout: every binding counts, or, with
 * `connectedDecks`, only the bindings the decks connected at that moment have.
 *
 * @category layers
 */
export const layoutScopePolicy = (
  connectedDecks?: Effect.Effect<ReadonlyArray<DeckInfo>>
): Layer.Layer<never> =>
  Layer.succeed(ScopePolicy)({
    extras: (config) =>
      connectedDecks === undefined
        ? Effect.succeed(neededScopeExtras(config))
        : Effect.map(connectedDecks, (decks) => neededScopeExtras(config, [], decks))
  })
