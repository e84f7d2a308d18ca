/**
 * Which optional scope groups a config needs, as the OAuth flow asks it. By default the
 * config's own `scopes`; the composition roots give the layout's policy instead
 * (control/Scopes.ts: a camera key needs "video"), because only control/ can read a layout
 * and auth/ must not depend on it.
 *
 * @since 0.2.0
 */
import { Context, Effect } from "effect"
import type { DeckcordConfig } from "../config/Config.ts"
import { SCOPE_EXTRAS, type ScopeExtra } from "../protocol/Scopes.ts"

/** @category models */
export interface ScopePolicyShape {
  /** The scope groups to authorize for this config, in `SCOPE_EXTRAS` order. */
  readonly extras: (config: DeckcordConfig) => Effect.Effect<ReadonlyArray<ScopeExtra>>
}

/** The config's `scopes` and nothing more: what a stack without a layout needs. */
export const configScopes: ScopePolicyShape = {
  extras: (config) => Effect.succeed(SCOPE_EXTRAS.filter((key) => config.scopes.includes(key)))
}

/** @category references */
export const ScopePolicy = Context.Reference<ScopePolicyShape>("deckcord/ScopePolicy", {
  defaultValue: () => configScopes
})
