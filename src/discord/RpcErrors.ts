/**
 * The typed failures of a Discord RPC request, each with the fields a user needs.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { rpcErrorHint, rpcErrorName } from "../protocol/RpcError.ts"

/** Discord answered with an ERROR reply (docs/discord-rpc.md#error-codes). @category errors */
export class RpcCommandError extends Schema.TaggedError<RpcCommandError>()("RpcCommandError", {
  cmd: Schema.String,
  code: Schema.Number,
  /** Discord's message with any token redacted (a 4009 echoes the token, docs/discord-rpc.md#authenticate). */
  detail: Schema.String
}) {
  get codeName(): string {
    return rpcErrorName(this.code)
  }
  override get message(): string {
    const hint = rpcErrorHint(this.code, this.detail)
    return `${this.cmd} failed: ${this.code} ${this.codeName}: ${this.detail}${hint ? ` (${hint})` : ""}`
  }
}

/** Discord did not answer in time (docs/discord-rpc.md#matching-replies: arRPC never answers). @category errors */
export class RpcTimeoutError extends Schema.TaggedError<RpcTimeoutError>()("RpcTimeoutError", {
  cmd: Schema.String,
  timeoutMillis: Schema.Number
}) {
  override get message(): string {
    return `${this.cmd}: Discord did not answer within ${this.timeoutMillis} ms`
  }
}

/** The connection dropped while the request was in flight. @category errors */
export class ConnectionLostError extends Schema.TaggedError<ConnectionLostError>()("ConnectionLostError", {
  cmd: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.cmd}: the connection to Discord was lost before it answered (${this.reason})`
  }
}

/**
 * A command waited for a connection longer than its deadline and was dropped rather
 * than fired late (a mute pressed a minute ago must not land now). @category errors
 */
export class CommandExpiredError extends Schema.TaggedError<CommandExpiredError>()("CommandExpiredError", {
  cmd: Schema.String,
  waitedMillis: Schema.Number,
  /** Why it could not be sent in time, when not for want of a connection ("Discord was connected but …"). */
  reason: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.cmd} was not sent: ${this.reason ?? "Discord was not connected"} within ${this.waitedMillis} ms`
  }
}

/** Too many commands already wait for a connection. @category errors */
export class QueueFullError extends Schema.TaggedError<QueueFullError>()("QueueFullError", {
  cmd: Schema.String,
  capacity: Schema.Number
}) {
  override get message(): string {
    return `${this.cmd} was rejected: ${this.capacity} commands already wait for Discord to connect`
  }
}

/** Discord's reply did not have the documented shape. @category errors */
export class ReplyDecodeError extends Schema.TaggedError<ReplyDecodeError>()("ReplyDecodeError", {
  cmd: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.cmd}: unexpected reply from Discord: ${this.detail}`
  }
}

/** Every way a request can fail. @category errors */
export type RpcRequestError =
  | RpcCommandError
  | RpcTimeoutError
  | ConnectionLostError
  | CommandExpiredError
  | QueueFullError
  | ReplyDecodeError

const TOKEN_LIKE = /[A-Za-z0-9_\-.]{24,}/g

/**
 * Remove token-like strings from text Discord echoes back. Discord's 4009 message
 * contains the rejected access token verbatim (docs/discord-rpc.md#authenticate).
 */
export const redactTokens = (text: string): string => text.replace(TOKEN_LIKE, "<redacted>")
