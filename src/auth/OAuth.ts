/**
 * Discord's OAuth2 token endpoint (docs/discord-rpc.md#token-exchange): exchange an AUTHORIZE code for tokens, and
 * refresh them. Form-encoded POSTs over one keep-alive HTTP connection; responses decoded
 * with Schema; every failure a typed error whose message says what to do.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Redacted, Schema } from "effect"
import { HttpClient, HttpClientRequest, type HttpClientResponse } from "effect/http"

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/** The application's credentials, from the config. @category models */
export interface OAuthCredentials {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
}

/** Tokens from the endpoint, with the expiry made absolute. @category models */
export interface TokenGrant {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string>
  /** Epoch milliseconds. */
  readonly expiresAt: number
  readonly scopes: ReadonlyArray<string>
}

/** The token endpoint's success body (docs/discord-rpc.md#token-exchange). */
const TokenResponse = Schema.Struct({
  access_token: Schema.String,
  refresh_token: Schema.String,
  /** SECONDS (a popular client library treats it as milliseconds, docs/discord-rpc.md#token-exchange). */
  expires_in: Schema.Number.check(Schema.isFinite(), Schema.isGreaterThan(0)),
  scope: Schema.String,
  token_type: Schema.optionalKey(Schema.String)
})

const OAuthErrorBody = Schema.Struct({
  error: Schema.String,
  error_description: Schema.optionalKey(Schema.String)
})

const RateLimitBody = Schema.Struct({ retry_after: Schema.Number })

// ---------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------

const grantName = (grant: GrantType) => (grant === "authorization_code" ? "authorization code" : "refresh token")

/** @category models */
export type GrantType = "authorization_code" | "refresh_token"

/** The code or refresh token is not valid (any more): authorize again. @category errors */
export class OAuthInvalidGrant extends Schema.TaggedError<OAuthInvalidGrant>()("OAuthInvalidGrant", {
  grant: Schema.Literals(["authorization_code", "refresh_token"]),
  description: Schema.String
}) {
  override get message(): string {
    return `Discord rejected the ${grantName(this.grant)} (invalid_grant: ${this.description}); ` +
      "it is no longer valid, so deckcord has to ask you to authorize again"
  }
}

/**
 * The endpoint refused the scopes of a grant (invalid_scope). Discord has done this for scopes
 * it granted before, to everyone at once, during incidents (Dec 2022, Apr 2025): not a reason
 * to drop the stored authorization. @category errors
 */
export class OAuthInvalidScope extends Schema.TaggedError<OAuthInvalidScope>()("OAuthInvalidScope", {
  grant: Schema.Literals(["authorization_code", "refresh_token"]),
  description: Schema.String
}) {
  override get message(): string {
    return `Discord's token endpoint refused the scopes of the ${grantName(this.grant)} (invalid_scope: ${this.description})`
  }
}

/** The client id / secret pair is wrong. @category errors */
export class OAuthInvalidClient extends Schema.TaggedError<OAuthInvalidClient>()("OAuthInvalidClient", {
  clientId: Schema.String,
  description: Schema.String
}) {
  override get message(): string {
    return `Discord rejected the client credentials of application ${this.clientId} (invalid_client: ${this.description}): ` +
      "the clientSecret in the config is wrong or was reset. Copy it from the Developer Portal " +
      "(your application → OAuth2 → Client Secret) and run `deckcord auth`"
  }
}

/** Discord's rate limiter said wait. @category errors */
export class OAuthRateLimited extends Schema.TaggedError<OAuthRateLimited>()("OAuthRateLimited", {
  retryAfterSeconds: Schema.Number
}) {
  override get message(): string {
    return `Discord's token endpoint is rate limiting deckcord (it asked to wait ${this.retryAfterSeconds} s)`
  }
}

/** A 5xx: trouble on Discord's side. @category errors */
export class OAuthServerError extends Schema.TaggedError<OAuthServerError>()("OAuthServerError", {
  status: Schema.Number
}) {
  override get message(): string {
    return `Discord's token endpoint failed (HTTP ${this.status}); this is on Discord's side`
  }
}

/** No answer in time. @category errors */
export class OAuthTimeout extends Schema.TaggedError<OAuthTimeout>()("OAuthTimeout", {
  timeoutMillis: Schema.Number
}) {
  override get message(): string {
    return `Discord's token endpoint did not answer within ${this.timeoutMillis} ms (a slow or broken network, or trouble at Discord)`
  }
}

/** The endpoint could not be reached. @category errors */
export class OAuthNetworkError extends Schema.TaggedError<OAuthNetworkError>()("OAuthNetworkError", {
  detail: Schema.String
}) {
  override get message(): string {
    return `could not reach Discord's token endpoint (${this.detail}): is the network down?`
  }
}

/**
 * A success status whose body is not a token response (a proxy's page, a truncated reply, a
 * hiccup at Discord). Nothing definitive was said about the code or refresh token, so it is
 * worth trying again, as for a 5xx. @category errors
 */
export class OAuthMalformedResponse extends Schema.TaggedError<OAuthMalformedResponse>()("OAuthMalformedResponse", {
  status: Schema.Number,
  detail: Schema.String
}) {
  override get message(): string {
    return `Discord's token endpoint answered HTTP ${this.status} with something that is not a token response ` +
      `(${this.detail}); a proxy in between or a hiccup at Discord`
  }
}

/** Any other refusal, or an error status with an unexpected body. @category errors */
export class OAuthResponseError extends Schema.TaggedError<OAuthResponseError>()("OAuthResponseError", {
  status: Schema.Number,
  detail: Schema.String
}) {
  override get message(): string {
    return `unexpected answer from Discord's token endpoint (HTTP ${this.status}): ${this.detail}`
  }
}

/** @category errors */
export type OAuthError =
  | OAuthInvalidGrant
  | OAuthInvalidClient
  | OAuthInvalidScope
  | OAuthRateLimited
  | OAuthServerError
  | OAuthTimeout
  | OAuthNetworkError
  | OAuthMalformedResponse
  | OAuthResponseError

/**
 * Whether trying again later can help (a network blip, an unreadable reply) or a person must
 * act (a bad secret, a code Discord declared invalid).
 */
export const isTransientOAuthError = (e: OAuthError): boolean =>
  e._tag === "OAuthRateLimited" || e._tag === "OAuthServerError" || e._tag === "OAuthTimeout" ||
  e._tag === "OAuthNetworkError" || e._tag === "OAuthMalformedResponse"

// ---------------------------------------------------------------------------------------------
// the service
// ---------------------------------------------------------------------------------------------

/** Discord's API base; the token endpoint is `<base>/oauth2/token`. */
export const DISCORD_API_BASE = "https://discord.com/api"

/** One token request may take this long: generous for a slow link, short enough for a CLI. */
export const TOKEN_REQUEST_TIMEOUT = Duration.seconds(15)

/** Wait out a 429 by ourselves only when it is this short; longer, report it and let the caller decide. */
export const MAX_RETRY_AFTER_WAIT = Duration.seconds(10)

/** @category models */
export interface OAuthOptions {
  /** Default `https://discord.com/api`; a `FakeOAuth`'s `baseUrl` in tests. */
  readonly baseUrl?: string
  readonly timeout?: Duration.Input
  readonly maxRetryAfterWait?: Duration.Input
}

export class OAuth extends Context.Service<OAuth, {
  /** Exchange the code AUTHORIZE returned for tokens. */
  readonly exchangeCode: (
    credentials: OAuthCredentials,
    code: Redacted.Redacted<string>
  ) => Effect.Effect<TokenGrant, OAuthError>
  /** Refresh; Discord usually rotates the refresh token, so persist the result every time. */
  readonly refresh: (
    credentials: OAuthCredentials,
    refreshToken: Redacted.Redacted<string>
  ) => Effect.Effect<TokenGrant, OAuthError>
}>()("deckcord/OAuth") {
  /** Over the `HttpClient` in context (tests give it a fake or a timed one); `layerWith` brings its own. */
  static readonly layerOverHttpClient = (options: OAuthOptions = {}): Layer.Layer<OAuth, never, HttpClient.HttpClient> =>
    Layer.effect(OAuth, make(options))

  /**
   * With its own node:http client whose agent keeps ONE connection alive and reuses it
   * (token requests are rare and sequential; a fresh TLS handshake each time is waste).
   */
  static readonly layerWith = (options: OAuthOptions = {}): Layer.Layer<OAuth> =>
    OAuth.layerOverHttpClient(options).pipe(Layer.provide(keepAliveHttpClient()))

  static readonly layer: Layer.Layer<OAuth> = OAuth.layerWith()
}

/**
 * node:http with keep-alive, built on the first request: its https agent initialises TLS
 * (~5 MiB, milliseconds of start-up), and most runs of the daemon never refresh a token.
 */
export function keepAliveHttpClient(): Layer.Layer<HttpClient.HttpClient> {
  return nodeHttpClientOnFirstUse({ keepAlive: true, maxSockets: 1 })
}

/** node:http's client with an agent of these options, its code loaded and built on the first request. */
export function nodeHttpClientOnFirstUse(agent: { readonly keepAlive: boolean; readonly maxSockets: number }): Layer.Layer<HttpClient.HttpClient> {
  return httpClientOnFirstUse(Layer.unwrap(
    Effect.promise(() => import("@effect/platform-node/NodeHttpClient")).pipe(
      Effect.map((NodeHttpClient) => NodeHttpClient.layerNodeHttpOptions(agent))
    )
  ))
}

/** An `HttpClient` that builds `layer` (in its own scope) when the first request is made. */
export function httpClientOnFirstUse(layer: Layer.Layer<HttpClient.HttpClient>): Layer.Layer<HttpClient.HttpClient> {
  return Layer.effect(
    HttpClient.HttpClient,
    Effect.gen(function*() {
      const scope = yield* Effect.scope
      const real = yield* Effect.cached(
        Layer.buildWithScope(layer, scope).pipe(Effect.map((services) => Context.get(services, HttpClient.HttpClient)))
      )
      return HttpClient.make((request) => Effect.flatMap(real, (client) => client.execute(request)))
    })
  )
}

function make(options: OAuthOptions) {
  return Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const endpoint = `${(options.baseUrl ?? DISCORD_API_BASE).replace(/\/+$/, "")}/oauth2/token`
    const timeout = Duration.fromInputUnsafe(options.timeout ?? TOKEN_REQUEST_TIMEOUT)
    const maxWait = Duration.fromInputUnsafe(options.maxRetryAfterWait ?? MAX_RETRY_AFTER_WAIT)

    const readJson = (response: HttpClientResponse.HttpClientResponse) =>
      response.text.pipe(
        Effect.map((text): unknown => {
          try {
            return JSON.parse(text)
          } catch {
            return undefined
          }
        }),
        Effect.orElseSucceed((): unknown => undefined)
      )

    const classify = (grant: GrantType, clientId: string, response: HttpClientResponse.HttpClientResponse) =>
      Effect.gen(function*() {
        const body = yield* readJson(response)
        if (response.status >= 200 && response.status < 300) {
          const decoded = Schema.decodeUnknownResult(TokenResponse)(body)
          if (decoded._tag === "Failure") {
            // the issue text names fields, never their values: safe to show
            return yield* new OAuthMalformedResponse({
              status: response.status,
              detail: `not a token response: ${body === undefined ? "the body is not JSON" : decoded.failure.message}`
            })
          }
          const now = yield* Clock.currentTimeMillis
          const t = decoded.success
          return {
            accessToken: Redacted.make(t.access_token),
            refreshToken: Redacted.make(t.refresh_token),
            expiresAt: now + t.expires_in * 1000,
            scopes: t.scope.split(" ").filter((s) => s.length > 0)
          } satisfies TokenGrant
        }
        if (response.status === 429) {
          const header = Number(response.headers["retry-after"])
          const fromBody = Schema.decodeUnknownResult(RateLimitBody)(body)
          const seconds = Number.isFinite(header) && header >= 0
            ? header
            : fromBody._tag === "Success"
            ? fromBody.success.retry_after
            : 1
          return yield* new OAuthRateLimited({ retryAfterSeconds: seconds })
        }
        if (response.status >= 500) return yield* new OAuthServerError({ status: response.status })
        const err = Schema.decodeUnknownResult(OAuthErrorBody)(body)
        const error = err._tag === "Success" ? err.success.error : undefined
        const description = err._tag === "Success" ? err.success.error_description ?? error ?? "" : ""
        if (error === "invalid_grant") return yield* new OAuthInvalidGrant({ grant, description })
        if (error === "invalid_scope") return yield* new OAuthInvalidScope({ grant, description })
        if (error === "invalid_client" || response.status === 401) {
          return yield* new OAuthInvalidClient({ clientId, description: description || "unauthorized" })
        }
        return yield* new OAuthResponseError({
          status: response.status,
          detail: error === undefined ? "no OAuth error in the body" : `${error}${description ? `: ${description}` : ""}`
        })
      })

    const attempt = (grant: GrantType, clientId: string, request: HttpClientRequest.HttpClientRequest) =>
      http.execute(request).pipe(
        // A reused keep-alive connection the server just closed fails before the request
        // is processed: one immediate retry, then report.
        Effect.retry({ times: 1, while: (e) => e.reason._tag === "TransportError" }),
        Effect.mapError((e) =>
          // describe without the request: its body holds the client secret
          new OAuthNetworkError({ detail: e.reason._tag === "TransportError" ? describeCause(e.reason.cause) : e.reason._tag })
        ),
        Effect.flatMap((response) => classify(grant, clientId, response)),
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.fail(new OAuthTimeout({ timeoutMillis: Duration.toMillis(timeout) }))
        })
      )

    const post = (grant: GrantType, credentials: OAuthCredentials, fields: Record<string, string>) => {
      const request = HttpClientRequest.post(endpoint).pipe(
        HttpClientRequest.acceptJson,
        // form-encoded; Discord refuses JSON. No redirect_uri for the RPC flow (docs/discord-rpc.md#token-exchange).
        HttpClientRequest.bodyUrlParams({
          grant_type: grant,
          ...fields,
          client_id: credentials.clientId,
          client_secret: Redacted.value(credentials.clientSecret)
        })
      )
      return attempt(grant, credentials.clientId, request).pipe(
        Effect.catchTag("OAuthRateLimited", (e) =>
          Duration.toMillis(Duration.seconds(e.retryAfterSeconds)) <= Duration.toMillis(maxWait)
            ? Effect.logInfo(`Discord's token endpoint asked to wait ${e.retryAfterSeconds} s; retrying once`).pipe(
              Effect.andThen(Effect.sleep(Duration.seconds(e.retryAfterSeconds))),
              Effect.andThen(attempt(grant, credentials.clientId, request))
            )
            : Effect.fail(e)
        ),
        Effect.withSpan(`OAuth.${grant}`)
      )
    }

    return OAuth.of({
      exchangeCode: (credentials, code) => post("authorization_code", credentials, { code: Redacted.value(code) }),
      refresh: (credentials, refreshToken) =>
        post("refresh_token", credentials, { refresh_token: Redacted.value(refreshToken) })
    })
  })
}

const describeCause = (cause: unknown): string => {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    return typeof code === "string" ? `${code}: ${cause.message}` : cause.message
  }
  return String(cause)
}
