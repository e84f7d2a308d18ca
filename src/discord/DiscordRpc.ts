/**
 * The Discord RPC client: one supervised connection, requests matched by nonce, a command
 * queue for outages, shared and counted subscriptions, and typed command helpers.
 *
 * @since 0.1.0
 */
import {
  Cause,
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  FiberSet,
  Layer,
  Queue,
  Schema,
  type Scope,
  Stream,
  SubscriptionRef
} from "effect"
import { randomUUID } from "node:crypto"
import {
  Channel,
  Channels,
  commandEnvelope,
  type EventName,
  type EventPayload,
  Guild,
  Guilds,
  type GuildSummary,
  type Inbound,
  type SoundboardSound,
  SoundboardSounds,
  UserVoiceSettings,
  VoiceSettings,
  type VoiceSettingsPatch
} from "../protocol/Message.ts"
import { closeHint, CloseCode, isMissingScope } from "../protocol/RpcError.ts"
import { type AuthenticationError, authenticationHint, Authenticator } from "./Authenticator.ts"
import { DiscordIpc, type IpcConnectError } from "./DiscordIpc.ts"
import {
  CommandExpiredError,
  ConnectionLostError,
  QueueFullError,
  redactTokens,
  RpcCommandError,
  type RpcRequestError,
  RpcTimeoutError
} from "./RpcErrors.ts"
import type { ConnectionState, DisconnectReason } from "./ConnectionState.ts"
import {
  type Connection,
  CommandDeadline,
  type Deadline,
  deadlineFrom,
  DEFAULT_COMMAND_DEADLINE_MILLIS,
  DEFAULT_QUEUE_CAPACITY,
  DEFAULT_REQUEST_TIMEOUT_MILLIS,
  type Pending,
  type Queued,
  replyTimeoutMillis,
  type RequestOptions
} from "./CommandQueue.ts"
import { decodeReply, type SelectVoiceChannelOptions, type UserVoiceSettingsPatch } from "./commands.ts"
import { backoffDelay, DEFAULT_RECONNECT, type ReconnectOptions, STABLE_CONNECTION_MILLIS } from "./Reconnect.ts"
import {
  DEFAULT_SUBSCRIBER_BUFFER,
  eventDecoders,
  type RemoteSubscription,
  SUBSCRIBE_RETRY_BASE_MILLIS,
  SUBSCRIBE_RETRY_CAP_MILLIS,
  subscriptionKey
} from "./Subscriptions.ts"

// the client's vocabulary, where its users have always found it
export type { ConnectionState, DisconnectReason } from "./ConnectionState.ts"
export {
  AUTHORIZE_TIMEOUT_MILLIS,
  CommandDeadline,
  type Deadline,
  deadlineFrom,
  DEFAULT_COMMAND_DEADLINE_MILLIS,
  DEFAULT_QUEUE_CAPACITY,
  DEFAULT_REQUEST_TIMEOUT_MILLIS,
  type RequestOptions
} from "./CommandQueue.ts"
export type { SelectVoiceChannelOptions, UserVoiceSettingsPatch } from "./commands.ts"
export {
  backoffDelay,
  DEFAULT_RECONNECT,
  reconnectSchedules,
  type ReconnectOptions,
  STABLE_CONNECTION_MILLIS
} from "./Reconnect.ts"
export { DEFAULT_SUBSCRIBER_BUFFER, subscriptionKey } from "./Subscriptions.ts"

// ---------------------------------------------------------------------------------------------
// requests
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

  // typed helpers for docs/discord-rpc.md#voice-commands
  readonly getVoiceSettings: Effect.Effect<VoiceSettings, RpcRequestError>
  readonly setVoiceSettings: (patch: VoiceSettingsPatch, options?: RequestOptions) => Effect.Effect<VoiceSettings, RpcRequestError>
  readonly pushToTalk: (active: boolean, options?: RequestOptions) => Effect.Effect<void, RpcRequestError>
  readonly selectVoiceChannel: (
    channelId: string | null,
    options?: SelectVoiceChannelOptions & RequestOptions
  ) => Effect.Effect<Channel | null, RpcRequestError>
  readonly getSelectedVoiceChannel: Effect.Effect<Channel | null, RpcRequestError>
  readonly selectTextChannel: (
    channelId: string | null,
    options?: { readonly timeoutSeconds?: number } & RequestOptions
  ) => Effect.Effect<Channel | null, RpcRequestError>
  readonly getChannel: (channelId: string) => Effect.Effect<Channel, RpcRequestError>
  readonly getChannels: (guildId?: string) => Effect.Effect<ReadonlyArray<{ id: string; name?: string | null; type?: number }>, RpcRequestError>
  readonly getGuild: (guildId: string) => Effect.Effect<GuildSummary, RpcRequestError>
  readonly getGuilds: Effect.Effect<ReadonlyArray<GuildSummary>, RpcRequestError>
  readonly setUserVoiceSettings: (
    userId: string,
    patch: UserVoiceSettingsPatch,
    options?: RequestOptions
  ) => Effect.Effect<{ user_id: string; volume?: number; mute?: boolean }, RpcRequestError>
  readonly toggleVideo: (options?: RequestOptions) => Effect.Effect<void, RpcRequestError>
  readonly toggleScreenshare: (options?: RequestOptions) => Effect.Effect<void, RpcRequestError>
  readonly getSoundboardSounds: Effect.Effect<ReadonlyArray<SoundboardSound>, RpcRequestError>
  readonly playSoundboardSound: (
    sound: { readonly soundId: string; readonly guildId: string },
    options?: RequestOptions
  ) => Effect.Effect<void, RpcRequestError>
}>()("deckcord/DiscordRpc") {
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
  readonly commandDeadlineMillis?: number
  /** Reply timeout for ordinary commands once sent. */
  readonly requestTimeoutMillis?: number
  /**
   * Events one subscriber may have waiting. A subscriber that stops reading loses its
   * oldest events past this (counted in `stats`, warned once) instead of growing memory.
   */
  readonly subscriberBuffer?: number
  readonly reconnect?: ReconnectOptions
  /**
   * How long a connection must stay Ready before the backoff starts over (default
   * `STABLE_CONNECTION_MILLIS`). Shorter-lived connections count as failures.
   */
  readonly stableMillis?: number
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
// implementation
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
        kind: "NoDiscord",
        message: error.message,
        hint: "start Discord; for Flatpak/Snap Discord see Troubleshooting in the README"
      }
    case "ArRpcOnlyError":
      return { kind: "ArRpcOnly", message: error.message }
    case "HandshakeClosedError": {
      const hint = closeHint(error.code, error.detail)
      return { kind: "HandshakeFailed", message: error.message, closeCode: error.code, ...(hint ? { hint } : {}) }
    }
    case "HandshakeTimeoutError":
      return { kind: "HandshakeFailed", message: error.message }
    case "AuthenticationError":
      return { kind: "AuthenticationFailed", message: error.message, hint: authenticationHint(error), retrying: error.retry }
    case "SetupInterruptedError":
      return error.reason as DisconnectReason
    case "NotConfiguredError":
      return {
        kind: "NotConfigured",
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
  const deadlineMillis = options.commandDeadlineMillis ?? DEFAULT_COMMAND_DEADLINE_MILLIS
  const requestTimeout = options.requestTimeoutMillis ?? DEFAULT_REQUEST_TIMEOUT_MILLIS
  const subscriberBuffer = options.subscriberBuffer ?? DEFAULT_SUBSCRIBER_BUFFER
  const onFatal = options.onFatal ?? defaultOnFatal
  let droppedEvents = 0

  const notStarted: ConnectionState = {
    _tag: "Disconnected",
    reason: { kind: "NotStarted", message: "not connected yet" }
  }
  const state = yield* SubscriptionRef.make<ConnectionState>(notStarted)
  const setState = (next: ConnectionState) => SubscriptionRef.set(state, next)

  const waiting = yield* Queue.dropping<Queued>(capacity)
  let liveWaiting = 0
  const reconnectRequests = yield* Queue.sliding<void>(1)
  let current: Connection | undefined
  const subscriptions = new Map<string, RemoteSubscription>()
  const subscriptionsByEvent = new Map<string, Set<RemoteSubscription>>()

  // --- sending ----------------------------------------------------------------------------------

  /** Forget a pending request (answered, timed out, abandoned); false when already gone. */
  const release = (connection: Connection, nonce: string): Pending | undefined => {
    const pending = connection.pending.get(nonce)
    if (pending === undefined) return undefined
    connection.pending.delete(nonce)
    clearTimeout(pending.timer)
    return pending
  }

  /** Write a command now, register its reply slot and arm its reply timeout. */
  const write = (
    connection: Connection,
    cmd: string,
    args: Readonly<Record<string, unknown>>,
    reply: Deferred.Deferred<unknown, RpcRequestError>,
    timeoutMillis: number,
    evt?: string
  ): string => {
    const nonce = randomUUID()
    const timer = setTimeout(() => {
      if (release(connection, nonce)) {
        Deferred.doneUnsafe(reply, Exit.fail(new RpcTimeoutError({ cmd, timeoutMillis })))
      }
    }, timeoutMillis)
    connection.pending.set(nonce, { cmd, evt, reply, timer })
    if (!connection.ipc.send(commandEnvelope(cmd, nonce, args, evt))) {
      release(connection, nonce)
      Deferred.doneUnsafe(reply, Exit.fail(new ConnectionLostError({ cmd, reason: "socket closed" })))
    }
    return nonce
  }

  /** Wait for the reply; a requester that gives up (interruption) frees its slot. */
  const awaitReply = (connection: Connection, nonce: string, reply: Deferred.Deferred<unknown, RpcRequestError>) =>
    Deferred.await(reply).pipe(Effect.onInterrupt(() => Effect.sync(() => release(connection, nonce))))

  /** Send on a specific connection, bypassing the queue (auth, subscriptions). */
  const sendNow = (
    connection: Connection,
    cmd: string,
    args: Readonly<Record<string, unknown>>,
    timeoutMillis?: number,
    evt?: string
  ): Effect.Effect<unknown, RpcRequestError> =>
    Effect.suspend(() => {
      const reply = Deferred.makeUnsafe<unknown, RpcRequestError>()
      const nonce = write(connection, cmd, args, reply, replyTimeoutMillis(cmd, args, requestTimeout, timeoutMillis), evt)
      return awaitReply(connection, nonce, reply)
    })

  /** Drop expired commands from the queue so they do not hold capacity (synchronous, so atomic). */
  const compactQueue = () => {
    const live: Array<Queued> = []
    for (let taken = Queue.takeUnsafe(waiting); taken !== undefined; taken = Queue.takeUnsafe(waiting)) {
      if (Exit.isSuccess(taken) && taken.value.status === "waiting") live.push(taken.value)
    }
    Queue.offerAllUnsafe(waiting, live)
  }

  const expired = (cmd: string, deadline: Deadline, now: number) =>
    new CommandExpiredError({ cmd, waitedMillis: Math.max(0, now - deadline.enteredAt) })

  const enqueue = (
    cmd: string,
    args: Readonly<Record<string, unknown>>,
    options: RequestOptions,
    deadline: Deadline,
    now: number
  ): Effect.Effect<unknown, RpcRequestError> =>
    Effect.suspend(() => {
      const item: Queued = {
        cmd,
        args,
        timeoutMillis: replyTimeoutMillis(cmd, args, requestTimeout, options.timeoutMillis),
        deadline,
        status: "waiting",
        sent: Deferred.makeUnsafe<Connection, CommandExpiredError>(),
        nonce: "",
        reply: Deferred.makeUnsafe<unknown, RpcRequestError>()
      }
      if (!Queue.offerUnsafe(waiting, item)) {
        compactQueue()
        if (!Queue.offerUnsafe(waiting, item)) return Effect.fail(new QueueFullError({ cmd, capacity }))
      }
      liveWaiting++
      return Deferred.await(item.sent).pipe(
        Effect.timeoutOrElse({
          duration: Duration.millis(deadline.expiresAt - now),
          orElse: () =>
            Effect.suspend(() => {
              if (item.status !== "waiting") return Deferred.await(item.sent) // sent at the last moment
              item.status = "expired"
              liveWaiting--
              return Clock.currentTimeMillis.pipe(Effect.flatMap((at) => Effect.fail(expired(cmd, deadline, at))))
            })
        }),
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            if (item.status === "waiting") {
              item.status = "expired"
              liveWaiting--
            }
          })
        ),
        Effect.flatMap((connection) => awaitReply(connection, item.nonce, item.reply))
      )
    })

  const request = (
    cmd: string,
    args: Readonly<Record<string, unknown>> = {},
    options: RequestOptions = {}
  ): Effect.Effect<unknown, RpcRequestError> =>
    // read synchronously from the fiber's context: this is the hot path of every command
    Effect.contextWith((context: Context.Context<never>) => {
      const now = Context.get(context, Clock.Clock).currentTimeMillisUnsafe()
      const deadline = options.deadline ?? Context.get(context, CommandDeadline) ??
        deadlineFrom(now, options.deadlineMillis ?? deadlineMillis)
      // late is worse than never: a mute pressed long ago must not land now
      if (now >= deadline.expiresAt) return Effect.fail(expired(cmd, deadline, now))
      const connection = current
      // the fast path keeps order: only when nothing queued could be overtaken
      if (connection?.authenticated && liveWaiting === 0) {
        return sendNow(connection, cmd, args, options.timeoutMillis)
      }
      return enqueue(cmd, args, options, deadline, now)
    })

  /**
   * Send queued commands in order, for as long as this connection is Ready. One whose
   * deadline passed while it waited fails here instead of going out late.
   */
  const drain = (connection: Connection) =>
    Effect.forever(
      Queue.take(waiting).pipe(
        Effect.flatMap((item) =>
          Clock.currentTimeMillis.pipe(Effect.map((now) => {
            if (item.status !== "waiting") return
            liveWaiting--
            if (now >= item.deadline.expiresAt) {
              item.status = "expired"
              Deferred.doneUnsafe(item.sent, Exit.fail(expired(item.cmd, item.deadline, now)))
              return
            }
            item.status = "sent"
            item.nonce = write(connection, item.cmd, item.args, item.reply, item.timeoutMillis)
            Deferred.doneUnsafe(item.sent, Exit.succeed(connection))
          }))
        )
      )
    )

  // --- subscriptions ------------------------------------------------------------------------------

  /**
   * Write (UN)SUBSCRIBE now, synchronously — so it reaches the wire before any request issued
   * after `subscribe` returns — and watch its reply in the background.
   */
  const sendSubscription = (
    connection: Connection,
    cmd: "SUBSCRIBE" | "UNSUBSCRIBE",
    sub: RemoteSubscription,
    attempt = 0
  ): void => {
    const reply = Deferred.makeUnsafe<unknown, RpcRequestError>()
    const nonce = write(connection, cmd, sub.args, reply, requestTimeout, sub.evt)
    run(
      awaitReply(connection, nonce, reply).pipe(
        Effect.catch((e) => {
          // subscriptions die with the socket anyway (docs/discord-rpc.md#subscribe-and-unsubscribe): a drop is no news
          if (e._tag === "ConnectionLostError") return Effect.logDebug(`${cmd} ${sub.evt}: ${e.message}`)
          // an unanswered SUBSCRIBE may never have been registered: without it the state
          // would silently stop following Discord, so it is asked again (a duplicate is a no-op)
          if (cmd === "SUBSCRIBE" && e._tag === "RpcTimeoutError") {
            const delay = backoffDelay(attempt, SUBSCRIBE_RETRY_BASE_MILLIS, SUBSCRIBE_RETRY_CAP_MILLIS)
            return Effect.logWarning(`${cmd} ${sub.evt}: ${e.message}; asking again`).pipe(
              Effect.andThen(Effect.sleep(Duration.millis(delay))),
              Effect.andThen(Effect.sync(() => {
                if (current === connection && connection.authenticated && subscriptions.get(sub.key) === sub) {
                  sendSubscription(connection, cmd, sub, attempt + 1)
                }
              }))
            )
          }
          return Effect.logWarning(`${cmd} ${sub.evt} failed: ${e.message}`)
        }),
        Effect.asVoid
      )
    )
  }

  const subscribe = <E extends EventName>(
    evt: E,
    args: Readonly<Record<string, unknown>> = {}
  ): Effect.Effect<Stream.Stream<EventPayload<E>>, never, Scope.Scope> =>
    Effect.gen(function*() {
      // sliding: a stalled reader keeps the newest events, and Discord's initial dispatch
      // after every reconnect (docs/discord-rpc.md#subscribe-and-unsubscribe) cannot pile up in it
      const queue = yield* Queue.sliding<EventPayload<E>>(subscriberBuffer)
      const key = subscriptionKey(evt, args)
      let sub = subscriptions.get(key)
      if (sub === undefined) {
        sub = { key, evt, args, subscribers: new Set() }
        subscriptions.set(key, sub)
        let byEvent = subscriptionsByEvent.get(evt)
        if (byEvent === undefined) subscriptionsByEvent.set(evt, byEvent = new Set())
        byEvent.add(sub)
        if (current?.authenticated) sendSubscription(current, "SUBSCRIBE", sub)
      }
      const owned = sub
      owned.subscribers.add(queue as Queue.Queue<unknown>)
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          owned.subscribers.delete(queue as Queue.Queue<unknown>)
          if (owned.subscribers.size === 0 && subscriptions.get(key) === owned) {
            subscriptions.delete(key)
            subscriptionsByEvent.get(evt)?.delete(owned)
            if (current?.authenticated) sendSubscription(current, "UNSUBSCRIBE", owned)
          }
          return Queue.shutdown(queue)
        })
      )
      return Stream.fromQueue(queue)
    })

  const dropOldest = (evt: string) => {
    // warn on the first drop and then at powers of two, so a stuck reader is seen, not spammed
    if (++droppedEvents & (droppedEvents - 1)) return
    run(Effect.logWarning(
      `a ${evt} subscriber is ${subscriberBuffer} events behind and not reading; dropped its oldest ` +
        `(${droppedEvents} dropped so far). Read the subscription stream, or raise subscriberBuffer.`
    ))
  }

  const dispatchEvent = (evt: string, data: unknown) => {
    const subs = subscriptionsByEvent.get(evt)
    if (subs === undefined || subs.size === 0) return
    const decode = eventDecoders.get(evt)
    if (decode === undefined) return
    const decoded = decode(data)
    if (Exit.isFailure(decoded)) {
      run(Effect.logWarning(`ignored a malformed ${evt} event from Discord: ${Cause.pretty(decoded.cause)}`))
      return
    }
    const payload = decoded.value as { readonly channel_id?: unknown }
    for (const sub of subs) {
      // events carry no subscription args; where the payload names its channel, honour it (docs/discord-rpc.md#speaking_start-and-speaking_stop)
      if (
        typeof payload.channel_id === "string" && typeof sub.args.channel_id === "string" &&
        payload.channel_id !== sub.args.channel_id
      ) continue
      for (const subscriber of sub.subscribers) {
        if (Queue.isFullUnsafe(subscriber)) dropOldest(evt)
        Queue.offerUnsafe(subscriber, payload)
      }
    }
  }

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
        return dispatchEvent(message.evt, message.data)
      case "ServerError":
        run(Effect.logWarning(`Discord reported ${message.code}: ${redactTokens(message.message)}`))
        return
      case "Ready":
        return
    }
  }

  // --- the supervisor ---------------------------------------------------------------------------

  /**
   * Fail every request in flight. Completing a reply can run its waiter at once, and that
   * waiter may release other entries (a sibling of an `Effect.all` is interrupted), so the map
   * is emptied first and the snapshot completed after.
   */
  const failPending = (connection: Connection, reason: string) => {
    const entries = [...connection.pending.values()]
    connection.pending.clear()
    for (const pending of entries) {
      clearTimeout(pending.timer)
      Deferred.doneUnsafe(pending.reply, Exit.fail(new ConnectionLostError({ cmd: pending.cmd, reason })))
    }
  }

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
      request: (cmd, args, requestOptions) => sendNow(live, cmd, args, requestOptions?.timeoutMillis)
    }).pipe(
      Effect.raceFirst(
        ipcConnection.closed.pipe(Effect.flatMap((reason) => Effect.fail(new SetupInterruptedError({ reason }))))
      )
    )
    // Replay subscriptions in the same synchronous step that marks the connection usable, so a
    // subscriber arriving in between is sent exactly once (by itself or by this loop, not both).
    live.authenticated = true
    for (const sub of subscriptions.values()) sendSubscription(live, "SUBSCRIBE", sub)
    yield* Effect.forkScoped(drain(live))
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

  const backoff = { ...DEFAULT_RECONNECT, ...options.reconnect }
  const stableMillis = options.stableMillis ?? STABLE_CONNECTION_MILLIS
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
   * stayed Ready for `stableMillis`: a Discord that drops every connection right after READY
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
              kind: "InternalError",
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
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      // nothing waits forever for a connection that will not come
      for (let taken = Queue.takeUnsafe(waiting); taken !== undefined; taken = Queue.takeUnsafe(waiting)) {
        if (Exit.isSuccess(taken) && taken.value.status === "waiting") {
          taken.value.status = "expired"
          Deferred.doneUnsafe(
            taken.value.reply,
            Exit.fail(new ConnectionLostError({ cmd: taken.value.cmd, reason: "deckcord is shutting down" }))
          )
        }
      }
    })
  )

  const reconnect = Effect.suspend(() => Queue.offer(reconnectRequests, undefined)).pipe(Effect.asVoid)

  // --- typed helpers (docs/discord-rpc.md#voice-commands) ------------------------------------------------------------------

  const typed = <S extends Schema.Top & { readonly DecodingServices: never }>(
    cmd: string,
    schema: S,
    args: Readonly<Record<string, unknown>> = {},
    options?: RequestOptions
  ) => request(cmd, args, options).pipe(Effect.flatMap(decodeReply(cmd, schema)))

  const NullableChannel = Schema.NullOr(Channel)

  return DiscordRpc.of({
    state: SubscriptionRef.get(state),
    stateChanges: SubscriptionRef.changes(state),
    request,
    subscribe,
    reconnect,
    stats: Effect.sync(() => {
      let localSubscribers = 0
      for (const sub of subscriptions.values()) localSubscribers += sub.subscribers.size
      return {
        pendingRequests: current?.pending.size ?? 0,
        queuedCommands: liveWaiting,
        remoteSubscriptions: subscriptions.size,
        localSubscribers,
        droppedEvents
      }
    }),
    getVoiceSettings: typed("GET_VOICE_SETTINGS", VoiceSettings),
    setVoiceSettings: (patch, options) =>
      typed("SET_VOICE_SETTINGS", VoiceSettings, patch as Readonly<Record<string, unknown>>, options),
    pushToTalk: (active, options) => request("PUSH_TO_TALK", { active }, options).pipe(Effect.asVoid),
    selectVoiceChannel: (channelId, options = {}) =>
      typed("SELECT_VOICE_CHANNEL", NullableChannel, {
        channel_id: channelId,
        ...(channelId === null ? {} : {
          force: options.force ?? true,
          timeout: options.timeoutSeconds ?? 10,
          ...(options.navigate === undefined ? {} : { navigate: options.navigate })
        })
      }, options),
    getSelectedVoiceChannel: typed("GET_SELECTED_VOICE_CHANNEL", NullableChannel),
    selectTextChannel: (channelId, options = {}) =>
      typed("SELECT_TEXT_CHANNEL", NullableChannel, {
        channel_id: channelId,
        ...(channelId === null ? {} : { timeout: options.timeoutSeconds ?? 10 })
      }, options),
    getChannel: (channelId) => typed("GET_CHANNEL", Channel, { channel_id: channelId }),
    getChannels: (guildId) =>
      typed("GET_CHANNELS", Channels, guildId === undefined ? {} : { guild_id: guildId }).pipe(
        Effect.map((r) => r.channels)
      ),
    getGuild: (guildId) => typed("GET_GUILD", Guild, { guild_id: guildId, timeout: 10 }),
    getGuilds: typed("GET_GUILDS", Guilds).pipe(Effect.map((r) => r.guilds)),
    setUserVoiceSettings: (userId, patch, options) =>
      typed("SET_USER_VOICE_SETTINGS", UserVoiceSettings, { user_id: userId, ...patch }, options),
    toggleVideo: (options) => request("TOGGLE_VIDEO", {}, options).pipe(Effect.asVoid),
    toggleScreenshare: (options) => request("TOGGLE_SCREENSHARE", {}, options).pipe(Effect.asVoid),
    getSoundboardSounds: typed("GET_SOUNDBOARD_SOUNDS", SoundboardSounds),
    playSoundboardSound: ({ guildId, soundId }, options) =>
      request("PLAY_SOUNDBOARD_SOUND", { guild_id: guildId, sound_id: soundId }, options).pipe(Effect.asVoid)
  })
})
