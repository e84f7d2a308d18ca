/**
 * deckcord's own settings with the layout replaced by what the host shows. The application
 * id, the secret and everything else stay in deckcord's config file (and the tokens in its
 * 0600 token store); only `decks` comes from the action instances' settings. A changed
 * instance is a changed config, so the Controller re-resolves it as it does a file edit.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Stream, SubscriptionRef } from "effect"
import type { DeckcordConfig } from "../config/Config.ts"
import { Settings } from "../config/Settings.ts"
import { PluginSurface } from "./PluginSurface.ts"

/** Replaces `Settings`; needs the real one (the config file) underneath. */
export const pluginSettingsLayer: Layer.Layer<Settings, never, Settings | PluginSurface> = Layer.effect(
  Settings,
  Effect.gen(function*() {
    const inner = yield* Settings
    const surface = yield* PluginSurface
    const withLayout = (config: DeckcordConfig, decks: unknown): DeckcordConfig => ({ ...config, decks })
    const merged = yield* SubscriptionRef.make(withLayout(yield* inner.config, yield* surface.layout))
    yield* Stream.merge(
      inner.changes.pipe(Stream.map((config) => ({ config }))),
      surface.layoutChanges.pipe(Stream.map((decks) => ({ decks })))
    ).pipe(
      Stream.runForEach((change) =>
        SubscriptionRef.update(merged, (current) =>
          "config" in change ? withLayout(change.config, current.decks) : withLayout(current, change.decks))
      ),
      Effect.forkScoped
    )
    return Settings.of({
      file: inner.file,
      config: SubscriptionRef.get(merged),
      changes: SubscriptionRef.changes(merged),
      saveCredentials: (clientId, secret) =>
        inner.saveCredentials(clientId, secret).pipe(
          Effect.flatMap((config) =>
            SubscriptionRef.updateAndGet(merged, (current) => withLayout(config, current.decks))
          )
        )
    })
  })
)
