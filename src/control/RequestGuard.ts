/**
 * The HTTP guard: every request carries the token, the Host header must be the bound host,
 * and a state-changing request from a browser must come from this origin; every answer gets
 * the security headers. The Unix socket needs none of it (its file mode is the gate). Each
 * rule has its test in test/control/security.test.ts.
 *
 * @since 0.2.0
 */
import { Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { timingSafeEqual } from "node:crypto"
import * as Net from "node:net"
import { TOKEN_COOKIE, TOKEN_HEADER } from "./Api.ts"
import { deny } from "./Answers.ts"

export interface GuardOptions {
  readonly token: string
  /** The host and port the server is bound to. */
  readonly host: string
  readonly port: number
}

const sameToken = (expected: string, given: string) => {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])
const WILDCARD = new Set(["0.0.0.0", "::", "[::]"])

/** Host header values this server answers to: its own name, and IP literals when bound to every address. */
export const hostAllowed = (options: Pick<GuardOptions, "host" | "port">, header: string | undefined): boolean => {
  if (header === undefined) return false
  if (!URL.canParse(`http://${header}`)) return false
  const url = new URL(`http://${header}`)
  const port = url.port === "" ? 80 : Number(url.port)
  if (port !== options.port) return false
  const name = url.hostname.toLowerCase()
  const bound = options.host.toLowerCase()
  if (name === bound || name === `[${bound}]`) return true
  if (LOOPBACK_NAMES.has(bound) && LOOPBACK_NAMES.has(name)) return true
  // bound to every address on purpose (a phone on the LAN): any IP literal, never a DNS name,
  // since only a name can be rebound to this machine by someone else's DNS
  return WILDCARD.has(bound) && (Net.isIP(name) !== 0 || Net.isIP(name.replace(/^\[|\]$/g, "")) !== 0)
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"])

/** undefined: let the request through; else the refusal. */
export const guardRequest = (
  options: GuardOptions,
  request: HttpServerRequest.HttpServerRequest
): HttpServerResponse.HttpServerResponse | undefined => {
  const host = request.headers["host"]
  if (!hostAllowed(options, host)) {
    return deny(421, "MisdirectedRequest", `this server answers to ${options.host}:${options.port} only`)
  }
  // a browser sends Origin on every cross-origin request and on same-origin POSTs; a script
  // or CLI sends none (it still needs the token). A WebSocket upgrade is a GET any page may open.
  const stateChanging = !SAFE_METHODS.has(request.method) || request.headers["upgrade"] !== undefined
  const origin = request.headers["origin"]
  if (stateChanging && origin !== undefined && origin !== `http://${host}`) {
    return deny(403, "ForeignOrigin", `requests from ${origin} may not change anything here`)
  }
  if (stateChanging && request.headers["sec-fetch-site"] === "cross-site") {
    return deny(403, "ForeignOrigin", "cross-site requests may not change anything here")
  }
  const bearer = /^Bearer (.+)$/.exec(request.headers["authorization"] ?? "")?.[1]
  const given = bearer ?? request.headers[TOKEN_HEADER] ?? request.cookies[TOKEN_COOKIE]
  if (given === undefined) {
    return deny(401, "Unauthorized", "open the web UI from the address deckcord prints (it carries the token)")
  }
  return sameToken(options.token, given) ? undefined : deny(403, "Forbidden", "wrong token")
}

/**
 * `GET <path>?token=…` with the right token sets the cookie and sends the browser to the same
 * address without it (the token stays out of history and Referer); then the guard applies.
 */
const login = (options: GuardOptions, request: HttpServerRequest.HttpServerRequest) => {
  if (request.method !== "GET" || !request.url.includes("token=")) return undefined
  const url = new URL(request.url, "http://x")
  const token = url.searchParams.get("token")
  if (token === null || !hostAllowed(options, request.headers["host"])) return undefined
  // a wrong token is refused as a wrong header token is (403), not taken for a missing one
  if (!sameToken(options.token, token)) return deny(403, "Forbidden", "wrong token in the address")
  url.searchParams.delete("token")
  return HttpServerResponse.redirect(`${url.pathname}${url.search}`, { status: 303 }).pipe(
    HttpServerResponse.setCookieUnsafe(TOKEN_COOKIE, options.token, { httpOnly: true, sameSite: "strict", path: "/" })
  )
}

/**
 * On every HTTP answer: no framing by other sites (clickjacking), no type sniffing, and no
 * Referer, so an address with the token in it never leaks to a link's target.
 */
const SECURITY_HEADERS = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
}
const NO_FRAMING = "frame-ancestors 'none'"

/** The security headers, keeping a page's own Content-Security-Policy (framing is added to it). */
const withSecurityHeaders = (response: HttpServerResponse.HttpServerResponse) => {
  const csp = response.headers["content-security-policy"]
  return HttpServerResponse.setHeaders(response, {
    ...SECURITY_HEADERS,
    "content-security-policy": csp === undefined || csp === ""
      ? NO_FRAMING
      : csp.includes("frame-ancestors")
      ? csp
      : `${csp}; ${NO_FRAMING}`
  })
}

export const guarded = (options: GuardOptions) =>
<E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const entry = login(options, request)
    if (entry !== undefined) return Effect.succeed(entry)
    const denied = guardRequest(options, request)
    return denied === undefined ? app : Effect.succeed(denied)
  }).pipe(Effect.map(withSecurityHeaders))
