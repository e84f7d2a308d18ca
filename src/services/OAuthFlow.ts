/**
 * deckcord's `Authenticator`: the OAuth flow of spec §4.4, with the stored tokens.
 *
 * Stored token → AUTHENTICATE. Rejected (4009) → refresh → AUTHENTICATE. Refresh refused →
 * AUTHORIZE (`prompt: "none"` once a grant exists, else "consent") → exchange → AUTHENTICATE.
 * New tokens are persisted every time (refresh tokens rotate). Tokens close to expiry are
 * refreshed first, and a background fiber refreshes them ahead of expiry while deckcord runs.
 * A person-facing failure (cancelled, timed out, wrong secret, scope refused) ends in
 * `AuthenticationError({ retry: false })` with what to do; it is not retried by itself.
 *
 * @since 0.1.0
 */
import {
  Clock,
  Duration,
  Effect,
  FiberHandle,
  Layer,
  Option,
  Redacted,
  Ref,
  Schema,
  Semaphore
} from "effect"
import { RpcErrorCode } from "../protocol/RpcError.ts"
import { AuthorizeResult } from "../protocol/Message.ts"
import {
  type Authenticated,
  AuthenticationError,
  authenticateWith,
  type AuthSession,
  Authenticator
} from "./Authenticator.ts"
import { requiredScopes, type ScopeExtra, scopeExtraFor } from "./Config.ts"
import { isTransientOAuthError, OAuth, type OAuthCredentials, type OAuthError, type TokenGrant } from "./OAuth.ts"
import { redactTokens, type RpcRequestError } from "./RpcErrors.ts"
import { Settings, type StoredToken, TokenStore } from "./Settings.ts"

/** AUTHORIZE waits for a person to switch to Discord and click (spec §4.2: minutes). */
export const AUTHORIZE_TIMEOUT = Duration.minutes(5)

/**
 * Refresh a stored token this long before it expires. Tokens live 7 days (spec §4.3, §7.3);
 * a day's margin covers a machine that sleeps through the night.
 */
export const REFRESH_MARGIN = Duration.days(1)

/** After a failed background refresh (network, Discord trouble), try again this much later. */
export const BACKGROUND_REFRESH_RETRY = Duration.minutes(10)

/** @category models */
export interface OAuthFlowOptions {
  readonly authorizeTimeout?: Duration.Input
  readonly refreshMargin?: Duration.Input
  readonly backgroundRefreshRetry?: Duration.Input
}

/** How the Developer-Portal reality reads for someone who hit `invalid_scope` (spec §4.1). */
export const INVALID_SCOPE_HELP =
  "Discord refused the requested scopes (invalid_scope). Discord grants the rpc scopes only to the " +
  "application's owner (and its listed testers) unless Discord approved the app: create your OWN " +
  "application at https://discord.com/developers/applications with the Discord account you use, put " +
  "its Application ID and Client Secret in the config (`deckcord auth` does it), and add a redirect URI " +
  "such as http://localhost under OAuth2 → Redirects. If that is all true, Discord may be having an " +
  "incident with RPC authorization; try again later."

const REDIRECT_HELP =
  "the Discord application has no redirect URI: in the Developer Portal open your application → " +
  "OAuth2 → Redirects, add http://localhost, save, and run `deckcord auth` again"

const missingScopes = (granted: ReadonlyArray<string>, needed: ReadonlyArray<string>) =>
  needed.filter((s) => !granted.includes(s))

const fail = (message: string, retry: boolean) =>
  Effect.fail(new AuthenticationError({ message: redactTokens(message), retry }))

/** A failure of the token endpoint, as an authentication outcome. */
const fromOAuthError = (e: OAuthError, doing: string) => fail(`${doing}: ${e.message}`, isTransientOAuthError(e))

/** A failure of a request on the connection (AUTHENTICATE after a fresh grant, …). */
const fromRequestError = (e: RpcRequestError, doing: string) =>
  fail(`${doing}: ${e.message}`, e._tag !== "RpcCommandError" || e.code === RpcErrorCode.INVALID_COMMAND)

/** Why AUTHORIZE failed, phrased for a person (spec §4.2, §4.1). */
const authorizeFailure = (e: RpcRequestError, timeout: Duration.Duration) => {
  switch (e._tag) {
    case "RpcTimeoutError":
      return fail(
        `nobody answered Discord's authorization prompt within ${Duration.format(timeout)}; ` +
          "run `deckcord auth` (or restart deckcord) and click Authorize in Discord",
        false
      )
    case "RpcCommandError": {
      if (e.code === RpcErrorCode.INVALID_COMMAND) {
        // "Already authing": another AUTHORIZE is in flight; a fresh connection sorts it out
        return fail(`Discord refused AUTHORIZE (${e.detail}); reconnecting`, true)
      }
      if (e.code === RpcErrorCode.OAUTH2_ERROR) {
        if (/access_denied/i.test(e.detail)) {
          return fail("the authorization was cancelled in Discord; run `deckcord auth` when you want to authorize deckcord", false)
        }
        if (/invalid_scope/i.test(e.detail)) return fail(`${INVALID_SCOPE_HELP} (Discord said: ${e.detail})`, false)
        if (/redirect/i.test(e.detail)) return fail(`${REDIRECT_HELP} (Discord said: ${e.detail})`, false)
      }
      return fail(`Discord refused the authorization: ${e.message}`, false)
    }
    default:
      return fail(`authorization was interrupted: ${e.message}`, true)
  }
}

export class OAuthFlow {
  /** The OAuth flow as the `Authenticator`, with the default timeouts. */
  static readonly layer: Layer.Layer<Authenticator, never, Settings | TokenStore | OAuth> = Layer.effect(
    Authenticator,
    Effect.suspend(() => makeOAuthFlow({}))
  )

  static readonly layerWith = (
    options: OAuthFlowOptions
  ): Layer.Layer<Authenticator, never, Settings | TokenStore | OAuth> =>
    Layer.effect(Authenticator, makeOAuthFlow(options))
}

function makeOAuthFlow(options: OAuthFlowOptions) {
  return Effect.gen(function*() {
    const settings = yield* Settings
    const tokens = yield* TokenStore
    const oauth = yield* OAuth
    const authorizeTimeout = Duration.fromInputUnsafe(options.authorizeTimeout ?? AUTHORIZE_TIMEOUT)
    const margin = Duration.toMillis(Duration.fromInputUnsafe(options.refreshMargin ?? REFRESH_MARGIN))
    const retryDelay = Duration.fromInputUnsafe(options.backgroundRefreshRetry ?? BACKGROUND_REFRESH_RETRY)

    // one refresh at a time: refresh tokens rotate, so two concurrent refreshes would race
    const refreshLock = yield* Semaphore.make(1)
    const background = yield* FiberHandle.make<void, never>()
    const lastClientId = yield* Ref.make<string | undefined>(undefined)
    /** Scope sets already re-authorized for in this process: a second miss is not retried (no loop). */
    const reauthorizedFor = yield* Ref.make<ReadonlySet<string>>(new Set())
    /** Scope groups a refused command showed to be needed, beyond what the config asks for. */
    const refusedExtras = yield* Ref.make<ReadonlySet<ScopeExtra>>(new Set())
    /** Why the next `authenticate` must authorize again even if the stored grant looks complete. */
    const authorizeAgain = yield* Ref.make<string | undefined>(undefined)
    const scopesNeeded = Effect.gen(function*() {
      return requiredScopes(yield* settings.config, [...(yield* Ref.get(refusedExtras))])
    })

    const credentials = Effect.fnUntraced(function*(clientId: string) {
      const config = yield* settings.config
      if (config.clientSecret === undefined) {
        return yield* fail(
          `no clientSecret in ${settings.file}: deckcord needs the Client Secret of your Discord application ` +
            "to authorize; run `deckcord auth` to set it up",
          false
        )
      }
      return { clientId, clientSecret: config.clientSecret } satisfies OAuthCredentials
    })

    const save = (clientId: string, grant: TokenGrant) =>
      tokens.set(clientId, grant).pipe(
        // the session can go on; the cost is a prompt at the next start, so say so loudly
        Effect.catchTag("SettingsFileError", (e) =>
          Effect.logError(`${e.message}; deckcord will have to ask for authorization again next time`)
        )
      )

    /**
     * Refresh `from` unless someone already did (then use theirs), and persist the result.
     */
    const refreshStored = (creds: OAuthCredentials, from: StoredToken) =>
      Effect.gen(function*() {
        const current = yield* tokens.get(creds.clientId)
        if (
          Option.isSome(current) &&
          Redacted.value(current.value.refreshToken) !== Redacted.value(from.refreshToken)
        ) return current.value
        const grant = yield* oauth.refresh(creds, from.refreshToken)
        yield* save(creds.clientId, grant)
        yield* Effect.logInfo("refreshed the Discord access token")
        return grant
      }).pipe(refreshLock.withPermits(1))

    const authorize = (session: AuthSession, creds: OAuthCredentials, scopes: ReadonlyArray<string>, hadGrant: boolean) =>
      Effect.gen(function*() {
        const prompt = hadGrant ? "none" : "consent"
        yield* Effect.logWarning(
          "deckcord needs your authorization in Discord: switch to Discord and click Authorize " +
            `(waiting up to ${Duration.format(authorizeTimeout)})`
        )
        const reply = yield* session.request(
          "AUTHORIZE",
          { client_id: creds.clientId, scopes, prompt },
          { timeoutMillis: Duration.toMillis(authorizeTimeout) }
        ).pipe(Effect.catch((e) => authorizeFailure(e, authorizeTimeout)))
        const decoded = Schema.decodeUnknownResult(AuthorizeResult)(reply)
        if (decoded._tag === "Failure") return yield* fail("Discord's AUTHORIZE reply had no code", true)
        const grant = yield* oauth.exchangeCode(creds, Redacted.make(decoded.success.code)).pipe(
          Effect.catch((e) => fromOAuthError(e, "exchanging the authorization code failed"))
        )
        yield* save(creds.clientId, grant)
        const missing = missingScopes(grant.scopes, scopes)
        if (missing.length > 0) {
          return yield* fail(
            `Discord granted ${grant.scopes.join(" ") || "no scopes"} but deckcord needs ${missing.join(" ")}. ` +
              INVALID_SCOPE_HELP,
            false
          )
        }
        return yield* authenticateWith(session, grant.accessToken).pipe(
          Effect.catch((e) => fromRequestError(e, "AUTHENTICATE with the new token failed"))
        )
      })

    /** The stored grant falls short (`why`): authorize again, once per scope set per process. */
    const reauthorize = (session: AuthSession, creds: OAuthCredentials, scopes: ReadonlyArray<string>, why: string) =>
      Effect.gen(function*() {
        const key = scopes.join(" ")
        if ((yield* Ref.get(reauthorizedFor)).has(key)) {
          return yield* fail(`${why}, even after authorizing again. ${INVALID_SCOPE_HELP}`, false)
        }
        yield* Ref.update(reauthorizedFor, (s) => new Set(s).add(key))
        yield* Effect.logInfo(`${why}; asking Discord to authorize again`)
        return yield* authorize(session, creds, scopes, true)
      })

    const backgroundRefresh = (clientId: string): Effect.Effect<void> =>
      Effect.gen(function*() {
        while (true) {
          const stored = yield* tokens.get(clientId)
          if (Option.isNone(stored)) return
          const now = yield* Clock.currentTimeMillis
          yield* Effect.sleep(Duration.millis(Math.max(0, stored.value.expiresAt - margin - now)))
          const creds = yield* credentials(clientId).pipe(Effect.option)
          if (Option.isNone(creds)) return
          const outcome = yield* refreshStored(creds.value, stored.value).pipe(Effect.result)
          if (outcome._tag === "Failure") {
            const e = outcome.failure
            if (!isTransientOAuthError(e)) {
              return yield* Effect.logWarning(`could not refresh the Discord token ahead of expiry: ${e.message}`)
            }
            yield* Effect.logWarning(`could not refresh the Discord token (${e.message}); trying again in ${Duration.format(retryDelay)}`)
            yield* Effect.sleep(retryDelay)
          }
        }
      })

    const authenticate = (session: AuthSession): Effect.Effect<Authenticated | undefined, AuthenticationError> =>
      Effect.gen(function*() {
        const clientId = session.clientId
        yield* Ref.set(lastClientId, clientId)
        // consumed by this connection whatever path it takes, so it cannot linger to a later one
        const refused = yield* Ref.getAndSet(authorizeAgain, undefined)
        const scopes = yield* scopesNeeded
        const creds = yield* credentials(clientId)
        yield* tokens.reload // `deckcord auth` may have stored tokens while we were running
        const stored = yield* tokens.get(clientId)

        // first run: nothing stored
        if (Option.isNone(stored)) return yield* authorize(session, creds, scopes, false)

        let token = stored.value
        const missing = missingScopes(token.scopes, scopes)
        // AUTHORIZE is impossible after AUTHENTICATE on one socket (spec §7.3): decide now
        if (missing.length > 0) {
          return yield* reauthorize(session, creds, scopes, `the stored authorization lacks ${missing.join(" ")}`)
        }
        if (refused !== undefined) return yield* reauthorize(session, creds, scopes, refused)

        const refreshOrAuthorize = (from: StoredToken) =>
          refreshStored(creds, from).pipe(
            Effect.map((grant): StoredToken | undefined => grant),
            Effect.catch((e) =>
              e._tag === "OAuthInvalidGrant"
                ? Effect.logInfo("the stored refresh token is no longer valid; authorizing again").pipe(Effect.as(undefined))
                : fromOAuthError(e, "refreshing the Discord token failed")
            )
          )

        let refreshed = false
        const now = yield* Clock.currentTimeMillis
        if (token.expiresAt - now <= margin) {
          const next = yield* refreshOrAuthorize(token).pipe(
            // still valid for a while: a failed early refresh is not fatal
            Effect.catchIf(
              (e) => e.retry && token.expiresAt > now,
              (e) => Effect.logWarning(`${e.message}; using the stored token meanwhile`).pipe(Effect.as(token))
            )
          )
          if (next === undefined) return yield* authorize(session, creds, scopes, true)
          refreshed = next !== token
          token = next
        }

        const isRejected = (e: RpcRequestError) => e._tag === "RpcCommandError" && e.code === RpcErrorCode.INVALID_TOKEN
        const first = yield* authenticateWith(session, token.accessToken).pipe(Effect.result)
        if (first._tag === "Success") return first.success
        if (!isRejected(first.failure)) return yield* fromRequestError(first.failure, "AUTHENTICATE failed")
        if (refreshed) return yield* authorize(session, creds, scopes, true)
        // 4009: expired or revoked access token → refresh → AUTHENTICATE
        yield* Effect.logInfo("Discord rejected the stored access token; refreshing it")
        const next = yield* refreshOrAuthorize(token)
        if (next === undefined) return yield* authorize(session, creds, scopes, true)
        const second = yield* authenticateWith(session, next.accessToken).pipe(Effect.result)
        if (second._tag === "Success") return second.success
        if (isRejected(second.failure)) return yield* authorize(session, creds, scopes, true)
        return yield* fromRequestError(second.failure, "AUTHENTICATE with the refreshed token failed")
      }).pipe(
        Effect.tap((result) =>
          Effect.gen(function*() {
            const who = result?.user?.global_name ?? result?.user?.username ?? result?.user?.id ?? "unknown user"
            yield* Effect.logInfo(`authorized in Discord as ${who} (scopes: ${(result?.scopes ?? []).join(" ")})`)
            yield* FiberHandle.run(background, backgroundRefresh(session.clientId))
          })
        ),
        Effect.withSpan("OAuthFlow.authenticate")
      )

    const tokenRevoked = Effect.gen(function*() {
      yield* FiberHandle.clear(background)
      const clientId = (yield* Ref.get(lastClientId)) ?? (yield* settings.config).clientId
      if (clientId === undefined) return
      yield* Effect.logWarning(
        "Discord revoked deckcord's authorization (in Discord: Settings → Authorized Apps); " +
          "the stored tokens are dropped and deckcord will ask to authorize again"
      )
      yield* tokens.remove(clientId).pipe(Effect.catchTag("SettingsFileError", (e) => Effect.logError(e.message)))
    })

    const scopeRejected = ({ cmd, evt }: { readonly cmd: string; readonly evt?: string | undefined }) =>
      Effect.gen(function*() {
        const what = evt === undefined ? cmd : `${cmd} ${evt}`
        const extra = scopeExtraFor(cmd, evt)
        if (extra !== undefined) yield* Ref.update(refusedExtras, (s) => new Set(s).add(extra))
        const scopes = yield* scopesNeeded
        if ((yield* Ref.get(reauthorizedFor)).has(scopes.join(" "))) {
          yield* Effect.logError(
            `Discord refused ${what} for lack of an OAuth scope although deckcord authorized ${scopes.join(" ")} ` +
              `in this run; not asking again. ${INVALID_SCOPE_HELP}`
          )
          return false
        }
        // several refusals in a burst ask for one re-authorization
        if ((yield* Ref.get(authorizeAgain)) !== undefined) return false
        yield* Ref.set(authorizeAgain, `Discord refused ${what} for lack of an OAuth scope`)
        return true
      })

    return Authenticator.of({ authenticate, tokenRevoked, scopeRejected })
  })
}
