/**
 * What the client reports about its connection: the state and, when disconnected, why. Its
 * own module because the transport (`DiscordIpc`) names its close reason with it and the
 * client (`DiscordRpc`) builds on the transport, not the other way round.
 *
 * @since 0.1.0
 */
import type { AuthenticateResult, User } from "../protocol/Message.ts"

/** Why deckcord is not connected, phrased for the user, with the fix where there is one. */
export interface DisconnectReason {
  readonly _tag:
    | "NotStarted"
    | "NotConfigured" // no application (client) id yet: run `deckcord auth`
    | "NoDiscord" // no socket accepts: Discord is not running (or not visible from a sandbox)
    | "ArRpcOnly" // only arRPC / Vesktop answered (docs/discord-rpc.md#skipping-arrpc-and-vesktop)
    | "Closed" // Discord sent CLOSE or the socket ended
    | "HandshakeFailed"
    | "AuthenticationFailed"
    | "ProtocolError" // undecodable bytes from the server
    | "InternalError" // a bug in deckcord's connection code: logged with its cause, retried after backoff
  readonly message: string
  readonly hint?: string
  /** Discord's close code, when it sent one. */
  readonly closeCode?: number
  /** An authentication failure deckcord retries by itself (nobody needs to run `deckcord auth`). */
  readonly retrying?: boolean
}

/** @category models */
export type ConnectionState =
  | {
    readonly _tag: "Disconnected"
    readonly reason: DisconnectReason
    /** When deckcord tries again by itself, once it has decided (absent: at once, or waiting for `reconnect`). */
    readonly retryInMillis?: number
  }
  | { readonly _tag: "Connecting" }
  | { readonly _tag: "Authenticating"; readonly user: User | undefined }
  | {
    readonly _tag: "Ready"
    readonly user: User | undefined
    /** AUTHENTICATE's result; undefined when no authentication was configured. */
    readonly authenticated: AuthenticateResult | undefined
    /** The socket path in use. */
    readonly socketPath: string
  }
