/**
 * Requests and the command queue of the Discord client: deadlines (a command that would
 * arrive late is never sent), reply timeouts per command, the requests in flight on one
 * connection, and the bounded queue commands wait in while Discord is away.
 *
 * @since 0.2.0
 */
import { Context, type Deferred } from "effect"
import type { IpcConnection } from "./DiscordIpc.ts"
import type { CommandExpiredError, RpcRequestError } from "./RpcErrors.ts"

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

/** The deadline of something that entered at `enteredAt` and may wait `budgetMillis`. */
export const deadlineFrom = (enteredAt: number, budgetMillis: number = DEFAULT_COMMAND_DEADLINE_MILLIS): Deadline => ({
  enteredAt,
  expiresAt: enteredAt + budgetMillis
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
  readonly timeoutMillis?: number
  /** The command's own deadline (default: `CommandDeadline`, else `deadlineMillis` from now). */
  readonly deadline?: Deadline
  /**
   * How long the command may wait for a connection before it fails with
   * `CommandExpiredError` instead of firing late (default: the layer's `commandDeadline`).
   * Used only when there is no `deadline`.
   */
  readonly deadlineMillis?: number
}

/** A key press may wait this long for Discord; later it would surprise the user. */
export const DEFAULT_COMMAND_DEADLINE_MILLIS = 5_000
/** Enough for a burst of presses during a restart; more means something is stuck. */
export const DEFAULT_QUEUE_CAPACITY = 64
/** Ordinary replies come in milliseconds; 15 s is what working clients use (docs/discord-rpc.md#how-deckcord-is-built-on-this). */
export const DEFAULT_REQUEST_TIMEOUT_MILLIS = 15_000
/** AUTHORIZE waits for a person to click in Discord (docs/discord-rpc.md#authorize). */
export const AUTHORIZE_TIMEOUT_MILLIS = 5 * 60_000
/** SELECT_*_CHANNEL and GET_GUILD may wait their own `timeout` argument first (docs/discord-rpc.md#matching-replies). */
export const SERVER_WAIT_MARGIN_MILLIS = 10_000

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
