/**
 * The seam between the connection and authorization: after READY, `DiscordRpc` hands the
 * fresh connection to the `Authenticator`, and voice commands flow only once it succeeds.
 * deckcord's OAuth flow (token store, refresh, AUTHORIZE) is one implementation; a static
 * token and "no authentication" are the simple ones here.
 *
 * @since 0.1.0
 */
import { Context, type Duration, Effect, Layer, Redacted, Schema } from "effect"
import { AuthenticateResult } from "../protocol/Message.ts"
import { ReplyDecodeError, type RpcRequestError } from "./RpcErrors.ts"

/** What an authenticator may do on the connection being set up (before it is Ready). */
export interface AuthSession {
  /** The application id the connection handshook with. */
  readonly clientId: string
  /** Send a command on this connection now, bypassing the command queue. */
  readonly request: (
    cmd: string,
    args: Readonly<Record<string, unknown>>,
    options?: { readonly timeout?: Duration.Input }
  ) => Effect.Effect<unknown, RpcRequestError>
}

/** Who is authenticated, with which scopes (from AUTHENTICATE's reply). */
export type Authenticated = AuthenticateResult

/**
 * Authentication failed in a way retrying the same connection cannot fix. `retry` says
 * whether the supervisor should reconnect and try again by itself (a revoked token: no,
 * the user must run `deckcord auth`; a network blip on the token endpoint: yes). `hint` is
 * what the user should do, when the default for `retry` does not say it right.
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", {
  message: Schema.String,
  retry: Schema.Boolean,
  hint: Schema.optionalKey(Schema.String)
}) {}

/** The hint for a failure deckcord recovers from without anyone's help. */
export const RETRIES_BY_ITSELF_HINT = "nothing to do: deckcord retries by itself"

/** What the user should do about an authentication failure, for the connection state. */
export const authenticationHint = (e: AuthenticationError): string =>
  e.hint ?? (e.retry ? RETRIES_BY_ITSELF_HINT : "run `deckcord auth`")

export class Authenticator extends Context.Service<Authenticator, {
  readonly authenticate: (session: AuthSession) => Effect.Effect<Authenticated | undefined, AuthenticationError>
  /**
   * Discord closed the connection with 4003: the user revoked deckcord's authorization
   * (docs/discord-rpc.md#close-codes, docs/discord-rpc.md#restarts-and-reconnects). Stored tokens must be dropped; the next `authenticate` authorizes anew.
   */
  readonly tokenRevoked: Effect.Effect<void>
  /**
   * Discord refused a command (or a SUBSCRIBE to `evt`) with a missing-scope 4006 on an
   * authenticated connection. True asks the connection to reconnect so the next
   * `authenticate` can authorize again (a socket cannot AUTHORIZE after AUTHENTICATE, 
   * docs/discord-rpc.md#authorization-pitfalls); implementations answer true at most once per scope set, so this never loops.
   */
  readonly scopeRejected: (refused: { readonly cmd: string; readonly evt?: string | undefined }) => Effect.Effect<boolean>
}>()("deckcord/Authenticator") {
  /** Skip AUTHENTICATE: only LOCAL-scope commands work (docs/discord-rpc.md#scopes-per-command), e.g. GET_SOUNDBOARD_SOUNDS. */
  static readonly none: Layer.Layer<Authenticator> = Layer.succeed(Authenticator, {
    authenticate: () => Effect.succeed(undefined),
    tokenRevoked: Effect.void,
    scopeRejected: () => Effect.succeed(false)
  })

  /** AUTHENTICATE with a fixed access token. */
  static readonly accessToken = (token: Redacted.Redacted<string>): Layer.Layer<Authenticator> =>
    Layer.succeed(Authenticator, {
      authenticate: (session) =>
        authenticateWith(session, token).pipe(
          Effect.mapError((e) =>
            new AuthenticationError({
              message: `AUTHENTICATE with the configured token failed: ${e.message}`,
              // a rejected token stays rejected; anything else (timeout, drop) may pass next time
              retry: e._tag !== "RpcCommandError"
            })
          )
        ),
      tokenRevoked: Effect.void,
      // a fixed token cannot gain scopes; the error's hint says what to do
      scopeRejected: () => Effect.succeed(false)
    })
}

/** Send AUTHENTICATE with a token and decode the reply. Shared by every implementation. */
export const authenticateWith = (
  session: AuthSession,
  token: Redacted.Redacted<string>
): Effect.Effect<Authenticated, RpcRequestError> =>
  session.request("AUTHENTICATE", { access_token: Redacted.value(token) }).pipe(
    Effect.flatMap((data) =>
      Schema.decodeUnknownEffect(AuthenticateResult)(data).pipe(
        Effect.mapError((e) => new ReplyDecodeError({ cmd: "AUTHENTICATE", detail: e.message }))
      )
    )
  )
