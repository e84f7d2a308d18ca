/**
 * A loopback stand-in for Discord's OAuth2 token endpoint (docs/discord-rpc.md#token-exchange): a `node:http`
 * server on 127.0.0.1 that exchanges the codes `FakeDiscord` issued through it (it is that
 * fake's `FakeAuthority`), refreshes with rotating refresh tokens, and can be scripted to
 * fail the ways Discord does: one-shot (`script`), for as long as a test wants (`setOutage`,
 * e.g. unreachable), or Discord refusing scopes it granted before (`setScopeOutage`). It
 * records every request (secrets included, so tests can check what was sent), counts TCP
 * connections (to prove keep-alive reuse) and the consent dialogs Discord would have shown.
 *
 * @since 0.1.0
 */
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Context, Effect, Layer, type Scope } from "effect"
import type { AccessTokenCheck, FakeAuthority } from "./FakeAuthority.ts"

/** @category models */
export type GrantType = "authorization_code" | "refresh_token"

/** What the endpoint does with one request. @category models */
export type FakeTokenBehavior =
  | { readonly _tag: "Success" }
  /** 400 invalid_grant: the code or refresh token is not valid (any more); a code so answered is dead. */
  | { readonly _tag: "InvalidGrant" }
  /** 401 invalid_client: wrong client secret. */
  | { readonly _tag: "InvalidClient" }
  /** 429 with `Retry-After` (seconds), like Discord's rate limiter. */
  | { readonly _tag: "RateLimited"; readonly retryAfterSeconds: number }
  /** A 5xx (default 500). */
  | { readonly _tag: "ServerError"; readonly status?: number }
  /** Answer normally, after a delay. */
  | { readonly _tag: "Slow"; readonly delayMillis: number }
  /** 200 with a body that is not a token response; the code or refresh token stays valid. */
  | { readonly _tag: "Malformed" }
  /** The connection is cut before any answer, as when the network is down (the client sees a transport error). */
  | { readonly _tag: "Unreachable" }
  /** 400 invalid_scope, as Discord answered during its scope outages. */
  | { readonly _tag: "InvalidScope" }

/** One request the endpoint received. @category models */
export interface RecordedTokenRequest {
  readonly method: string
  readonly path: string
  readonly contentType: string | undefined
  /** The form fields as sent, secrets included. */
  readonly form: Readonly<Record<string, string>>
  readonly grantType: string | undefined
  /** Which TCP connection carried it (1-based, in accept order). */
  readonly connection: number
}

/** @category models */
export interface FakeOAuthOptions {
  /**
   * Registered applications: client id → client secret. Requests from other ids, or with
   * another secret, get invalid_client. Omitted: any id with a non-empty secret is accepted.
   */
  readonly clients?: Readonly<Record<string, string>>
  /** `expires_in` of issued tokens, in seconds (Discord: 604800, 7 days). */
  readonly expiresInSeconds?: number
  /** Issue a new refresh token on every refresh and invalidate the old one (Discord does). Default true. */
  readonly rotateRefreshTokens?: boolean
  /** How long an issued authorization code can be exchanged, in seconds (default 600, OAuth2's usual 10 minutes). */
  readonly codeLifetimeSeconds?: number
}

/** Discord refusing scopes for everyone (docs/discord-rpc.md#your-own-application: Dec 2022, Apr 2025). @category models */
export interface FakeScopeOutage {
  /** AUTHORIZE asking for any of these fails with 5000 invalid_scope. */
  readonly scopes: ReadonlyArray<string>
  /** Also refuse refreshes of grants holding them (400 invalid_scope). Default false. */
  readonly tokenEndpoint?: boolean
}

/** The running fake. @category models */
export interface FakeOAuthServer extends FakeAuthority {
  /** Use as the OAuth base URL: `<baseUrl>/oauth2/token` is the token endpoint. */
  readonly baseUrl: string
  /** Every request so far, in order. */
  readonly requests: () => ReadonlyArray<RecordedTokenRequest>
  /** TCP connections accepted so far. */
  readonly connectionCount: () => number
  /** Requests of one grant type so far (`authorization_code` = code exchanges). */
  readonly requestCount: (grantType?: GrantType) => number
  /** Queue one-shot behaviors for the next requests of a grant type (then back to Success). */
  readonly script: (grantType: GrantType, ...behaviors: ReadonlyArray<FakeTokenBehavior>) => void
  /**
   * Answer every request (of `grantType`, or all) this way until called with undefined: a
   * long outage. Scripted one-shot behaviors come first.
   */
  readonly setOutage: (behavior: FakeTokenBehavior | undefined, grantType?: GrantType) => void
  /** Start (or with undefined, end) a Discord-side scope outage. */
  readonly setScopeOutage: (outage: FakeScopeOutage | undefined) => void
  /** Codes issued: AUTHORIZE approvals, with or without a dialog. */
  readonly codesIssued: () => number
  /**
   * AUTHORIZE approvals that showed Discord's consent dialog: `prompt` other than "none", or
   * scopes beyond what the user has already granted the application (docs/discord-rpc.md#authorize).
   */
  readonly consentPrompts: () => number
  /**
   * Codes never presented to the token endpoint before a newer code was issued for the same
   * application: each is an authorization the user gave that the client threw away (or whose
   * AUTHORIZE reply was lost with the connection).
   */
  readonly abandonedCodes: () => number
  /** Make every access token issued so far expired (AUTHENTICATE then fails with 4009). */
  readonly expireAccessTokens: () => void
  /** Revoke every grant: access and refresh tokens stop working, and the user's consent is forgotten. */
  readonly revokeAll: () => void
  /** Issue a token pair directly, as if a code had been exchanged earlier (to seed a token store). */
  readonly mintTokens: (
    clientId: string,
    scopes: ReadonlyArray<string>
  ) => { readonly accessToken: string; readonly refreshToken: string; readonly expiresAt: number }
}

/** The Discord default token lifetime (docs/discord-rpc.md#token-exchange). */
const DEFAULT_EXPIRES_IN_SECONDS = 604_800

interface Grant {
  readonly clientId: string
  readonly scopes: ReadonlyArray<string>
}

const randomPart = () => Crypto.randomBytes(12).toString("hex")

const startServer = (options: FakeOAuthOptions): Promise<FakeOAuthServer & { readonly close: () => Promise<void> }> => {
  const expiresIn = options.expiresInSeconds ?? DEFAULT_EXPIRES_IN_SECONDS
  const rotate = options.rotateRefreshTokens ?? true
  const codeLifetimeMillis = (options.codeLifetimeSeconds ?? 600) * 1000
  const codes = new Map<string, Grant & { readonly expiresAt: number }>()
  /** Scopes the user has consented to, per application: `prompt: "none"` needs no dialog within them. */
  const consented = new Map<string, Set<string>>()
  const outages: Partial<Record<GrantType | "all", FakeTokenBehavior>> = {}
  let scopeOutage: FakeScopeOutage | undefined
  let codesIssued = 0
  let consentPrompts = 0
  let abandonedCodes = 0
  /** Issued codes not yet sent to the endpoint, per application. */
  const unpresented = new Map<string, Set<string>>()
  const accessTokens = new Map<string, Grant & { expiresAt: number }>()
  const refreshTokens = new Map<string, Grant>()
  const scripts: Record<GrantType, Array<FakeTokenBehavior>> = { authorization_code: [], refresh_token: [] }
  const requests: Array<RecordedTokenRequest> = []
  const timers = new Set<NodeJS.Timeout>()
  let connections = 0
  let counter = 0

  const mintTokens = (clientId: string, scopes: ReadonlyArray<string>) => {
    const n = ++counter
    // ≥ 24 characters, like Discord's: RpcErrors.redactTokens must catch them in a 4009 echo
    const accessToken = `fakeaccess${n}x${randomPart()}`
    const refreshToken = `fakerefresh${n}x${randomPart()}`
    const expiresAt = Date.now() + expiresIn * 1000
    accessTokens.set(accessToken, { clientId, scopes, expiresAt })
    refreshTokens.set(refreshToken, { clientId, scopes })
    consent(clientId, scopes) // a grant implies the user agreed to it
    return { accessToken, refreshToken, expiresAt }
  }

  function consent(clientId: string, scopes: ReadonlyArray<string>) {
    const set = consented.get(clientId) ?? new Set<string>()
    for (const scope of scopes) set.add(scope)
    consented.set(clientId, set)
  }

  const clientOk = (form: Record<string, string>): boolean => {
    const id = form.client_id
    const secret = form.client_secret
    if (id === undefined || secret === undefined || secret === "") return false
    return options.clients === undefined ? true : options.clients[id] === secret
  }

  const sendJson = (res: Http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body))
  }

  const oauthError = (res: Http.ServerResponse, status: number, error: string, description: string) =>
    sendJson(res, status, { error, error_description: description })

  const respond = (res: Http.ServerResponse, form: Record<string, string>, behavior: FakeTokenBehavior) => {
    switch (behavior._tag) {
      case "InvalidGrant":
        if (form.grant_type === "authorization_code") codes.delete(form.code ?? "")
        return oauthError(res, 400, "invalid_grant", "Invalid \"code\" in request.")
      case "InvalidClient":
        return oauthError(res, 401, "invalid_client", "Invalid client secret")
      case "RateLimited":
        return sendJson(
          res,
          429,
          { message: "You are being rate limited.", retry_after: behavior.retryAfterSeconds, global: false },
          { "retry-after": String(behavior.retryAfterSeconds) }
        )
      case "ServerError":
        res.writeHead(behavior.status ?? 500, { "content-type": "text/plain" }).end("internal server error")
        return
      case "Malformed":
        return sendJson(res, 200, { hello: "world" })
      case "Unreachable":
        res.socket?.destroy()
        return
      case "InvalidScope":
        return oauthError(res, 400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
      case "Slow": {
        const timer = setTimeout(() => {
          timers.delete(timer)
          respond(res, form, { _tag: "Success" })
        }, behavior.delayMillis)
        timers.add(timer)
        return
      }
      case "Success":
        break
    }
    if (!clientOk(form)) return oauthError(res, 401, "invalid_client", "Invalid client secret")
    const clientId = form.client_id!
    let grant: Grant | undefined
    if (form.grant_type === "authorization_code") {
      const code = form.code ?? ""
      const issued = codes.get(code)
      codes.delete(code) // codes are single-use
      grant = issued !== undefined && issued.expiresAt > Date.now() ? issued : undefined
    } else if (form.grant_type === "refresh_token") {
      const token = form.refresh_token ?? ""
      grant = refreshTokens.get(token)
      if (
        grant !== undefined && scopeOutage?.tokenEndpoint === true &&
        grant.scopes.some((scope) => scopeOutage!.scopes.includes(scope))
      ) {
        return oauthError(res, 400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
      }
      if (grant !== undefined && rotate) refreshTokens.delete(token)
    } else {
      return oauthError(res, 400, "unsupported_grant_type", `unsupported grant_type ${String(form.grant_type)}`)
    }
    if (grant === undefined || grant.clientId !== clientId) {
      return oauthError(res, 400, "invalid_grant", `Invalid "${form.grant_type === "authorization_code" ? "code" : "refresh_token"}" in request.`)
    }
    const minted = mintTokens(clientId, grant.scopes)
    if (!rotate && form.grant_type === "refresh_token") {
      refreshTokens.delete(minted.refreshToken)
    }
    sendJson(res, 200, {
      access_token: minted.accessToken,
      token_type: "Bearer",
      expires_in: expiresIn,
      refresh_token: rotate || form.grant_type === "authorization_code" ? minted.refreshToken : form.refresh_token,
      scope: grant.scopes.join(" ")
    })
  }

  const server = Http.createServer((req, res) => {
    let body = ""
    req.setEncoding("utf8")
    req.on("data", (chunk: string) => (body += chunk))
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const contentType = req.headers["content-type"]
      const form = Object.fromEntries(new URLSearchParams(body))
      const connection = (req.socket as { deckcordConnection?: number }).deckcordConnection ?? 0
      requests.push({ method: req.method ?? "", path: url.pathname, contentType, form, grantType: form.grant_type, connection })
      if (req.method !== "POST" || url.pathname !== "/api/oauth2/token") {
        return sendJson(res, 404, { message: "404: Not Found", code: 0 })
      }
      // Discord refuses JSON bodies (docs/discord-rpc.md#token-exchange)
      if (!contentType?.startsWith("application/x-www-form-urlencoded")) {
        return oauthError(res, 400, "invalid_request", "expected application/x-www-form-urlencoded")
      }
      const grantType = form.grant_type
      // presented, whatever the answer: a code the client tried is not one it threw away
      if (grantType === "authorization_code") for (const waiting of unpresented.values()) waiting.delete(form.code ?? "")
      const known = grantType === "authorization_code" || grantType === "refresh_token" ? grantType : undefined
      const queued = known === undefined ? undefined : scripts[known].shift() ?? outages[known]
      respond(res, form, queued ?? outages.all ?? { _tag: "Success" })
    })
  })
  server.on("connection", (socket) => {
    ;(socket as { deckcordConnection?: number }).deckcordConnection = ++connections
  })

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        baseUrl: `http://127.0.0.1:${port}/api`,
        requests: () => [...requests],
        requestCount: (grantType) =>
          grantType === undefined ? requests.length : requests.filter((r) => r.grantType === grantType).length,
        connectionCount: () => connections,
        script: (grantType, ...behaviors) => void scripts[grantType].push(...behaviors),
        setOutage: (behavior, grantType) => {
          if (behavior === undefined) delete outages[grantType ?? "all"]
          else outages[grantType ?? "all"] = behavior
        },
        setScopeOutage: (outage) => {
          scopeOutage = outage
        },
        codesIssued: () => codesIssued,
        consentPrompts: () => consentPrompts,
        abandonedCodes: () => abandonedCodes,
        expireAccessTokens: () => {
          for (const [token, grant] of accessTokens) accessTokens.set(token, { ...grant, expiresAt: 0 })
        },
        revokeAll: () => {
          accessTokens.clear()
          refreshTokens.clear()
          consented.clear()
        },
        mintTokens,
        issueCode: (clientId, scopes, details) => {
          const known = consented.get(clientId)
          if (details?.prompt !== "none" || scopes.some((scope) => known?.has(scope) !== true)) consentPrompts++
          consent(clientId, scopes)
          codesIssued++
          const code = `fakecode${++counter}x${randomPart()}`
          const waiting = unpresented.get(clientId) ?? new Set<string>()
          abandonedCodes += waiting.size
          unpresented.set(clientId, new Set([code]))
          codes.set(code, { clientId, scopes: [...scopes], expiresAt: Date.now() + codeLifetimeMillis })
          return code
        },
        refuseAuthorize: (_clientId, scopes) =>
          scopeOutage !== undefined && scopes.some((scope) => scopeOutage!.scopes.includes(scope))
            ? "OAuth2 Error: invalid_scope: The requested scope is invalid, unknown, or malformed."
            : undefined,
        checkAccessToken: (clientId, token): AccessTokenCheck => {
          const grant = accessTokens.get(token)
          if (grant === undefined || grant.clientId !== clientId || grant.expiresAt <= Date.now()) return { ok: false }
          return { ok: true, scopes: grant.scopes, expires: new Date(grant.expiresAt).toISOString() }
        },
        close: () =>
          new Promise<void>((done) => {
            for (const timer of timers) clearTimeout(timer)
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })
}

/**
 * Start the fake (promise API). Call `close()` when done.
 *
 * @category constructors
 */
export const startFakeOAuth = (options: FakeOAuthOptions = {}) => startServer(options)

export class FakeOAuth extends Context.Service<FakeOAuth, FakeOAuthServer>()("deckcord/testing/FakeOAuth") {
  /** Start the fake for the lifetime of the scope. */
  static readonly make = (options: FakeOAuthOptions = {}): Effect.Effect<FakeOAuthServer, never, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.promise(() => startServer(options)),
      (server) => Effect.promise(() => server.close())
    ).pipe(Effect.map((server): FakeOAuthServer => server))

  static readonly layer = (options: FakeOAuthOptions = {}): Layer.Layer<FakeOAuth> =>
    Layer.effect(FakeOAuth, FakeOAuth.make(options))
}
