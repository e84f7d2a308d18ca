/**
 * The control server: one HTTP application (the typed `ControlApi`, the SSE stream, face
 * SVGs, and whatever other route layers are handed in) served on two transports:
 *
 * - a Unix socket, `$XDG_RUNTIME_DIR/deckcord/control.sock`, mode 0600 in a 0700 directory:
 *   the file mode is the gate, so it needs no token (the remote commands use it). Binding it
 *   is also the daemon's single-instance lock: a live socket means another daemon runs; a
 *   socket nobody answers on was left by a crash and is replaced.
 * - HTTP on `web.host:web.port` (default 127.0.0.1 and `DEFAULT_WEB_PORT`; `web: false` turns
 *   it off), guarded by `guardRequest`: every request carries the token, the Host header must
 *   be the bound host, and a state-changing request from a browser must come from this origin.
 *
 * Adding routes (the web UI does): write a `Layer<never, never, HttpRouter | ControlServices>`
 * with `HttpRouter.add(...)`, `HttpRouter.use(...)`, `HttpStaticServer.layer(...)` or
 * `HttpApiBuilder.layer(YourApi)`, and pass it in `routes` (see `controlledDaemonLayer` in `src/layers/ControlledDaemon.ts`).
 * Every route is behind the same guard on HTTP and open on the socket; `WebAccess` says how
 * the web UI is reached. Keep `/api/*` for the API; pages may use any other path.
 *
 * @since 0.2.0
 */
import { NodeHttpServer } from "@effect/platform-node"
import { ByteSize, Cause, Context, Deferred, Effect, Equal, Layer, Option, Schema, Scope, Stream } from "effect"
import { FindMyWay, HttpIncomingMessage, HttpRouter, HttpServer, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiError } from "effect/http-api"
import { randomBytes, timingSafeEqual } from "node:crypto"
import * as Fs from "node:fs"
import { createServer } from "node:http"
import * as Net from "node:net"
import * as Path from "node:path"
import { Controller } from "./Controller.ts"
import { Deck, type DeckInfo } from "../deck/Deck.ts"
import type { DiscordRpc } from "../discord/DiscordRpc.ts"
import { BLANK_FACE, type Face } from "../face/Face.ts"
import { makeKeyRenderer, FONT_FILES } from "../face/KeyRenderer.ts"
import type { Settings } from "../config/Settings.ts"
import type { TokenStore } from "../auth/TokenStore.ts"
import type { VoiceState } from "../discord/VoiceState.ts"
import {
  ControlApi,
  type ControlFace,
  DEFAULT_WEB_PORT,
  NotFound,
  type StateEvent,
  TOKEN_COOKIE,
  TOKEN_HEADER
} from "./Api.ts"
import { currentStatus, deckStatus, pressControl, runAction, statusChanges } from "./Commands.ts"
import { VirtualDecks } from "./VirtualDecks.ts"

// ---------------------------------------------------------------------------------------------
// services for route layers
// ---------------------------------------------------------------------------------------------

/** How the web UI is reached; `url` carries the token (print it only to the user). */
export class WebAccess extends Context.Service<WebAccess, {
  /** null when `web: false` or the port could not be bound. */
  readonly url: string | null
  readonly token: string
}>()("deckcord/control/WebAccess") {}

/** A control's face at its real size: the SVG document, or the very pixels a deck gets, as PNG. */
export class FaceImages extends Context.Service<FaceImages, {
  readonly svg: (face: Face, size: { readonly width: number; readonly height: number }) => Effect.Effect<string>
  readonly png: (face: Face, size: { readonly width: number; readonly height: number }) => Effect.Effect<Uint8Array>
}>()("deckcord/control/FaceImages") {
  /** The renderer's pure face→SVG step (and its rasterizer); fonts are read on the first face, not at start. */
  static readonly layer: Layer.Layer<FaceImages> = Layer.effect(
    FaceImages,
    Effect.gen(function*() {
      const renderer = yield* Effect.cached(makeKeyRenderer(FONT_FILES).pipe(Effect.orDie))
      return FaceImages.of({
        svg: (face, size) => Effect.flatMap(renderer, (r) => r.svg(face, size)),
        png: (face, size) => Effect.flatMap(renderer, (r) => r.renderPng(face, size))
      })
    })
  )
}

/** Everything a route layer may use. */
export type ControlServices =
  | Settings
  | TokenStore
  | DiscordRpc
  | VoiceState
  | Controller
  | Deck
  | VirtualDecks
  | FaceImages
  | WebAccess

/** A layer of routes to serve beside the control API. */
export type RouteLayer = Layer.Layer<never, never, HttpRouter.HttpRouter | ControlServices>

// ---------------------------------------------------------------------------------------------
// the application
// ---------------------------------------------------------------------------------------------

const StatusHandlers = HttpApiBuilder.group(ControlApi, "status", (handlers) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<VoiceState | Deck | VirtualDecks>()
    const web = yield* WebAccess
    return handlers
      .handle("status", () => Effect.provideContext(currentStatus, context))
      .handle("web", () => Effect.succeed({ url: web.url }))
  }))

const ActionHandlers = HttpApiBuilder.group(ControlApi, "actions", (handlers) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<Controller | VoiceState | DiscordRpc>()
    return handlers.handle("run", ({ payload }) => Effect.provideContext(runAction(payload), context))
  }))

const facesOf = (faces: ReadonlyMap<string, Face>, serial: string): Array<ControlFace> => {
  const prefix = `${serial}/`
  return [...faces].filter(([id]) => id.startsWith(prefix)).map(([id, face]) => ({ control: id.slice(prefix.length), face }))
}

const DeckHandlers = HttpApiBuilder.group(ControlApi, "decks", (handlers) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<Controller | Deck | VirtualDecks | VoiceState>()
    const deck = yield* Deck
    const controller = yield* Controller
    const virtual = yield* VirtualDecks
    const known = (serial: string) =>
      Effect.flatMap(deck.decks, (decks) =>
        decks.has(serial) ? Effect.void : Effect.fail(new NotFound({ message: `no deck ${serial} is connected` })))
    return handlers
      .handle("list", () =>
        Effect.gen(function*() {
          const serials = new Set((yield* virtual.decks).map((d) => d.serial))
          return [...(yield* deck.decks).values()].map((d) => deckStatus(d, serials.has(d.serial)))
        }))
      .handle("faces", ({ params }) =>
        known(params.serial).pipe(Effect.andThen(Effect.map(controller.faces, (f) => facesOf(f, params.serial)))))
      .handle("press", ({ params, payload }) => Effect.provideContext(pressControl(params.serial, payload), context))
      .handle("models", () => virtual.models)
      .handle("addVirtual", ({ payload }) =>
        Effect.gen(function*() {
          const fake = yield* virtual.add(payload)
          // answer once the deck is open, so the caller can press it straight away
          const info = yield* deck.deckChanges.pipe(
            Stream.map((m) => m.get(fake.serial)),
            Stream.filter((i): i is DeckInfo => i !== undefined),
            Stream.runHead,
            Effect.map(Option.getOrThrow)
          )
          return deckStatus(info, true)
        }))
      .handle("removeVirtual", ({ params }) =>
        virtual.remove(params.serial).pipe(
          Effect.flatMap((removed) =>
            removed ? Effect.void : Effect.fail(new NotFound({ message: `no virtual deck ${params.serial}` }))
          )
        ))
  }))

const ApiRoutes = HttpApiBuilder.layer(ControlApi, { openapiPath: "/api/openapi.json" }).pipe(Layer.provide([StatusHandlers, ActionHandlers, DeckHandlers]))

/** Ends every event stream when the server shuts down (else shutdown waits for them). */
export class StreamsShutdown extends Context.Service<StreamsShutdown, Deferred.Deferred<void>>()(
  "deckcord/control/StreamsShutdown"
) {}

const encodeEvent = Schema.encodeSync(Schema.fromJsonString(Schema.Unknown))
const sseFrame = (event: StateEvent) => `event: ${event._tag}\ndata: ${encodeEvent(event)}\n\n`

/** A comment line now and then keeps proxies and idle timeouts from closing a quiet stream. */
const HEARTBEAT = "15 seconds"

const EventsRoute = HttpRouter.add("GET", "/api/events", (request) =>
  Effect.gen(function*() {
    const withFaces = new URL(request.url, "http://x").searchParams.get("faces") === "true"
    const controller = yield* Controller
    const shutdown = yield* StreamsShutdown
    // the current status always comes first, so a client has the whole picture before any face
    const first = yield* currentStatus
    let lastStatus = first
    const statuses: Stream.Stream<StateEvent> = (yield* statusChanges).pipe(
      Stream.filter((status) => {
        if (Equal.equals(status, lastStatus)) return false
        lastStatus = status
        return true
      }),
      Stream.map((status) => ({ _tag: "Status", status }))
    )
    let shown = new Map<string, Face>()
    const faces: Stream.Stream<StateEvent> = controller.faceChanges.pipe(
      Stream.flatMap((next) => {
        const events: Array<StateEvent> = []
        for (const [id, face] of next) {
          if (Equal.equals(shown.get(id), face)) continue
          const slash = id.lastIndexOf("/")
          events.push({ _tag: "Face", serial: id.slice(0, slash), control: id.slice(slash + 1), face })
        }
        for (const id of shown.keys()) {
          if (next.has(id)) continue
          const slash = id.lastIndexOf("/")
          events.push({ _tag: "Face", serial: id.slice(0, slash), control: id.slice(slash + 1), face: null })
        }
        shown = new Map(next)
        return Stream.fromIterable(events)
      })
    )
    const events = Stream.concat(
      Stream.succeed<StateEvent>({ _tag: "Status", status: first }),
      withFaces ? Stream.merge(statuses, faces) : statuses
    )
    const body = Stream.merge(
      Stream.map(events, sseFrame),
      Stream.tick(HEARTBEAT).pipe(Stream.drop(1), Stream.map(() => ": ping\n\n")),
      { haltStrategy: "left" }
    ).pipe(Stream.interruptWhen(Deferred.await(shutdown)), Stream.encodeText)
    return HttpServerResponse.stream(body, {
      contentType: "text/event-stream",
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
    })
  }))

const faceRoute = (format: "svg" | "png") =>
  HttpRouter.add("GET", `/api/decks/:serial/:control/face.${format}`, Effect.gen(function*() {
    const params = yield* HttpRouter.RouteContext
    const serial = params.params["serial"] ?? ""
    const control = params.params["control"] ?? ""
    const info = (yield* (yield* Deck).decks).get(serial)
    const [kind, raw] = control.split(":")
    const index = Number(raw)
    const size = kind === "key"
      ? info?.keys.find((k) => k.index === index)?.pixelSize
      : kind === "encoder"
      ? info?.encoders.find((e) => e.index === index)?.lcdRegion
      : undefined
    if (info === undefined || size === undefined) {
      return HttpServerResponse.jsonUnsafe({ _tag: "NotFound", message: `no ${control} on a deck ${serial}` }, { status: 404 })
    }
    const face = (yield* (yield* Controller).faces).get(`${serial}/${control}`) ?? BLANK_FACE
    const faces = yield* FaceImages
    const at = { width: size.width, height: size.height }
    return format === "svg"
      ? HttpServerResponse.text(yield* faces.svg(face, at), { contentType: "image/svg+xml", headers: { "cache-control": "no-store" } })
      : HttpServerResponse.uint8Array(yield* faces.png(face, at), { contentType: "image/png", headers: { "cache-control": "no-store" } })
  }))

const FaceRoutes = Layer.mergeAll(faceRoute("svg"), faceRoute("png"))

// ---------------------------------------------------------------------------------------------
// the HTTP guard (each rule has its test in test/control/security.test.ts)
// ---------------------------------------------------------------------------------------------

export interface GuardOptions {
  readonly token: string
  /** The host and port the server is bound to. */
  readonly host: string
  readonly port: number
}

const deny = (status: number, error: string, message: string) =>
  HttpServerResponse.jsonUnsafe({ _tag: error, message }, { status })

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

// ---------------------------------------------------------------------------------------------
// bodies and failures (on both transports)
// ---------------------------------------------------------------------------------------------

/**
 * The largest request body read. The biggest legitimate one is a config.json saved from the
 * web editor, a few KiB even with many decks and pages; 1 MiB leaves ample room and keeps a
 * hostile or broken client from making the daemon buffer hundreds of MiB.
 */
export const MAX_BODY_BYTES = 1024 * 1024

/** The 413 for a body over `MAX_BODY_BYTES`. */
export const bodyTooLarge = () =>
  deny(413, "PayloadTooLarge", `a request body may be at most ${MAX_BODY_BYTES} bytes (1 MiB)`)
const tooLarge = bodyTooLarge

/**
 * A body read that went past `MaxBodySize` (a chunked body has no Content-Length to check
 * first): the API's own error, or the Node reader's "maxBytes exceeded" inside a parse error.
 */
export const isBodyTooLarge = (error: unknown): boolean => {
  if (HttpApiError.HttpApiPayloadTooLarge.is(error)) return true
  if (!HttpServerError.isHttpServerError(error)) return false
  const reason = (error as { readonly reason?: { readonly cause?: unknown } }).reason
  return /maxBytes exceeded/.test(String(reason?.cause ?? (error as { readonly cause?: unknown }).cause))
}
const isOverflow = isBodyTooLarge

const schemaMessage = (error: unknown): string => {
  const cause = (error as { readonly cause?: unknown }).cause
  return cause instanceof Error ? cause.message : String(cause ?? error)
}

const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const

/** Which methods each path has, so a wrong method is told apart from a wrong path (405, not 404). */
class RouteTable {
  private readonly paths = FindMyWay.make<true>()
  record(routes: ReadonlyArray<HttpRouter.Route<unknown, unknown>>) {
    for (const route of routes) {
      if (route.method !== "*" && Option.isNone(route.prefix)) this.paths.on(route.method, route.path, true)
    }
  }
  methodsFor(url: string): Array<string> {
    const allowed: Array<string> = ROUTE_METHODS.filter((method) => this.paths.find(method, url) !== undefined)
    return allowed.includes("GET") ? [...allowed, "HEAD"] : allowed
  }
}

/** The router, with every route it is given also written into `table`. */
const recordingRouter = (table: RouteTable) =>
  Layer.effect(
    HttpRouter.HttpRouter,
    Effect.map(HttpRouter.make, (router) =>
      HttpRouter.HttpRouter.of({
        ...router,
        addAll: (routes) => {
          table.record(routes)
          return router.addAll(routes)
        },
        add: (method, path, handler, options) => {
          const route = HttpRouter.route(method, path, handler, options)
          table.record([route])
          return router.addAll([route])
        }
      }))
  )

/**
 * Every failure answered with the API's JSON error shape: a bad request with the decoder's
 * message, an unknown path as NotFound, and anything unexpected as a 500 whose cause goes to
 * the log, never to the client.
 */
const answered = (routes: RouteTable) =>
<E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const length = Number(request.headers["content-length"] ?? 0)
    if (Number.isFinite(length) && length > MAX_BODY_BYTES) return Effect.succeed(tooLarge())
    return app.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(MAX_BODY_BYTES)),
      Effect.catchCause((cause): Effect.Effect<HttpServerResponse.HttpServerResponse, never, never> => {
        if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
        const error = Cause.squash(cause)
        if (isOverflow(error)) return Effect.succeed(tooLarge())
        if (HttpApiError.HttpApiSchemaError.is(error) && error.kind !== "Body" && error.kind !== "ResponseHeaders") {
          return Effect.succeed(deny(400, "Invalid", schemaMessage(error)))
        }
        if (HttpServerError.isHttpServerError(error)) {
          const reason = (error as { readonly reason?: { readonly _tag?: string } }).reason?._tag
          if (reason === "RouteNotFound") {
            const allow = routes.methodsFor(request.url)
            return Effect.succeed(
              allow.length === 0
                ? deny(404, "NotFound", "no such page or API route")
                : deny(405, "MethodNotAllowed", `${request.method} is not allowed here; use ${allow.join(" or ")}`).pipe(
                  HttpServerResponse.setHeader("allow", allow.join(", "))
                )
            )
          }
          if (reason === "RequestParseError") return Effect.succeed(deny(400, "Invalid", "the request body could not be read as JSON"))
        }
        return Effect.logError("the control server failed to answer a request", Cause.pretty(cause)).pipe(
          Effect.as(deny(500, "InternalError", "deckcord failed to answer this request; the daemon's log has the cause"))
        )
      })
    )
  })

// ---------------------------------------------------------------------------------------------
// the Unix socket: transport and single-instance lock
// ---------------------------------------------------------------------------------------------

/** Another daemon answers on the control socket. */
export class DaemonAlreadyRunning extends Schema.TaggedError<DaemonAlreadyRunning>()("DaemonAlreadyRunning", {
  socketPath: Schema.String
}) {
  override get message(): string {
    return `deckcord is already running (it answers on ${this.socketPath}); stop it first ` +
      "(`systemctl --user stop deckcord`, or Ctrl-C where it runs)"
  }
}

/** The control socket cannot be made (a foreign or too-open directory, an unwritable path). */
export class ControlSocketError extends Schema.TaggedError<ControlSocketError>()("ControlSocketError", {
  socketPath: Schema.String,
  message: Schema.String,
  /** What the user does about it. */
  fix: Schema.String
}) {}

/** Does something accept connections there? Refused or missing means a crash left the file. */
export const socketAnswers = (socketPath: string) =>
  Effect.callback<boolean>((resume) => {
    const probe = Net.connect({ path: socketPath })
    probe.once("connect", () => {
      probe.destroy()
      resume(Effect.succeed(true))
    })
    probe.once("error", () => resume(Effect.succeed(false)))
    return Effect.sync(() => probe.destroy())
  })

/** lstat that answers undefined for a missing path: a link is never followed. */
const lstatIfAny = (path: string): Fs.Stats | undefined => {
  try {
    return Fs.lstatSync(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw e
  }
}

const kindOf = (stat: Fs.Stats): string =>
  stat.isSymbolicLink() ? "a symbolic link" :
  stat.isDirectory() ? "a directory" :
  stat.isFile() ? "a regular file" :
  stat.isFIFO() ? "a named pipe" :
  "not a socket"

const ELSEWHERE = "or point $DECKCORD_CONTROL_SOCKET or $XDG_RUNTIME_DIR elsewhere"

/**
 * mkdir -m 0700 (ours only), refuse a live socket, remove a stale one. Nothing is followed
 * through a link and nothing but a socket is removed: the path may be the user's own file.
 */
/** The directories `controlSocketPath` makes for deckcord: `…/deckcord` and `…/deckcord-<uid>`. */
const isOwnSocketDirectory = (dir: string): boolean => /^deckcord(-\d+)?$/.test(Path.basename(dir))

export const prepareSocketPath = (socketPath: string) =>
  Effect.gen(function*() {
    const dir = Path.dirname(socketPath)
    const fail = (message: string, fix: string) => new ControlSocketError({ socketPath, message, fix })
    const inspect = (path: string) =>
      Effect.try({ try: () => lstatIfAny(path), catch: (e) => fail(String(e), `check ${path}, ${ELSEWHERE}`) })
    const refuseLink = (stat: Fs.Stats | undefined) =>
      stat?.isSymbolicLink() === true
        ? Effect.fail(fail(
          `${dir} is a symbolic link; the control socket's directory must be a real directory of your own`,
          `remove the link (rm ${dir}) and start deckcord again, ${ELSEWHERE}`
        ))
        : Effect.void
    // before mkdir, which would follow a link to a directory and accept it
    yield* refuseLink(yield* inspect(dir))
    yield* Effect.try({
      try: () => Fs.mkdirSync(dir, { recursive: true, mode: 0o700 }),
      catch: (e) => fail(String(e), `fix the directory, ${ELSEWHERE}`)
    })
    const stat = yield* inspect(dir)
    yield* refuseLink(stat) // made a link in between
    if (stat === undefined || !stat.isDirectory()) {
      return yield* fail(`${dir} is ${stat === undefined ? "missing" : kindOf(stat)}, not a directory`, `remove it, ${ELSEWHERE}`)
    }
    const uid = process.getuid?.()
    if (uid !== undefined && stat.uid !== uid) {
      return yield* fail(`${dir} belongs to another user`, `remove it, ${ELSEWHERE}`)
    }
    // only deckcord's own directory is closed to others; a directory named by
    // $DECKCORD_CONTROL_SOCKET (/tmp, a shared folder) is not ours to change, and the socket
    // itself is 0600 either way
    if ((stat.mode & 0o077) !== 0 && isOwnSocketDirectory(dir)) Fs.chmodSync(dir, 0o700)
    const existing = yield* inspect(socketPath)
    if (existing === undefined) return
    if (!existing.isSocket()) {
      return yield* fail(
        `${socketPath} exists and is ${kindOf(existing)}, not deckcord's control socket; deckcord leaves it alone`,
        `move it away, ${ELSEWHERE}`
      )
    }
    if (yield* socketAnswers(socketPath)) return yield* new DaemonAlreadyRunning({ socketPath })
    yield* Effect.logInfo(`removing a stale control socket left by a previous run: ${socketPath}`)
    yield* Effect.try({
      try: () => Fs.rmSync(socketPath, { force: true }),
      catch: (e) => fail(String(e), `remove ${socketPath} yourself, ${ELSEWHERE}`)
    })
  })

/** Shutdown must not wait for open event streams (they end first) or for slow clients. */
const GRACEFUL_SHUTDOWN = "1 second"

/** The control socket as an `HttpServer`, 0600. Node removes the file when it closes. */
export const unixServer = (socketPath: string) =>
  Effect.gen(function*() {
    yield* prepareSocketPath(socketPath)
    const server = yield* NodeHttpServer.make(() => createServer(), {
      path: socketPath,
      gracefulShutdownTimeout: GRACEFUL_SHUTDOWN
    }).pipe(
      Effect.catchTag("ServeError", (e) =>
        // two daemons starting at the same moment: the loser finds the address taken
        /EADDRINUSE/.test(String(e.cause)) ? Effect.fail(new DaemonAlreadyRunning({ socketPath })) : Effect.die(e))
    )
    Fs.chmodSync(socketPath, 0o600)
    return server
  })

// ---------------------------------------------------------------------------------------------
// the server layer
// ---------------------------------------------------------------------------------------------

export type WebOption = false | { readonly port?: number; readonly host?: string } | undefined

export interface ControlServerOptions {
  /** The bound Unix socket (see `unixServer`, built before the rest of the daemon). */
  readonly socket: HttpServer.HttpServer["Service"]
  /** `web` from the config. */
  readonly web: WebOption
  /** The token for HTTP; random per start when omitted. */
  readonly token?: string
  /** More routes (the web UI). */
  readonly routes?: ReadonlyArray<RouteLayer>
}

export const makeToken = (): string => randomBytes(24).toString("base64url")

/**
 * Serve the control application on the socket and, unless `web: false`, on HTTP. A port that
 * cannot be bound is logged with its fix and the daemon runs on without the web UI.
 */
export const controlServerLayer = (
  options: ControlServerOptions
): Layer.Layer<WebAccess | StreamsShutdown, never, Exclude<ControlServices, WebAccess | FaceImages>> =>
  Layer.effectContext(Effect.gen(function*() {
    const scope = yield* Effect.scope
    const token = options.token ?? makeToken()
    const shutdown = yield* Deferred.make<void>()

    let web: { server: HttpServer.HttpServer["Service"]; host: string; port: number } | undefined
    if (options.web !== false) {
      const host = options.web?.host ?? "127.0.0.1"
      const port = options.web?.port ?? DEFAULT_WEB_PORT
      const bound = yield* NodeHttpServer.make(() => createServer(), { host, port, gracefulShutdownTimeout: GRACEFUL_SHUTDOWN })
        .pipe(
          Scope.provide(scope),
          Effect.map((server) => ({ server, host, port: server.address._tag === "UnixPathAddress" ? port : server.address.port })),
          Effect.catchTag("ServeError", (e) =>
            Effect.logWarning(
              `the web UI cannot listen on ${host}:${port} (${String(e.cause)}); ` +
                "set another \"web\": { \"port\": … } in the config, or \"web\": false"
            ).pipe(Effect.as(undefined)))
        )
      web = bound
    }
    const displayHost = web === undefined ? "" : web.host.includes(":") ? `[${web.host}]` : web.host
    const access = WebAccess.of({
      token,
      url: web === undefined ? null : `http://${displayHost}:${web.port}/?token=${token}`
    })

    const support = yield* Layer.build(Layer.mergeAll(
      NodeHttpServer.layerHttpServices,
      FaceImages.layer,
      Layer.succeed(WebAccess, access),
      Layer.succeed(StreamsShutdown, shutdown)
    ))
    const routes = Layer.mergeAll(ApiRoutes, EventsRoute, FaceRoutes, ...(options.routes ?? [])).pipe(
      Layer.provide(Layer.succeedContext(support))
    )
    const table = new RouteTable()
    // what `HttpRouter.toHttpEffect` does, with the recording router; `support` above already
    // gave the routes what they need, only the router's request markers remain in the type
    const routerLayer = Layer.provideMerge(routes, recordingRouter(table)) as unknown as Layer.Layer<HttpRouter.HttpRouter>
    const router = Context.get(
      yield* Layer.build(routerLayer).pipe(Scope.provide(scope)),
      HttpRouter.HttpRouter
    )
    const app = answered(table)(router.asHttpEffect()).pipe(Effect.provide(support))
    yield* options.socket.serve(app).pipe(Scope.provide(scope))
    if (web !== undefined) {
      yield* web.server.serve(guarded({ token, host: web.host, port: web.port })(app)).pipe(Scope.provide(scope))
      yield* Effect.logInfo(`web UI: ${access.url}`)
    }
    // added last, so it runs first: the event streams end before the servers wait for open connections
    yield* Effect.addFinalizer(() => Deferred.succeed(shutdown, undefined))
    return Context.make(WebAccess, access).pipe(Context.add(StreamsShutdown, shutdown))
  }))
