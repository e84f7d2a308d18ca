/**
 * The daemon with its control server: the control socket is bound first (it is the
 * single-instance lock, so a second daemon stops before it touches a deck or Discord), then
 * the daemon with virtual decks beside the USB ones, then the API on the socket and on HTTP.
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer } from "effect"
import { type DaemonOptions, daemonLayer } from "./Daemon.ts"
import { Settings } from "../services/Settings.ts"
import { controlSocketPath } from "../control/paths.ts"
import { controlServerLayer, type RouteLayer, unixServer } from "../control/Server.ts"
import { VirtualDecks } from "../control/VirtualDecks.ts"

export interface ControlledDaemonOptions extends Omit<DaemonOptions, "surfaces"> {
  /** The control socket (default `controlSocketPath()`). */
  readonly socketPath?: string
  /** The HTTP token (default: random per start). */
  readonly token?: string
  /** Routes served beside the control API (the web UI's pages). */
  readonly routes?: ReadonlyArray<RouteLayer>
}

export const controlledDaemonLayer = (options: ControlledDaemonOptions = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const socket = yield* unixServer(options.socketPath ?? controlSocketPath())
    const virtual = yield* Layer.build(VirtualDecks.layer)
    const daemon = daemonLayer({ ...options, surfaces: Context.get(virtual, VirtualDecks).surface })
    const server = Layer.unwrap(Effect.gen(function*() {
      const config = yield* (yield* Settings).config
      return controlServerLayer({
        socket,
        web: config.web,
        ...(options.token === undefined ? {} : { token: options.token }),
        ...(options.routes === undefined ? {} : { routes: options.routes })
      })
    }))
    return server.pipe(Layer.provideMerge(daemon), Layer.provideMerge(Layer.succeedContext(virtual)))
  }))
