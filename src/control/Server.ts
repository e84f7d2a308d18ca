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
 * The guard is `RequestGuard.ts`, the socket and its lock `ControlSocket.ts`, the answers to
 * what no route answers (body limit, 404/405, bad requests) `Answers.ts`; this module is the
 * application and the layer that serves it.
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
import { Context, Deferred, Effect, Equal, Layer, Option, Schema, Scope, Stream } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { makeToken } from "./token.ts"
import { createServer } from "node:http"
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
  StateEvent
} from "./Api.ts"
import { answered, recordingRouter, RouteTable } from "./Answers.ts"
import { pressControl, runAction } from "./Commands.ts"
import { currentStatus, deckStatus, statusChanges } from "./Status.ts"
import { GRACEFUL_SHUTDOWN } from "./ControlSocket.ts"
import { guarded } from "./RequestGuard.ts"
import { VirtualDecks } from "./VirtualDecks.ts"

// the parts of the control server that have modules of their own, importable from here too
export { bodyTooLarge, isBodyTooLarge, MAX_BODY_BYTES } from "./Answers.ts"
export {
  ControlSocketError,
  DaemonAlreadyRunning,
  prepareSocketPath,
  socketAnswers,
  unixServer
} from "./ControlSocket.ts"
export { type GuardOptions, guarded, guardRequest, hostAllowed } from "./RequestGuard.ts"

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

/** A deck's faces; the API's schema leaves out the files they are drawn from (`FaceSchema`). */
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

/** Through the API's own schema: a face goes out with the fields a client may see, no file paths. */
const encodeEvent = Schema.encodeSync(Schema.fromJsonString(StateEvent))
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

export { makeToken } from "./token.ts"

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
