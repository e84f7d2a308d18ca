/**
 * The daemon with its control server: the control socket is bound first (it is the
 * single-instance lock, so a second daemon stops before it touches a deck or Discord), then
 * the daemon with virtual decks beside the USB ones, then the API on the socket and on HTTP.
 * The server's code (the typed API, its handlers, the web UI) is loaded once the daemon's first
 * connection attempt to Discord has settled (at most `SERVER_WAITS_FOR_DISCORD`), so the decks
 * and the Discord handshake do not share the CPU with it; requests that reach the socket
 * meanwhile wait in its backlog.
 *
 * @since 0.2.0
 */
import { Context, Duration, Effect, FileSystem, Layer, Stream } from "effect"
import * as Os from "node:os"
import * as Path from "node:path"
import { type DaemonOptions, daemonLayer } from "./Daemon.ts"
import { tokenFilePath } from "../config/Config.ts"
import { type ConnectionState, DiscordRpc } from "../discord/DiscordRpc.ts"
import { SECRET_FILE_MODE, Settings, writeFileAtomic } from "../config/Settings.ts"
import { controlSocketPath } from "../control/paths.ts"
import { unixServer } from "../control/ControlSocket.ts"
import type { RouteLayer } from "../control/Server.ts"
import { makeToken } from "../control/token.ts"
import { VirtualDecks } from "../control/VirtualDecks.ts"

export interface ControlledDaemonOptions extends Omit<DaemonOptions, "surfaces"> {
  /** The control socket (default `controlSocketPath()`). */
  readonly socketPath?: string
  /** The HTTP token (default: the one kept beside the OAuth tokens, made on first start). */
  readonly token?: string
  /** Routes served beside the control API (the web UI's pages), or how to load them. */
  readonly routes?: ReadonlyArray<RouteLayer> | (() => Promise<ReadonlyArray<RouteLayer>>)
}

/**
 * The web UI's access token: kept in `web-token` beside the OAuth tokens (0600), so a
 * bookmarked address or a phone's cookie survives a restart; delete the file to change it.
 */
export const webToken = (tokenPath: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const file = Path.join(Path.dirname(tokenPath), "web-token")
    const stored = yield* fs.readFileString(file).pipe(Effect.map((t) => t.trim()), Effect.orElseSucceed(() => ""))
    if (/^[A-Za-z0-9_-]{32,}$/.test(stored)) return stored
    const token = makeToken()
    yield* writeFileAtomic(fs, file, `${token}\n`, { mode: SECRET_FILE_MODE })
    return token
  })

/** How long loading the server waits for the first connection attempt (a Discord that never answers). */
export const SERVER_WAITS_FOR_DISCORD = Duration.seconds(1)

/** Ready, or the first attempt failed (a Discord that is absent, or refuses the token). */
const attemptSettled = (state: ConnectionState) =>
  state._tag === "Ready" || (state._tag === "Disconnected" && state.reason._tag !== "NotStarted")

/** Completes once the first connection attempt in `states` has settled, or after `within`. */
export const firstAttemptSettled = (states: Stream.Stream<ConnectionState>, within: Duration.Input) =>
  states.pipe(Stream.filter(attemptSettled), Stream.runHead, Effect.timeoutOption(within), Effect.asVoid)

export const controlledDaemonLayer = (options: ControlledDaemonOptions = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const socket = yield* unixServer(options.socketPath ?? controlSocketPath())
    const token = options.token ?? (yield* webToken(options.tokenPath ?? tokenFilePath(process.env, Os.homedir())))
    const virtual = yield* Layer.build(VirtualDecks.layer)
    const daemon = daemonLayer({ ...options, surfaces: Context.get(virtual, VirtualDecks).surface })
    const server = Layer.unwrap(Effect.gen(function*() {
      const config = yield* (yield* Settings).config
      yield* firstAttemptSettled((yield* DiscordRpc).stateChanges, SERVER_WAITS_FOR_DISCORD)
      const { controlServerLayer } = yield* Effect.promise(() => import("../control/Server.ts"))
      const routes = typeof options.routes === "function" ? yield* Effect.promise(options.routes) : options.routes
      return controlServerLayer({ socket, web: config.web, token, ...(routes === undefined ? {} : { routes }) })
    }))
    return server.pipe(Layer.provideMerge(daemon), Layer.provideMerge(Layer.succeedContext(virtual)))
  }))
