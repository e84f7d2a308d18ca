/**
 * The Discord RPC client: the service, and the supervisor that keeps one connection up
 * (connect, authenticate, replay subscriptions, reconnect with backoff). Its parts have their
 * own modules: requests and the command queue (`CommandQueue`), subscriptions
 * (`Subscriptions`), the typed commands (`commands`) and the backoff (`Reconnect`).
 *
 * Over 400 lines because the supervisor is one loop over one connection's life: dial,
 * authenticate, replay, serve, and decide when to try again.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Context, Deferred, Duration, Effect, Exit, FiberSet, Layer, Queue, Schema, type Scope, Stream, SubscriptionRef } from "effect"
import type { EventName, EventPayload, Inbound } from "../protocol/Message.ts"
import { closeHint, CloseCode, isMissingScope } from "../protocol/RpcError.ts"
import { type AuthenticationError, authenticationHint, Authenticator } from "./Authenticator.ts"
import {
  type Connection,
  DEFAULT_COMMAND_DEADLINE,
  DEFAULT_QUEUE_CAPACITY,
  DEFAULT_REQUEST_TIMEOUT,
  makeCommandQueue,
  millisOf,
  type RequestOptions
} from "./CommandQueue.ts"
import { type DiscordCommands, makeCommands } from "./commands.ts"
import type { ConnectionState, DisconnectReason } from "./ConnectionState.ts"
import { DiscordIpc, type IpcConnectError } from "./DiscordIpc.ts"
import { backoffDelay, type ReconnectOptions, reconnectMillis, STABLE_CONNECTION } from "./Reconnect.ts"
import { redactTokens, RpcCommandError, type RpcRequestError } from "./RpcErrors.ts"
import { DEFAULT_SUBSCRIBER_BUFFER, makeSubscriptions } from "./Subscriptions.ts"

// the client's vocabulary, where its users have always found it
export type { ConnectionState, DisconnectReason } from "./ConnectionState.ts"
export {
  AUTHORIZE_TIMEOUT,
  CommandDeadline,
  type Deadline,
  deadlineFrom,
  DEFAULT_COMMAND_DEADLINE,
  DEFAULT_QUEUE_CAPACITY,
  DEFAULT_REQUEST_TIMEOUT,
  type RequestOptions
} from "./CommandQueue.ts"
export type { DiscordCommands, SelectVoiceChannelOptions, UserVoiceSettingsPatch } from "./commands.ts"
export {
  backoffDelay,
  DEFAULT_RECONNECT,
  reconnectSchedules,
  type ReconnectOptions,
  STABLE_CONNECTION
} from "./Reconnect.ts"
export { DEFAULT_SUBSCRIBER_BUFFER, subscriptionKey } from "./Subscriptions.ts"

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/** @category models */
export interface RpcStats {
  /** Requests sent and awaiting their reply. */
  readonly pendingRequests: number
  /** Commands waiting for a connection. */
  readonly queuedCommands: number
  /** Distinct (evt, args) subscriptions held remotely (or to be sent on connect). */
  readonly remoteSubscriptions: number
  /** Local subscribers across them. */
  readonly localSubscribers: number
  /** Events dropped because a subscriber fell `subscriberBuffer` events behind. */
  readonly droppedEvents: number
}

// ---------------------------------------------------------------------------------------------
// the service
// ---------------------------------------------------------------------------------------------

export class DiscordRpc extends Context.Service<DiscordRpc, {
  /** The connection state now. */
  readonly state: Effect.Effect<ConnectionState>
  /** The current state, then every change. */
  readonly stateChanges: Stream.Stream<ConnectionState>
  /**
   * Send a command and wait for its reply's `data`. While not Ready it waits in the
   * command queue (in order, bounded, with a deadline).
   */
  readonly request: (
    cmd: string,
    args?: Readonly<Record<string, unknown>>,
    options?: RequestOptions
  ) => Effect.Effect<unknown, RpcRequestError>
  /**
   * Events of one kind, for as long as the calling scope lives. Many local subscribers of
   * the same (evt, args) share one remote SUBSCRIBE; the last one leaving sends UNSUBSCRIBE.
   * Remote subscriptions are sent again after every reconnect.
   */
  readonly subscribe: <E extends EventName>(
    evt: E,
    args?: Readonly<Record<string, unknown>>
  ) => Effect.Effect<Stream.Stream<EventPayload<E>>, never, Scope.Scope>
  /** Drop the current connection and connect again (e.g. after `deckcord auth` stored new tokens). */
  readonly reconnect: Effect.Effect<void>
  /** Counts of what the client holds, for leak checks, tests and benchmarks. */
  readonly stats: Effect.Effect<RpcStats>
} & DiscordCommands>()("deckcord/DiscordRpc") {
  /**
   * The live client. Needs a transport (`DiscordIpc.layer`) and an `Authenticator`
   * (`Authenticator.none`, `Authenticator.accessToken(token)`, or deckcord's OAuth flow).
   */
  static layer(options: DiscordRpcOptions): Layer.Layer<DiscordRpc, never, DiscordIpc | Authenticator> {
    return Layer.effect(DiscordRpc, makeDiscordRpc(options))
  }
}

// ---------------------------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------------------------

/** @category options */
export interface DiscordRpcOptions {
  /**
   * The Discord application (client) id, a snowflake string — or an effect read at every
   * connect, so a daemon started before `deckcord auth` picks the id up on `reconnect`.
   */
  readonly clientId: string | Effect.Effect<string | undefined>
  /** Commands that may wait for a connection at once (a full queue rejects new ones). */
  readonly queueCapacity?: number
  /** How long a command may wait for a connection before it expires. */
  readonly commandDeadline?: Duration.Input
  /** Reply timeout for ordinary commands once sent. */
  readonly requestTimeout?: Duration.Input
  /**
   * Events one subscriber may have waiting. A subscriber that stops reading loses its
   * oldest events past this (counted in `stats`, warned once) instead of growing memory.
   */
  readonly subscriberBuffer?: number
  readonly reconnect?: ReconnectOptions
  /**
   * How long a connection must stay Ready before the backoff starts over (default
   * `STABLE_CONNECTION`). Shorter-lived connections count as failures.
   */
  readonly stable?: Duration.Input
  /**
   * Called if the supervisor itself dies (a bug outside any one connection). The default
   * logs the cause and exits the process non-zero, so a service manager restarts it: a
   * daemon that can no longer reconnect must not keep running as if it could.
   */
  readonly onFatal?: (cause: Cause.Cause<unknown>) => void
}

const defaultOnFatal = (cause: Cause.Cause<unknown>) => {
  process.stderr.write(
    `deckcord: the Discord connection supervisor died (a bug; please report it). Exiting so the service manager ` +
      `restarts deckcord:\n${Cause.pretty(cause)}\n`
  )
  process.exit(70)
}

const describeCause = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  return error instanceof Error ? error.message : String(error)
}

// ---------------------------------------------------------------------------------------------
// the supervisor
// ---------------------------------------------------------------------------------------------

type SessionError = IpcConnectError | AuthenticationError | SetupInterruptedError | NotConfiguredError

/** No application id to connect with. */
class NotConfiguredError extends Schema.TaggedError<NotConfiguredError>()("NotConfiguredError", {}) {}

/** The connection ended while it was still being set up. */
class SetupInterruptedError extends Schema.TaggedError<SetupInterruptedError>()("SetupInterruptedError", {
  reason: Schema.Unknown
}) {}

const reasonOf = (error: SessionError): DisconnectReason => {
  switch (error._tag) {
    case "DiscordNotFoundError":
      return {
        _tag: "NoDiscord",
        message: error.message,
        hint: "start Discord; for Flatpak/Snap Discord see Troubleshooting in the README"
      }
    case "ArRpcOnlyError":
      return { _tag: "ArRpcOnly", message: error.message }
    case "HandshakeClosedError": {
      const hint = closeHint(error.code, error.detail)
      return { _tag: "HandshakeFailed", message: error.message, closeCode: error.code, ...(hint ? { hint } : {}) }
    }
    case "HandshakeTimeoutError":
      return { _tag: "HandshakeFailed", message: error.message }
    case "AuthenticationError":
      return { _tag: "AuthenticationFailed", message: error.message, hint: authenticationHint(error), retrying: error.retry }
    case "SetupInterruptedError":
      return error.reason as DisconnectReason
    case "NotConfiguredError":
      return {
        _tag: "NotConfigured",
        message: "no Discord application is configured",
        hint: "run `deckcord auth` to set one up"
      }
  }
}

/** Build the service; its supervisor fiber lives as long as the calling scope. */
export const makeDiscordRpc = Effect.fn("DiscordRpc.make")(function*(options: DiscordRpcOptions) {
  const ipc = yield* DiscordIpc
  const authenticator = yield* Authenticator
  const run = yield* FiberSet.makeRuntime<never>()
  const capacity = options.queueCapacity ?? DEFAULT_QUEUE_CAPACITY
  // the options' durations in the milliseconds the request path counts in, converted once here
  const deadlineMillis = millisOf(options.commandDeadline ?? DEFAULT_COMMAND_DEADLINE)
  const requestTimeoutMillis = millisOf(options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT)
  const subscriberBuffer = options.subscriberBuffer ?? DEFAULT_SUBSCRIBER_BUFFER
  const onFatal = options.onFatal ?? defaultOnFatal

  const notStarted: ConnectionState = {
    _tag: "Disconnected",
    reason: { _tag: "NotStarted", message: "not connected yet" }
  }
  const state = yield* SubscriptionRef.make<ConnectionState>(notStarted)
  const setState = (next: ConnectionState) => SubscriptionRef.set(state, next)

  const reconnectRequests = yield* Queue.sliding<void>(1)
  let current: Connection | undefined
  const queue = yield* makeCommandQueue({ capacity, deadlineMillis, requestTimeoutMillis, current: () => current })
  const { failPending, release, request, sendNow } = queue
  const subscriptions = makeSubscriptions({
    subscriberBuffer,
    requestTimeoutMillis,
    run,
    queue,
    current: () => current
  })

  const onMessage = (connection: Connection) => (message: Inbound) => {
    switch (message._tag) {
      case "Reply":
      case "ErrorReply": {
        const pending = release(connection, message.nonce)
        if (pending === undefined) return // a reply after its request timed out
        if (message._tag === "ErrorReply" && connection.authenticated && isMissingScope(message.code, message.message)) {
          // the request fails as it is; the authorization is widened for the next one
          run(
            authenticator.scopeRejected({ cmd: pending.cmd, evt: pending.evt }).pipe(
              Effect.flatMap((authorizeAgain) => (authorizeAgain ? reconnect : Effect.void))
            )
          )
        }
        Deferred.doneUnsafe(
          pending.reply,
          message._tag === "Reply"
            ? Exit.succeed(message.data)
            : Exit.fail(
              new RpcCommandError({ cmd: message.cmd, code: message.code, detail: redactTokens(message.message) })
            )
        )
        return
      }
      case "Event":
        return subscriptions.dispatch(message.evt, message.data)
      case "ServerError":
        run(Effect.logWarning(`Discord reported ${message.code}: ${redactTokens(message.message)}`))
        return
      case "Ready":
        return
    }
  }

  // --- the supervisor ---------------------------------------------------------------------------

  /** One connection from dial to drop. Succeeds, with how long it was Ready, when a Ready connection ends. */
  const session: Effect.Effect<number, SessionError> = Effect.gen(function*() {
    const clientId = typeof options.clientId === "string" ? options.clientId : yield* options.clientId
    if (clientId === undefined) return yield* new NotConfiguredError()
    yield* setState({ _tag: "Connecting" })
    let connection: Connection | undefined
    const ipcConnection = yield* ipc.connect(clientId, (message) => {
      if (connection) onMessage(connection)(message)
    })
    const live: Connection = { ipc: ipcConnection, pending: new Map(), authenticated: false }
    connection = live
    current = live
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        if (current === live) current = undefined
        failPending(live, "Discord disconnected")
      })
    )
    yield* setState({ _tag: "Authenticating", user: ipcConnection.ready.user })
    const authenticated = yield* authenticator.authenticate({
      clientId,
      request: (cmd, args, requestOptions) =>
        sendNow(live, cmd, args, requestOptions?.timeout === undefined ? undefined : millisOf(requestOptions.timeout))
    }).pipe(
      Effect.raceFirst(
        ipcConnection.closed.pipe(Effect.flatMap((reason) => Effect.fail(new SetupInterruptedError({ reason }))))
      )
    )
    // Replay subscriptions in the same synchronous step that marks the connection usable, so a
    // subscriber arriving in between is sent exactly once (by itself or by this loop, not both).
    live.authenticated = true
    subscriptions.replay(live)
    yield* Effect.forkScoped(queue.drain(live))
    yield* setState({
      _tag: "Ready",
      user: authenticated?.user ?? ipcConnection.ready.user,
      authenticated,
      socketPath: ipcConnection.socketPath
    })
    yield* Effect.logInfo(`connected to Discord at ${ipcConnection.socketPath}`)
    const readySince = yield* Clock.currentTimeMillis
    const reason = yield* ipcConnection.closed
    const readyFor = (yield* Clock.currentTimeMillis) - readySince
    live.authenticated = false
    failPending(live, reason.message)
    if (reason.closeCode === CloseCode.TOKEN_REVOKED) yield* authenticator.tokenRevoked
    yield* Effect.logWarning(`Discord connection lost: ${reason.message}`)
    yield* setState({ _tag: "Disconnected", reason })
    return readyFor
  }).pipe(Effect.scoped)

  const backoff = reconnectMillis(options.reconnect)
  const stableMillis = millisOf(options.stable ?? STABLE_CONNECTION)
  const isAbsent = (e: SessionError) => e._tag === "DiscordNotFoundError"
  const isPermanent = (e: SessionError): e is AuthenticationError | NotConfiguredError =>
    e._tag === "NotConfiguredError" || (e._tag === "AuthenticationError" && !e.retry)

  /** A failure no retry can fix (no application id, authorization refused) waits for `reconnect`. */
  const waitForReconnect = (e: AuthenticationError | NotConfiguredError) =>
    (e._tag === "NotConfiguredError"
      ? Effect.logWarning("no Discord application configured: run `deckcord auth`")
      : Effect.logError(`Discord authentication failed: ${e.message}`)).pipe(Effect.andThen(Effect.never))

  /**
   * Connect, and reconnect with backoff, for ever. The backoff resets only after a connection
   * stayed Ready for `stable`: a Discord that drops every connection right after READY
   * is retried at the failure backoff, not in a tight loop. A defect in a session (a bug here)
   * is logged with its cause, shown in the state, and retried like any failure: the loop
   * itself must not die, or deckcord would sit "Ready" on a dead socket.
   */
  const superviseConnections: Effect.Effect<never> = Effect.gen(function*() {
    let absentAttempt = 0
    let failureAttempt = 0
    while (true) {
      const exit = yield* Effect.exit(session)
      let delay: number
      if (Exit.isSuccess(exit)) {
        absentAttempt = 0
        if (exit.value >= stableMillis) {
          failureAttempt = 0
          delay = 0
        } else {
          delay = backoffDelay(failureAttempt++, backoff.failureBaseMillis, backoff.failureCapMillis)
          yield* Effect.logWarning(
            `the Discord connection lasted only ${exit.value} ms; reconnecting in ${Math.round(delay)} ms`
          )
        }
      } else if (Cause.hasInterruptsOnly(exit.cause)) {
        return yield* Effect.interrupt
      } else {
        const failure = Cause.findErrorOption(exit.cause)
        if (failure._tag === "Some") {
          const e = failure.value
          if (isPermanent(e)) {
            yield* setState({ _tag: "Disconnected", reason: reasonOf(e) })
            return yield* waitForReconnect(e)
          }
          if (isAbsent(e)) {
            delay = backoffDelay(absentAttempt++, backoff.absentBaseMillis, backoff.absentCapMillis)
          } else {
            absentAttempt = 0
            delay = backoffDelay(failureAttempt++, backoff.failureBaseMillis, backoff.failureCapMillis)
            yield* Effect.logWarning(`Discord connection failed: ${reasonOf(e).message}`)
          }
          // one state per failure, already saying when the next try comes
          yield* setState({ _tag: "Disconnected", reason: reasonOf(e), retryInMillis: Math.round(delay) })
          if (delay > 0) yield* Effect.sleep(Duration.millis(delay))
          continue
        } else {
          absentAttempt = 0
          delay = backoffDelay(failureAttempt++, backoff.failureBaseMillis, backoff.failureCapMillis)
          yield* Effect.logError(
            `internal error in the Discord connection (a bug in deckcord; please report it with this log); ` +
              `reconnecting in ${Math.round(delay)} ms:\n${Cause.pretty(exit.cause)}`
          )
          yield* setState({
            _tag: "Disconnected",
            reason: {
              _tag: "InternalError",
              message: `internal error: ${describeCause(exit.cause)}`,
              hint: "deckcord reconnects by itself; please report this with the log"
            },
            retryInMillis: Math.round(delay)
          })
          yield* Effect.sleep(Duration.millis(delay))
          continue
        }
      }
      if (delay > 0) {
        const now = yield* SubscriptionRef.get(state)
        if (now._tag === "Disconnected") yield* setState({ ...now, retryInMillis: Math.round(delay) })
        yield* Effect.sleep(Duration.millis(delay))
      }
    }
  })

  // A reconnect request interrupts whatever the supervisor is doing — a live connection, a
  // backoff sleep, a wait after a refused authorization — and starts over with fresh backoff.
  const supervisor = Effect.forever(Effect.raceFirst(superviseConnections, Queue.take(reconnectRequests)))
  yield* Effect.forkScoped(
    supervisor.pipe(
      Effect.onExit((exit) =>
        Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)
          ? Effect.sync(() => onFatal(exit.cause))
          : Effect.void
      )
    )
  )
  // nothing waits forever for a connection that will not come
  yield* Effect.addFinalizer(() => queue.shutdown)

  const reconnect = Effect.suspend(() => Queue.offer(reconnectRequests, undefined)).pipe(Effect.asVoid)

  return DiscordRpc.of({
    state: SubscriptionRef.get(state),
    stateChanges: SubscriptionRef.changes(state),
    request,
    subscribe: subscriptions.subscribe,
    reconnect,
    stats: Effect.sync(() => ({
      pendingRequests: current?.pending.size ?? 0,
      queuedCommands: queue.queued(),
      ...subscriptions.stats()
    })),
    ...makeCommands(request)
  })
})
