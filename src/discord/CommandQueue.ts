/**
 * Requests and the command queue of the Discord client: deadlines (a command that would
 * arrive late is never sent), reply timeouts per command, the requests in flight on one
 * connection, and the bounded queue commands wait in while Discord is away.
 *
 * @since 0.2.0
 */
import { Clock, Context, Deferred, Duration, Effect, Exit, Queue } from "effect"
import { randomUUID } from "node:crypto"
import { commandEnvelope } from "../protocol/Message.ts"
import type { IpcConnection } from "./DiscordIpc.ts"
import {
  CommandExpiredError,
  ConnectionLostError,
  QueueFullError,
  type RpcRequestError,
  RpcTimeoutError
} from "./RpcErrors.ts"

/**
 * When a command entered deckcord and the instant after which it must not be sent, both in
 * epoch milliseconds of the Effect `Clock`. A key press carries its deck input's time, so the
 * 5 s it may wait run from the press, not from whenever it reaches the wire.
 *
 * @category models
 */
export interface Deadline {
  readonly enteredAt: number
  readonly expiresAt: number
}

/**
 * Milliseconds of a `Duration.Input`; a number already is milliseconds, so a key press that
 * passes one pays no conversion.
 */
export const millisOf = (input: Duration.Input): number =>
  typeof input === "number" ? input : Duration.toMillis(Duration.fromInputUnsafe(input))

/** The deadline of something that entered at `enteredAt` (epoch milliseconds) and may wait `budget`. */
export const deadlineFrom = (enteredAt: number, budget?: Duration.Input): Deadline => ({
  enteredAt,
  expiresAt: enteredAt + (budget === undefined ? DEFAULT_COMMAND_DEADLINE_MILLIS : millisOf(budget))
})

/**
 * The deadline of every request made in this fiber, unless a request passes its own. Every
 * surface that turns an input into commands (the deck, a remote command, a plugin) sets it
 * around its handler from the input's own entry time:
 * `handler.pipe(Effect.provideService(CommandDeadline, deadlineFrom(input.at)))`.
 * A request past its deadline fails with `CommandExpiredError` and is never sent, also when
 * it waited for a reconnect in the command queue.
 *
 * @category references
 */
export const CommandDeadline = Context.Reference<Deadline | undefined>("deckcord/CommandDeadline", {
  defaultValue: () => undefined
})

/** @category models */
export interface RequestOptions {
  /** How long to wait for the reply once sent (default per command, docs/discord-rpc.md#matching-replies, docs/discord-rpc.md#how-deckcord-is-built-on-this). */
  readonly timeout?: Duration.Input
  /** The command's own deadline (default: `CommandDeadline`, else `deadlineIn` from now). */
  readonly deadline?: Deadline
  /**
   * How long the command may wait for a connection before it fails with
   * `CommandExpiredError` instead of firing late (default: the layer's `commandDeadline`).
   * Used only when there is no `deadline`.
   */
  readonly deadlineIn?: Duration.Input
}

/** A key press may wait this long for Discord; later it would surprise the user. */
export const DEFAULT_COMMAND_DEADLINE = Duration.seconds(5)
/** Enough for a burst of presses during a restart; more means something is stuck. */
export const DEFAULT_QUEUE_CAPACITY = 64
/** Ordinary replies come in milliseconds; 15 s is what working clients use (docs/discord-rpc.md#how-deckcord-is-built-on-this). */
export const DEFAULT_REQUEST_TIMEOUT = Duration.seconds(15)
/** AUTHORIZE waits for a person to click in Discord (docs/discord-rpc.md#authorize). */
export const AUTHORIZE_TIMEOUT = Duration.minutes(5)
/** SELECT_*_CHANNEL and GET_GUILD may wait their own `timeout` argument first (docs/discord-rpc.md#matching-replies). */
export const SERVER_WAIT_MARGIN = Duration.seconds(10)

// the same in the milliseconds the per-request timers take, converted once
const DEFAULT_COMMAND_DEADLINE_MILLIS = Duration.toMillis(DEFAULT_COMMAND_DEADLINE)
const AUTHORIZE_TIMEOUT_MILLIS = Duration.toMillis(AUTHORIZE_TIMEOUT)
const SERVER_WAIT_MARGIN_MILLIS = Duration.toMillis(SERVER_WAIT_MARGIN)

/** One live socket and what belongs to it. */
export interface Connection {
  readonly ipc: IpcConnection
  readonly pending: Map<string, Pending>
  authenticated: boolean
}

/** A sent request awaiting its reply. */
export interface Pending {
  readonly cmd: string
  /** The event of a (UN)SUBSCRIBE. */
  readonly evt: string | undefined
  readonly reply: Deferred.Deferred<unknown, RpcRequestError>
  /**
   * The reply timeout: a plain timer armed at send time, cleared by the reply. An Effect-level
   * timeout (a racing sleep fiber) cost ~3 µs per request on the hot path; this costs ~0.4 µs.
   */
  readonly timer: ReturnType<typeof setTimeout>
}

/** A command waiting in the queue for a Ready connection. */
export interface Queued {
  readonly cmd: string
  readonly args: Readonly<Record<string, unknown>>
  readonly timeoutMillis: number
  readonly deadline: Deadline
  status: "waiting" | "sent" | "expired"
  readonly sent: Deferred.Deferred<Connection, CommandExpiredError>
  nonce: string
  readonly reply: Deferred.Deferred<unknown, RpcRequestError>
}

export const replyTimeoutMillis = (
  cmd: string,
  args: Readonly<Record<string, unknown>>,
  fallback: number,
  explicit: number | undefined
): number => {
  if (explicit !== undefined) return explicit
  if (cmd === "AUTHORIZE") return AUTHORIZE_TIMEOUT_MILLIS
  if (cmd === "SELECT_VOICE_CHANNEL" || cmd === "SELECT_TEXT_CHANNEL" || cmd === "GET_GUILD") {
    const serverWait = typeof args.timeout === "number" ? args.timeout * 1000 : 0
    return serverWait + SERVER_WAIT_MARGIN_MILLIS
  }
  return fallback
}

// ---------------------------------------------------------------------------------------------
// the queue
// ---------------------------------------------------------------------------------------------

/** What the queue needs from the client that owns it. */
export interface CommandQueueOptions {
  /** Commands that may wait for a connection at once. */
  readonly capacity: number
  /** How long a command may wait when it brings no deadline of its own. */
  readonly deadlineMillis: number
  /** Reply timeout for ordinary commands once sent. */
  readonly requestTimeoutMillis: number
  /** The connection in use now, if any (a command goes out at once only on an authenticated one). */
  readonly current: () => Connection | undefined
}

/**
 * The requests of one client: sent at once on a Ready connection while nothing waits, else
 * queued in order until `drain` runs for the next Ready connection. Synchronous bookkeeping
 * (plain maps, timers, status flags) because this is the hot path of every command.
 */
export const makeCommandQueue = Effect.fnUntraced(function*(options: CommandQueueOptions) {
  const { capacity, current, deadlineMillis, requestTimeoutMillis } = options
  const waiting = yield* Queue.dropping<Queued>(capacity)
  let liveWaiting = 0

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
      const nonce = write(connection, cmd, args, reply, replyTimeoutMillis(cmd, args, requestTimeoutMillis, timeoutMillis), evt)
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
    timeoutMillis: number | undefined,
    deadline: Deadline,
    now: number
  ): Effect.Effect<unknown, RpcRequestError> =>
    Effect.suspend(() => {
      const item: Queued = {
        cmd,
        args,
        timeoutMillis: replyTimeoutMillis(cmd, args, requestTimeoutMillis, timeoutMillis),
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
        deadlineFrom(now, options.deadlineIn ?? deadlineMillis)
      // late is worse than never: a mute pressed long ago must not land now
      if (now >= deadline.expiresAt) return Effect.fail(expired(cmd, deadline, now))
      const timeoutMillis = options.timeout === undefined ? undefined : millisOf(options.timeout)
      const connection = current()
      // the fast path keeps order: only when nothing queued could be overtaken
      if (connection?.authenticated && liveWaiting === 0) {
        return sendNow(connection, cmd, args, timeoutMillis)
      }
      return enqueue(cmd, args, timeoutMillis, deadline, now)
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

  /** Fail what still waits for a connection: the client is closing, none will come. */
  const shutdown = Effect.sync(() => {
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

  return {
    release,
    write,
    awaitReply,
    sendNow,
    request,
    drain,
    failPending,
    shutdown,
    /** Commands waiting for a connection. */
    queued: (): number => liveWaiting
  }
})

/** @category models */
export type CommandQueue = Effect.Success<ReturnType<typeof makeCommandQueue>>
