/**
 * The WebSocket to the Stream Deck host (Elgato's app or OpenDeck): opened with the launch
 * arguments, registered with the first frame, read as a stream of decoded events, written
 * through one serial `send`. Bad frames are logged and skipped, never fatal; when the host
 * goes away `closed` completes, and the plugin exits (hosts start their plugins again).
 *
 * @since 0.1.0
 */
import { type Cause, Context, Deferred, Effect, Layer, Queue, Schema, Stream } from "effect"
import WebSocket from "ws"
import { type Command, decodeIncoming, type HostEvent, type LaunchArgs, registration } from "./HostProtocol.ts"

/** The host could not be reached at all (wrong port, host not running). */
export class HostConnectError extends Schema.TaggedError<HostConnectError>()("HostConnectError", {
  message: Schema.String
}) {}

export interface HostConnectionShape {
  readonly args: LaunchArgs
  /** Every decoded event, in order, for one reader. */
  readonly events: Stream.Stream<HostEvent>
  /**
   * Send a command; dropped (with a debug line) once the socket is closed. Never fails.
   * `wanted` is checked in the same step as the write: a command for an instance that
   * disappeared meanwhile is dropped, never sent late.
   */
  readonly send: (command: Command, wanted?: () => boolean) => Effect.Effect<void>
  /** Completes when the host closed the socket. */
  readonly closed: Effect.Effect<void>
}

export class HostConnection extends Context.Service<HostConnection, HostConnectionShape>()("deckcord/HostConnection") {
  /** Connect to `ws://127.0.0.1:<port>` and register; closed with the scope. */
  static readonly layer = (args: LaunchArgs): Layer.Layer<HostConnection, HostConnectError> =>
    Layer.effect(HostConnection, connect(args))
}

/** Frames a misbehaving host could flood the log with: say it once per kind, then count. */
const MALFORMED_LOG_LIMIT = 20

const connect = (args: LaunchArgs) =>
  Effect.gen(function*() {
    const incoming = yield* Queue.unbounded<HostEvent, Cause.Done>()
    const closed = yield* Deferred.make<void>()
    let malformed = 0

    const socket = yield* Effect.acquireRelease(
      Effect.callback<WebSocket, HostConnectError>((resume) => {
        // 127.0.0.1, not localhost: OpenDeck listens on IPv4 only
        const ws = new WebSocket(`ws://127.0.0.1:${args.port}`)
        let opened = false
        ws.on("open", () => {
          opened = true
          // the registration must be the first frame, before anything else is sent
          ws.send(registration(args))
          resume(Effect.succeed(ws))
        })
        ws.on("message", (data, isBinary) => {
          if (isBinary) return
          const decoded = decodeIncoming(data.toString())
          if (decoded._tag === "Event") Queue.offerUnsafe(incoming, decoded.event)
          else if (decoded._tag === "Malformed" && malformed++ < MALFORMED_LOG_LIMIT) {
            Effect.runFork(Effect.logWarning(`ignoring a malformed message from the Stream Deck host: ${decoded.reason}`))
          }
        })
        ws.on("error", (error) => {
          if (!opened) {
            resume(Effect.fail(new HostConnectError({
              message: `cannot reach the Stream Deck host at 127.0.0.1:${args.port}: ${error.message}`
            })))
          }
        })
        ws.on("close", () => {
          Deferred.doneUnsafe(closed, Effect.void)
          Queue.endUnsafe(incoming)
        })
      }),
      (ws) => Effect.sync(() => ws.close())
    )

    const send = (command: Command, wanted?: () => boolean) =>
      Effect.suspend(() => {
        if (socket.readyState !== WebSocket.OPEN) return Effect.logDebug(`host gone; dropped ${command.event}`)
        if (wanted !== undefined && !wanted()) return Effect.void
        socket.send(JSON.stringify(command))
        return Effect.void
      })

    return HostConnection.of({
      args,
      events: Stream.fromQueue(incoming),
      send,
      closed: Deferred.await(closed)
    })
  })
