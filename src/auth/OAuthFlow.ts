/**
 * deckcord's `Authenticator`: the OAuth flow of docs/discord-rpc.md#authenticate, with the stored tokens.
 *
 * Stored token → AUTHENTICATE. Rejected (4009) → refresh → AUTHENTICATE. Refresh refused →
 * AUTHORIZE (`prompt: "none"` once a grant exists, else "consent") → exchange → AUTHENTICATE.
 * New tokens are persisted every time (refresh tokens rotate). A background fiber refreshes
 * them ahead of expiry while deckcord runs, for any lifetime Discord hands out.
 *
 * One authorization attempt shows Discord's prompt at most once: the code AUTHORIZE returns
 * is kept until it is exchanged, so a token endpoint that fails for a while (network, 5xx,
 * 429, timeouts, a reply that does not decode) is retried with the same code on the next
 * connection, never with a new prompt. A code Discord rejects (invalid_grant: expired, or
 * used) is dead: it is dropped and the next connection starts one new attempt; a second
 * rejected code in a row waits for the user instead, so a rejecting endpoint never loops
 * prompts. Refreshes and exchanges run detached from the connection that asked for them, one
 * at a time: a connection dropping mid-request neither aborts it nor starts a second one, and
 * what its outcome means for the code is settled there, whoever (if anyone) still waits.
 *
 * A person-facing failure (cancelled, timed out, wrong secret, scope refused) ends in
 * `AuthenticationError({ retry: false })` with what to do; it is not retried by itself.
 * Scopes Discord granted before and now refuses (invalid_scope) are an incident on Discord's
 * side: the stored tokens stay, and deckcord asks again after a growing pause.
 *
 * Over 400 lines because it is one state machine: the refresh in flight, the open
 * code, the outage pause and the refused scopes are state each step reads and sets in one
 * synchronous step; its failure messages are in `authFailures.ts`.
 *
 * @since 0.1.0
 */
import { Clock, Deferred, Duration, Effect, FiberHandle, FiberSet, Layer, Option, Redacted, Ref, Schema } from "effect"
import { RpcErrorCode } from "../protocol/RpcError.ts"
import { AuthorizeResult } from "../protocol/Message.ts"
import {
  type Authenticated,
  AuthenticationError,
  authenticateWith,
  type AuthSession,
  Authenticator
} from "../discord/Authenticator.ts"
import { oauthScopes, type ScopeExtra, scopeExtraFor } from "../protocol/Scopes.ts"
import { AUTHORIZE_TIMEOUT } from "../discord/DiscordRpc.ts"
import { isTransientOAuthError, OAuth, type OAuthCredentials, type OAuthError, type TokenGrant } from "./OAuth.ts"
import type { RpcRequestError } from "../discord/RpcErrors.ts"
import { Settings } from "../config/Settings.ts"
import { ScopePolicy } from "./ScopePolicy.ts"
import { type StoredToken, TokenStore } from "./TokenStore.ts"
import {
  ASK_AGAIN_HINT,
  authorizeFailure,
  fail,
  fromOAuthError,
  fromRequestError,
  fromScopeOutage,
  INVALID_SCOPE_HELP,
  isInvalidScope,
  missingScopes,
  NEW_PROMPT_HINT,
  sameScopes,
  SCOPE_OUTAGE_HELP,
  ScopeOutage
} from "./authFailures.ts"

export { INVALID_SCOPE_HELP, SCOPE_OUTAGE_HELP } from "./authFailures.ts"

/**
 * AUTHORIZE waits for a person to switch to Discord and click (docs/discord-rpc.md#authorize: minutes): the
 * client's own timeout for that command.
 */
export { AUTHORIZE_TIMEOUT }

/**
 * Refresh a stored token this long before it expires. Tokens live 7 days (docs/discord-rpc.md#token-exchange, docs/discord-rpc.md#authorization-pitfalls);
 * a day's margin covers a machine that sleeps through the night.
 */
export const REFRESH_MARGIN = Duration.days(1)

/**
 * A token with less than the margin left is refreshed once this fraction of what is left has
 * passed (a 1-hour token after 30 minutes), so a short lifetime never means "refresh now".
 */
export const REFRESH_FRACTION = 0.5

/** Two refreshes are never closer than this, whatever lifetime Discord hands out. */
export const MIN_REFRESH_INTERVAL = Duration.minutes(1)

/** After a failed background refresh (network, Discord trouble), try again this much later. */
export const BACKGROUND_REFRESH_RETRY = Duration.minutes(10)

/**
 * After Discord refused scopes it had granted before (an incident on its side), the next
 * AUTHORIZE waits this long; the pause doubles up to `SCOPE_OUTAGE_RETRY_CAP`.
 */
export const SCOPE_OUTAGE_RETRY = Duration.minutes(1)
export const SCOPE_OUTAGE_RETRY_CAP = Duration.minutes(30)

/** @category models */
export interface OAuthFlowOptions {
  readonly authorizeTimeout?: Duration.Input
  readonly refreshMargin?: Duration.Input
  /** Between 0 and 1; default `REFRESH_FRACTION`. */
  readonly refreshFraction?: number
  readonly minRefreshInterval?: Duration.Input
  readonly backgroundRefreshRetry?: Duration.Input
  readonly scopeOutageRetry?: Duration.Input
  readonly scopeOutageRetryCap?: Duration.Input
}

/**
 * How long to wait before refreshing a token with `remainingMillis` left: until `margin`
 * before expiry, or, when less than the margin is left, `fraction` of what is left.
 */
export const refreshDelayMillis = (remainingMillis: number, marginMillis: number, fraction = REFRESH_FRACTION): number =>
  remainingMillis > marginMillis ? remainingMillis - marginMillis : Math.max(0, remainingMillis * fraction)

/** A code AUTHORIZE returned that is not exchanged yet: the attempt it belongs to is still open. */
interface PendingCode {
  readonly clientId: string
  readonly code: Redacted.Redacted<string>
  readonly scopes: ReadonlyArray<string>
  /** Why this attempt re-authorizes a grant that looked complete (a command refused for scope). */
  readonly refusal: string | undefined
  inFlight: Deferred.Deferred<TokenGrant, OAuthError> | undefined
  /** Set when Discord rejected this code: how many codes in a row it has rejected, this one included. */
  rejectedInARow: number | undefined
}

export class OAuthFlow {
  /** The OAuth flow as the `Authenticator`, with the default timeouts. */
  static readonly layer: Layer.Layer<Authenticator, never, Settings | TokenStore | OAuth> = Layer.effect(
    Authenticator,
    makeOAuthFlow({})
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
    const millis = (input: Duration.Input | undefined, fallback: Duration.Duration) =>
      Duration.toMillis(Duration.fromInputUnsafe(input ?? fallback))
    const authorizeTimeout = Duration.fromInputUnsafe(options.authorizeTimeout ?? AUTHORIZE_TIMEOUT)
    const margin = millis(options.refreshMargin, REFRESH_MARGIN)
    const fraction = Math.min(1, Math.max(0, options.refreshFraction ?? REFRESH_FRACTION))
    const minInterval = millis(options.minRefreshInterval, MIN_REFRESH_INTERVAL)
    const retryDelay = Duration.fromInputUnsafe(options.backgroundRefreshRetry ?? BACKGROUND_REFRESH_RETRY)
    const outageBase = millis(options.scopeOutageRetry, SCOPE_OUTAGE_RETRY)
    const outageCap = millis(options.scopeOutageRetryCap, SCOPE_OUTAGE_RETRY_CAP)

    const background = yield* FiberHandle.make<void, never>()
    /** Token requests run here, not in the connection that asked: a drop must not abort them. */
    const detached = yield* FiberSet.make<void, never>()
    const lastClientId = yield* Ref.make<string | undefined>(undefined)
    /** Scope sets authorized for (a grant came back) in this process: a second miss is not retried (no loop). */
    const reauthorizedFor = yield* Ref.make<ReadonlySet<string>>(new Set())
    /** Scope groups a refused command showed to be needed, beyond what the config asks for. */
    const refusedExtras = yield* Ref.make<ReadonlySet<ScopeExtra>>(new Set())
    /** Why the next `authenticate` must authorize again even if the stored grant looks complete. */
    const authorizeAgain = yield* Ref.make<string | undefined>(undefined)
    const policy = yield* ScopePolicy
    const scopesNeeded = Effect.gen(function*() {
      const wanted = yield* policy.extras(yield* settings.config)
      return oauthScopes([...wanted, ...(yield* Ref.get(refusedExtras))])
    })

    // Plain variables: each check-and-set below happens in one synchronous step, so two fibers
    // cannot both see "nothing in flight".
    /** The refresh in flight, joined by everyone who needs one meanwhile. */
    let refreshing: Deferred.Deferred<StoredToken, OAuthError> | undefined
    /** When the last refresh request started (epoch ms). */
    let lastRefreshAt: number | undefined
    /** When the token with this refresh token is due for a refresh (fixed the first time it is seen). */
    let schedule: { readonly refreshToken: string; readonly dueAt: number } | undefined
    let pending: PendingCode | undefined
    /** Codes Discord rejected (invalid_grant) in a row: since it last exchanged one, or deckcord was last authorized. */
    let rejectedCodes = 0
    /** Scopes Discord has granted this application in this process or in a stored grant. */
    const grantedBefore = new Set<string>()
    /** Set while Discord refuses scopes it granted before. */
    let outage: { readonly retryAt: number; readonly pauseMillis: number } | undefined

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

    const dueAtOf = (token: StoredToken, now: number): number => {
      const key = Redacted.value(token.refreshToken)
      if (schedule?.refreshToken !== key) {
        schedule = { refreshToken: key, dueAt: now + refreshDelayMillis(token.expiresAt - now, margin, fraction) }
      }
      return schedule.dueAt
    }

    const save = (clientId: string, grant: TokenGrant) =>
      Effect.gen(function*() {
        for (const s of grant.scopes) grantedBefore.add(s)
        dueAtOf(grant, yield* Clock.currentTimeMillis)
        yield* tokens.set(clientId, grant).pipe(
          // the session can go on; the cost is a prompt at the next start, so say so loudly
          Effect.catchTag("SettingsFileError", (e) =>
            Effect.logError(`${e.message}; deckcord will have to ask for authorization again next time`)
          )
        )
      })

    /** Start `work` detached and settle `done` with its outcome. */
    const runDetached = <A, E>(work: Effect.Effect<A, E>, done: Deferred.Deferred<A, E>, settled: () => void) =>
      FiberSet.run(
        detached,
        work.pipe(
          Effect.exit,
          Effect.flatMap((exit) =>
            Effect.sync(() => {
              settled()
              Deferred.doneUnsafe(done, exit)
            })
          )
        )
      )

    /**
     * Refresh `from`, unless someone already did (then use theirs), and persist the result.
     * At most one refresh is in flight; everyone who asks meanwhile waits for that one.
     */
    const refreshStored = (creds: OAuthCredentials, from: StoredToken): Effect.Effect<StoredToken, OAuthError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          let inFlight = refreshing
          if (inFlight === undefined) {
            const done = Deferred.makeUnsafe<StoredToken, OAuthError>()
            refreshing = inFlight = done
            const work = Effect.gen(function*() {
              // checked inside the single flight, so it sees what the previous refresh stored
              const current = yield* tokens.get(creds.clientId)
              if (
                Option.isSome(current) &&
                Redacted.value(current.value.refreshToken) !== Redacted.value(from.refreshToken)
              ) return current.value
              lastRefreshAt = yield* Clock.currentTimeMillis
              const grant = yield* oauth.refresh(creds, from.refreshToken)
              yield* save(creds.clientId, grant)
              yield* Effect.logInfo("refreshed the Discord access token")
              return grant
            })
            yield* runDetached(work, done, () => {
              if (refreshing === done) refreshing = undefined
            })
          }
          return yield* restore(Deferred.await(inFlight))
        })
      )

    /**
     * Exchange a pending code (joining an exchange of it already in flight) and persist the grant.
     * What the answer means for the code is decided here, in the detached request, before anyone
     * waiting hears of it: the outcome is the same whether the connection that asked is still up.
     */
    const exchangePending = (creds: OAuthCredentials, code: PendingCode): Effect.Effect<TokenGrant, OAuthError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          let inFlight = code.inFlight
          if (inFlight === undefined) {
            const done = Deferred.makeUnsafe<TokenGrant, OAuthError>()
            code.inFlight = inFlight = done
            const forget = Effect.sync(() => {
              if (pending === code) pending = undefined
            })
            // the code is dead; the next connection starts one new attempt, for the same reason
            const rejected = Effect.gen(function*() {
              yield* forget
              code.rejectedInARow = ++rejectedCodes
              if (code.refusal !== undefined) yield* Ref.set(authorizeAgain, code.refusal)
            })
            const work = oauth.exchangeCode(creds, code.code).pipe(
              Effect.tap((grant) =>
                Effect.andThen(
                  Effect.sync(() => {
                    rejectedCodes = 0
                  }),
                  save(creds.clientId, grant)
                )
              ),
              // a transient failure keeps the code for the next try; any other outcome ends the attempt
              Effect.tapError((e) =>
                isTransientOAuthError(e) ? Effect.void : e._tag === "OAuthInvalidGrant" ? rejected : forget
              ),
              Effect.tap(() => forget)
            )
            yield* runDetached(work, done, () => {
              code.inFlight = undefined
            })
          }
          return yield* restore(Deferred.await(inFlight))
        })
      )

    /** Finish an authorization attempt: exchange its code, check the grant, AUTHENTICATE. */
    const completeAuthorization = (session: AuthSession, creds: OAuthCredentials, code: PendingCode) =>
      Effect.gen(function*() {
        const grant = yield* exchangePending(creds, code).pipe(
          Effect.catch((e) => {
            if (e._tag === "OAuthInvalidGrant") {
              const said = `invalid_grant: ${e.description}`
              return (code.rejectedInARow ?? 1) > 1
                ? fail(
                  `Discord rejected the new authorization code too (${said}), so deckcord stops asking rather ` +
                    "than prompting again and again: press the status key, restart deckcord or run `deckcord auth` " +
                    "to try once more",
                  false,
                  ASK_AGAIN_HINT
                )
                : fail(
                  `Discord rejected the authorization code (${said}): it expired or was already used. deckcord ` +
                    "drops it and asks Discord to authorize once more by itself; click Authorize when Discord shows " +
                    "the prompt",
                  true,
                  NEW_PROMPT_HINT
                )
            }
            if (isTransientOAuthError(e)) {
              return fail(
                `exchanging the authorization code failed: ${e.message}. deckcord keeps the code and retries by ` +
                  "itself; there is no need to authorize again",
                true
              )
            }
            return fromOAuthError(e, "exchanging the authorization code failed")
          })
        )
        yield* Ref.update(reauthorizedFor, (s) => new Set(s).add(code.scopes.join(" ")))
        const missing = missingScopes(grant.scopes, code.scopes)
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

    /** Note that Discord refused scopes it granted before, and how long to leave it alone. */
    const scopeOutage = (detail: string): Effect.Effect<never, ScopeOutage> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const pauseMillis = outage === undefined ? outageBase : Math.min(outage.pauseMillis * 2, outageCap)
        outage = { retryAt: now + pauseMillis, pauseMillis }
        return yield* new ScopeOutage({
          message: `${SCOPE_OUTAGE_HELP} in ${Duration.format(Duration.millis(pauseMillis))} (Discord said: ${detail})`
        })
      })

    const authorize = (
      session: AuthSession,
      creds: OAuthCredentials,
      scopes: ReadonlyArray<string>,
      hadGrant: boolean,
      refusal?: string
    ) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (outage !== undefined && now < outage.retryAt) {
          // asking again now would only show the same refusal (or a prompt that ends in it)
          return yield* new ScopeOutage({
            message: `${SCOPE_OUTAGE_HELP} in ${Duration.format(Duration.millis(outage.retryAt - now))}`
          })
        }
        const prompt = hadGrant ? "none" : "consent"
        yield* Effect.logWarning(
          "deckcord needs your authorization in Discord: switch to Discord and click Authorize " +
            `(waiting up to ${Duration.format(authorizeTimeout)})`
        )
        const reply = yield* session.request(
          "AUTHORIZE",
          { client_id: creds.clientId, scopes, prompt },
          { timeout: authorizeTimeout }
        ).pipe(
          Effect.catch((e): Effect.Effect<never, AuthenticationError | ScopeOutage> =>
            isInvalidScope(e) && scopes.every((s) => grantedBefore.has(s))
              ? scopeOutage(e._tag === "RpcCommandError" ? e.detail : e.message)
              : authorizeFailure(e, authorizeTimeout)
          )
        )
        const decoded = Schema.decodeUnknownResult(AuthorizeResult)(reply)
        if (decoded._tag === "Failure") return yield* fail("Discord's AUTHORIZE reply had no code; deckcord retries by itself", true)
        outage = undefined
        const code: PendingCode = {
          clientId: creds.clientId,
          code: Redacted.make(decoded.success.code),
          scopes,
          refusal,
          inFlight: undefined,
          rejectedInARow: undefined
        }
        pending = code
        return yield* completeAuthorization(session, creds, code)
      })

    /**
     * The stored grant falls short (`why`): authorize again, once per scope set per process. If
     * Discord is refusing scopes it granted before, go on with the stored token meanwhile.
     */
    const reauthorize = (
      session: AuthSession,
      creds: OAuthCredentials,
      scopes: ReadonlyArray<string>,
      why: string,
      stored: StoredToken,
      refusal?: string
    ) =>
      Effect.gen(function*() {
        const key = scopes.join(" ")
        if ((yield* Ref.get(reauthorizedFor)).has(key)) {
          return yield* fail(`${why}, even after authorizing again. ${INVALID_SCOPE_HELP}`, false)
        }
        yield* Effect.logInfo(`${why}; asking Discord to authorize again`)
        return yield* authorize(session, creds, scopes, true, refusal).pipe(
          Effect.catchTag("ScopeOutage", (outageError) =>
            Effect.logWarning(`${outageError.message}; using the stored authorization meanwhile`).pipe(
              Effect.andThen(authenticateWith(session, stored.accessToken)),
              Effect.catch(() => fromScopeOutage(outageError))
            )
          )
        )
      })

    const backgroundRefresh = (clientId: string): Effect.Effect<void> =>
      Effect.gen(function*() {
        while (true) {
          const stored = yield* tokens.get(clientId)
          if (Option.isNone(stored)) return
          const now = yield* Clock.currentTimeMillis
          const due = Math.max(dueAtOf(stored.value, now), (lastRefreshAt ?? -Infinity) + minInterval)
          yield* Effect.sleep(Duration.millis(Math.max(0, due - now)))
          const creds = yield* credentials(clientId).pipe(Effect.option)
          if (Option.isNone(creds)) return
          const outcome = yield* refreshStored(creds.value, stored.value).pipe(Effect.result)
          if (outcome._tag === "Failure") {
            const e = outcome.failure
            if (!isTransientOAuthError(e) && e._tag !== "OAuthInvalidScope") {
              return yield* Effect.logWarning(`could not refresh the Discord token ahead of expiry: ${e.message}`)
            }
            yield* Effect.logWarning(
              `could not refresh the Discord token (${e.message}); trying again in ${Duration.format(retryDelay)}`
            )
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

        // an attempt whose code is not exchanged yet is finished, not started over with a new prompt
        const open = pending
        if (open !== undefined) {
          if (open.clientId === clientId && sameScopes(open.scopes, scopes)) {
            yield* Effect.logInfo("exchanging the authorization code Discord gave earlier")
            return yield* completeAuthorization(session, creds, open)
          }
          pending = undefined
        }

        yield* tokens.reload // `deckcord auth` may have stored tokens while we were running
        const stored = yield* tokens.get(clientId)

        // first run: nothing stored
        if (Option.isNone(stored)) return yield* authorize(session, creds, scopes, false)

        let token = stored.value
        for (const s of token.scopes) grantedBefore.add(s)
        const missing = missingScopes(token.scopes, scopes)
        // AUTHORIZE is impossible after AUTHENTICATE on one socket (docs/discord-rpc.md#authorization-pitfalls): decide now
        if (missing.length > 0) {
          return yield* reauthorize(session, creds, scopes, `the stored authorization lacks ${missing.join(" ")}`, token)
        }
        if (refused !== undefined) return yield* reauthorize(session, creds, scopes, refused, token, refused)

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
        const recentlyRefreshed = lastRefreshAt !== undefined && now - lastRefreshAt < minInterval
        if (now >= dueAtOf(token, now) && !recentlyRefreshed) {
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
        Effect.catchTag("ScopeOutage", fromScopeOutage),
        Effect.tap((result) =>
          Effect.gen(function*() {
            rejectedCodes = 0
            const who = result?.user?.global_name ?? result?.user?.username ?? result?.user?.id ?? "unknown user"
            yield* Effect.logInfo(`authorized in Discord as ${who} (scopes: ${(result?.scopes ?? []).join(" ")})`)
            yield* FiberHandle.run(background, backgroundRefresh(session.clientId))
          })
        ),
        Effect.withSpan("OAuthFlow.authenticate")
      )

    const tokenRevoked = Effect.gen(function*() {
      yield* FiberHandle.clear(background)
      pending = undefined
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
        const now = yield* Clock.currentTimeMillis
        if (outage !== undefined && now < outage.retryAt) {
          yield* Effect.logWarning(`Discord refused ${what} for lack of an OAuth scope; ${SCOPE_OUTAGE_HELP} later`)
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
