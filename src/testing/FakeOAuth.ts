/**
 * A loopback stand-in for Discord's OAuth2 token endpoint (spec §4.3): a `node:http`
 * server on 127.0.0.1 that exchanges the codes `FakeDiscord` issued through it (it is that
 * fake's `FakeAuthority`), refreshes with rotating refresh tokens, and can be scripted to
 * fail the ways Discord does. It records every request (secrets included, so tests can
 * check what was sent) and counts TCP connections (to prove keep-alive reuse).
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
  /** 400 invalid_grant: the code or refresh token is not valid (any more). */
  | { readonly _tag: "InvalidGrant" }
  /** 401 invalid_client: wrong client secret. */
  | { readonly _tag: "InvalidClient" }
  /** 429 with `Retry-After` (seconds), like Discord's rate limiter. */
  | { readonly _tag: "RateLimited"; readonly retryAfterSeconds: number }
  /** A 5xx (default 500). */
  | { readonly _tag: "ServerError"; readonly status?: number }
  /** Answer normally, after a delay. */
  | { readonly _tag: "Slow"; readonly delayMillis: number }
  /** 200 with a body that is not a token response. */
  | { readonly _tag: "Malformed" }

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
}

/** The running fake. @category models */
export interface FakeOAuthServer extends FakeAuthority {
  /** Use as the OAuth base URL: `<baseUrl>/oauth2/token` is the token endpoint. */
  readonly baseUrl: string
  /** Every request so far, in order. */
  readonly requests: () => ReadonlyArray<RecordedTokenRequest>
  /** TCP connections accepted so far. */
  readonly connectionCount: () => number
  /** Queue one-shot behaviors for the next requests of a grant type (then back to Success). */
  readonly script: (grantType: GrantType, ...behaviors: ReadonlyArray<FakeTokenBehavior>) => void
  /** Make every access token issued so far expired (AUTHENTICATE then fails with 4009). */
  readonly expireAccessTokens: () => void
  /** Revoke every grant: access and refresh tokens stop working. */
  readonly revokeAll: () => void
  /** Issue a token pair directly, as if a code had been exchanged earlier (to seed a token store). */
  readonly mintTokens: (
    clientId: string,
    scopes: ReadonlyArray<string>
  ) => { readonly accessToken: string; readonly refreshToken: string; readonly expiresAt: number }
}

/** The Discord default token lifetime (spec §4.3). */
const DEFAULT_EXPIRES_IN_SECONDS = 604_800

interface Grant {
  readonly clientId: string
  readonly scopes: ReadonlyArray<string>
}

const randomPart = () => Crypto.randomBytes(12).toString("hex")

const startServer = (options: FakeOAuthOptions): Promise<FakeOAuthServer & { readonly close: () => Promise<void> }> => {
  const expiresIn = options.expiresInSeconds ?? DEFAULT_EXPIRES_IN_SECONDS
  const rotate = options.rotateRefreshTokens ?? true
  const codes = new Map<string, Grant>()
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
    return { accessToken, refreshToken, expiresAt }
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
      grant = codes.get(code)
      codes.delete(code) // codes are single-use
    } else if (form.grant_type === "refresh_token") {
      const token = form.refresh_token ?? ""
      grant = refreshTokens.get(token)
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
      // Discord refuses JSON bodies (spec §4.3)
      if (!contentType?.startsWith("application/x-www-form-urlencoded")) {
        return oauthError(res, 400, "invalid_request", "expected application/x-www-form-urlencoded")
      }
      const grantType = form.grant_type
      const queued = grantType === "authorization_code" || grantType === "refresh_token"
        ? scripts[grantType].shift()
        : undefined
      respond(res, form, queued ?? { _tag: "Success" })
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
        connectionCount: () => connections,
        script: (grantType, ...behaviors) => void scripts[grantType].push(...behaviors),
        expireAccessTokens: () => {
          for (const [token, grant] of accessTokens) accessTokens.set(token, { ...grant, expiresAt: 0 })
        },
        revokeAll: () => {
          accessTokens.clear()
          refreshTokens.clear()
        },
        mintTokens,
        issueCode: (clientId, scopes) => {
          const code = `fakecode${++counter}x${randomPart()}`
          codes.set(code, { clientId, scopes: [...scopes] })
          return code
        },
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
