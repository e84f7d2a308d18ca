/**
 * The IPC transport: find a live Discord socket, handshake, and carry frames. PING is
 * answered with PONG here; CLOSE becomes the connection's close reason; arRPC is skipped.
 * It knows nothing about nonces, subscriptions or auth (that is `DiscordRpc`).
 *
 * Built on `node:net` callbacks rather than a pull-based socket: inbound frames are routed
 * synchronously as bytes arrive, so nothing waits for a scheduler tick and nothing polls.
 *
 * @since 0.1.0
 */
import { Context, Deferred, Duration, Effect, Exit, Layer, Schema, type Scope } from "effect"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import { DEFAULT_MAX_FRAME_SIZE, encodeFrame, type Frame, makeFrameDecoder, Opcode } from "../protocol/Frame.ts"
import {
  ClosePayload,
  decodeInbound,
  handshake,
  type Inbound,
  isArRpcReady,
  type ReadyData
} from "../protocol/Message.ts"
import { closeHint, closeName } from "../protocol/RpcError.ts"
import { socketCandidates, type SocketPathEnvironment } from "../protocol/SocketPath.ts"
import type { DisconnectReason } from "./ConnectionState.ts"

// ---------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------

/** No socket accepted a connection: Discord is not running, or not visible from here. */
export class DiscordNotFoundError extends Schema.TaggedError<DiscordNotFoundError>()("DiscordNotFoundError", {
  searched: Schema.Array(Schema.String),
  detail: Schema.String
}) {
  override get message(): string {
    return `Discord is not running (no IPC socket answered; looked in ${this.searched.join(", ")})${
      this.detail ? `: ${this.detail}` : ""
    }`
  }
}

/** Only arRPC / Vesktop answered: they implement no voice commands (docs/discord-rpc.md#skipping-arrpc-and-vesktop, docs/discord-rpc.md#other-rpc-servers). */
export class ArRpcOnlyError extends Schema.TaggedError<ArRpcOnlyError>()("ArRpcOnlyError", {
  paths: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `only arRPC/Vesktop answered (${this.paths.join(", ")}); voice control needs the official Discord ` +
      "desktop client (Stable, PTB or Canary) running alongside"
  }
}

/** Discord closed the socket during the handshake (docs/discord-rpc.md#handshake-and-ready, docs/discord-rpc.md#close-codes). */
export class HandshakeClosedError extends Schema.TaggedError<HandshakeClosedError>()("HandshakeClosedError", {
  path: Schema.String,
  code: Schema.Number,
  detail: Schema.String
}) {
  override get message(): string {
    const hint = closeHint(this.code, this.detail)
    return `Discord closed the connection during the handshake: ${this.code} ${closeName(this.code)} ` +
      `"${this.detail}"${hint ? ` (${hint})` : ""}`
  }
}

/** READY did not come in time (Discord's connect throttle can hold it ~30 s, docs/discord-rpc.md#connection-throttle). */
export class HandshakeTimeoutError extends Schema.TaggedError<HandshakeTimeoutError>()("HandshakeTimeoutError", {
  path: Schema.String,
  timeoutMillis: Schema.Number
}) {
  override get message(): string {
    return `Discord at ${this.path} did not send READY within ${this.timeoutMillis} ms`
  }
}

/** Every way `connect` can fail. */
export type IpcConnectError = DiscordNotFoundError | ArRpcOnlyError | HandshakeClosedError | HandshakeTimeoutError

// ---------------------------------------------------------------------------------------------
// the connection
// ---------------------------------------------------------------------------------------------

/** A live, handshaken connection. Owned by the scope `connect` ran in. */
export interface IpcConnection {
  readonly socketPath: string
  readonly ready: ReadyData
  /** Write a FRAME. Returns false when the socket is already gone (the close reason follows). */
  readonly send: (payload: unknown) => boolean
  /** Completes when the connection ends, with why. */
  readonly closed: Effect.Effect<DisconnectReason>
  /** End the connection now with a polite CLOSE (docs/discord-rpc.md#opcodes). */
  readonly close: Effect.Effect<void>
}

/** @category options */
export interface DiscordIpcOptions {
  /** Where to look; defaults to `process.env` and `process.platform` (docs/discord-rpc.md#finding-the-socket). */
  readonly environment?: SocketPathEnvironment
  /** Exact socket paths to try instead of the computed candidates (config `socketPath`). */
  readonly socketPaths?: ReadonlyArray<string>
  readonly maxFrameSize?: number
  /**
   * How long to wait for READY after HANDSHAKE. Discord queues handshakes beyond two a
   * minute per client id and may hold READY ~30 s (docs/discord-rpc.md#connection-throttle), so the default is generous.
   */
  readonly handshakeTimeout?: Duration.Input
}

/** Discord's own throttle can hold READY ~30 s (docs/discord-rpc.md#connection-throttle): wait a good deal longer. */
export const DEFAULT_HANDSHAKE_TIMEOUT = Duration.seconds(70)

export class DiscordIpc extends Context.Service<DiscordIpc, {
  /**
   * Connect to the first candidate that completes a handshake with the official client,
   * skipping arRPC. `onMessage` receives every inbound FRAME after READY, synchronously.
   */
  readonly connect: (
    clientId: string,
    onMessage: (message: Inbound) => void
  ) => Effect.Effect<IpcConnection, IpcConnectError, Scope.Scope>
  /** The candidate paths that exist right now (for `doctor` and error messages). */
  readonly existingCandidates: Effect.Effect<ReadonlyArray<string>>
}>()("deckcord/DiscordIpc") {
  /** Candidates from the process environment. */
  static readonly layer: Layer.Layer<DiscordIpc> = Layer.sync(DiscordIpc, () => makeDiscordIpc({}))
  /** Explicit options (tests, a configured socket path). */
  static readonly layerWith = (options: DiscordIpcOptions): Layer.Layer<DiscordIpc> =>
    Layer.sync(DiscordIpc, () => makeDiscordIpc(options))
}

// ---------------------------------------------------------------------------------------------
// implementation
// ---------------------------------------------------------------------------------------------

type Attempt =
  | { readonly _tag: "Connected"; readonly connection: IpcConnection; readonly destroy: () => void }
  | { readonly _tag: "Absent"; readonly detail: string } // ENOENT / ECONNREFUSED: a stale or missing socket
  | { readonly _tag: "ArRpc" }

/** The socket refused or vanished before READY (ENOENT / ECONNREFUSED): try the next candidate. */
class SocketAbsent extends Schema.TaggedError<SocketAbsent>()("SocketAbsent", {
  detail: Schema.String
}) {}

const isWindowsPipe = (path: string) => path.startsWith("\\\\")

/** Candidate paths that exist (Windows pipes cannot be checked, so all are kept, docs/discord-rpc.md#windows-named-pipes). */
const existing = (paths: ReadonlyArray<string>): ReadonlyArray<string> => {
  const listings = new Map<string, ReadonlySet<string> | undefined>()
  return paths.filter((path) => {
    if (isWindowsPipe(path)) return true
    const dir = Path.dirname(path)
    if (!listings.has(dir)) {
      try {
        listings.set(dir, new Set(Fs.readdirSync(dir)))
      } catch {
        listings.set(dir, undefined)
      }
    }
    return listings.get(dir)?.has(Path.basename(path)) ?? false
  })
}

/** A readable summary of where we looked, for the "not running" message. */
const searchedDirectories = (paths: ReadonlyArray<string>): ReadonlyArray<string> => {
  const dirs = [...new Set(paths.map((p) => (isWindowsPipe(p) ? "\\\\?\\pipe" : Path.dirname(p))))]
  return dirs.length > 4 ? [...dirs.slice(0, 4), `${dirs.length - 4} more`] : dirs
}

const makeDiscordIpc = (options: DiscordIpcOptions): DiscordIpc["Service"] => {
  const environment: SocketPathEnvironment = options.environment ?? { env: process.env, platform: process.platform }
  const allCandidates = (): ReadonlyArray<string> =>
    options.socketPaths ?? socketCandidates(environment).map((c) => c.path)
  const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
  const handshakeTimeout = Duration.fromInputUnsafe(options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT)
  const handshakeTimeoutMillis = Duration.toMillis(handshakeTimeout)

  const attempt = (
    path: string,
    clientId: string,
    onMessage: (message: Inbound) => void
  ): Effect.Effect<Attempt, HandshakeClosedError | HandshakeTimeoutError> =>
    Effect.suspend(() => {
      const ready = Deferred.makeUnsafe<ReadyData, HandshakeClosedError | SocketAbsent>()
      const closed = Deferred.makeUnsafe<DisconnectReason>()
      const decoder = makeFrameDecoder({ maxFrameSize })
      const socket = Net.createConnection({ path })
      let open = false // READY received: inbound frames go to onMessage
      let closePayload: { code: number; message: string } | undefined
      let failure: DisconnectReason | undefined
      let absentDetail = ""

      const write = (opcode: Opcode, payload: unknown): boolean => {
        if (socket.destroyed || !socket.writable) return false
        socket.write(encodeFrame(opcode, payload))
        return true
      }

      const onFrame = (frame: Frame) => {
        switch (frame.opcode) {
          case Opcode.Ping:
            write(Opcode.Pong, frame.payload) // must echo the body (docs/discord-rpc.md#opcodes)
            return
          case Opcode.Pong:
          case Opcode.Handshake:
            return
          case Opcode.Close: {
            const decoded = Schema.decodeUnknownOption(ClosePayload)(frame.payload)
            closePayload = decoded._tag === "Some"
              ? { code: decoded.value.code, message: decoded.value.message ?? "" }
              : { code: 1000, message: "" }
            if (!open) {
              Deferred.doneUnsafe(
                ready,
                Exit.fail(new HandshakeClosedError({ path, code: closePayload.code, detail: closePayload.message }))
              )
            }
            socket.end() // Discord closes right after; do not wait for it
            return
          }
          case Opcode.Frame: {
            const decoded = decodeInbound(frame.payload)
            if (decoded._tag === "Failure") {
              failure = { _tag: "ProtocolError", message: decoded.failure.message }
              socket.destroy()
              return
            }
            const message = decoded.success
            if (open) return onMessage(message)
            if (message._tag === "Ready") {
              open = true
              Deferred.doneUnsafe(ready, Exit.succeed(message.data))
            }
            return
          }
        }
      }

      socket.on("connect", () => {
        write(Opcode.Handshake, handshake(clientId))
      })
      socket.on("data", (chunk: Buffer) => {
        try {
          const { error, frames } = decoder.push(chunk)
          for (const frame of frames) onFrame(frame)
          if (error) {
            failure = { _tag: "ProtocolError", message: `undecodable bytes from Discord: ${error.message}` }
            socket.destroy()
          }
        } catch (defect) {
          // A bug of ours must not escape a socket callback (that kills the process):
          // it ends this connection with the stack in the reason, and the supervisor reconnects.
          failure = { _tag: "ProtocolError", message: `internal error on bytes from Discord: ${String((defect as Error)?.stack ?? defect)}` }
          socket.destroy()
        }
      })
      socket.on("error", (error: NodeJS.ErrnoException) => {
        if (!open && (error.code === "ENOENT" || error.code === "ECONNREFUSED" || error.code === "ENOTSOCK")) {
          absentDetail = `${path}: ${error.code}`
        } else {
          failure ??= { _tag: "Closed", message: `socket error: ${error.message}` }
        }
      })
      socket.on("close", () => {
        if (!open) {
          Deferred.doneUnsafe(
            ready,
            Exit.fail(
              absentDetail
                ? new SocketAbsent({ detail: absentDetail })
                // the socket accepted and then ended without READY or CLOSE
                : new HandshakeClosedError({ path, code: 1006, detail: "socket ended before READY" })
            )
          )
        }
        const reason: DisconnectReason = failure ??
          (closePayload
            ? {
              _tag: "Closed",
              closeCode: closePayload.code,
              message: `Discord closed the connection: ${closePayload.code} ${closeName(closePayload.code)} ` +
                `"${closePayload.message}"`,
              ...hintOf(closePayload.code, closePayload.message)
            }
            : { _tag: "Closed", message: "Discord closed the connection (it quit, restarted or reloaded)" })
        Deferred.doneUnsafe(closed, Exit.succeed(reason))
      })

      const destroy = () => {
        if (!socket.destroyed) {
          write(Opcode.Close, {})
          socket.end()
          // a peer that never answers our CLOSE must not hold the socket open
          setTimeout(() => socket.destroy(), 250).unref()
        }
      }

      const connectionWith = (readyData: ReadyData): IpcConnection => ({
        socketPath: path,
        ready: readyData,
        send: (payload) => write(Opcode.Frame, payload),
        closed: Deferred.await(closed),
        close: Effect.sync(destroy).pipe(Effect.andThen(Deferred.await(closed)), Effect.asVoid)
      })

      return Deferred.await(ready).pipe(
        Effect.timeoutOrElse({
          duration: handshakeTimeout,
          orElse: () => Effect.fail(new HandshakeTimeoutError({ path, timeoutMillis: handshakeTimeoutMillis }))
        }),
        Effect.map((readyData): Attempt => {
          if (isArRpcReady(readyData)) {
            destroy()
            return { _tag: "ArRpc" }
          }
          return { _tag: "Connected", connection: connectionWith(readyData), destroy }
        }),
        Effect.catchTag("SocketAbsent", (e) => Effect.succeed<Attempt>({ _tag: "Absent", detail: e.detail })),
        Effect.onExit((exit) => (Exit.isSuccess(exit) && exit.value._tag === "Connected" ? Effect.void : Effect.sync(destroy)))
      )
    })

  const connect = (clientId: string, onMessage: (message: Inbound) => void) =>
    Effect.gen(function*() {
      const all = allCandidates()
      const candidates = existing(all)
      const arRpcPaths: Array<string> = []
      const absent: Array<string> = []
      for (const path of candidates) {
        const result = yield* attempt(path, clientId, onMessage)
        switch (result._tag) {
          case "Connected":
            yield* Effect.addFinalizer(() => Effect.sync(result.destroy))
            return result.connection
          case "ArRpc":
            arRpcPaths.push(path)
            continue
          case "Absent":
            absent.push(result.detail)
            continue
        }
      }
      if (arRpcPaths.length > 0) return yield* new ArRpcOnlyError({ paths: arRpcPaths })
      return yield* new DiscordNotFoundError({
        searched: searchedDirectories(all),
        detail: absent.length > 0 ? `stale sockets: ${absent.join(", ")}` : ""
      })
    })

  return {
    connect,
    existingCandidates: Effect.sync(() => existing(allCandidates()))
  }
}

const hintOf = (code: number, message: string): { hint?: string } => {
  const hint = closeHint(code, message)
  return hint === undefined ? {} : { hint }
}
