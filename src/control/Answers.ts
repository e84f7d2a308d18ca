/**
 * How the control application answers what its routes do not, on both transports: a body
 * over the limit, an unknown path or method, a request the API cannot decode, a defect. Every
 * such answer has the API's JSON error shape (`_tag`, `message`).
 *
 * @since 0.2.0
 */
import { ByteSize, Cause, Effect, Layer, Option } from "effect"
import { FindMyWay, HttpIncomingMessage, HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiError } from "effect/http-api"

/** An error answer in the API's shape. */
export const deny = (status: number, error: string, message: string) =>
  HttpServerResponse.jsonUnsafe({ _tag: error, message }, { status })

/**
 * The largest request body read. The biggest legitimate one is a config.json saved from the
 * web editor, a few KiB even with many decks and pages; 1 MiB leaves ample room and keeps a
 * hostile or broken client from making the daemon buffer hundreds of MiB.
 */
export const MAX_BODY_BYTES = 1024 * 1024

/** The 413 for a body over `MAX_BODY_BYTES`. */
export const bodyTooLarge = () =>
  deny(413, "PayloadTooLarge", `a request body may be at most ${MAX_BODY_BYTES} bytes (1 MiB)`)

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

const schemaMessage = (error: unknown): string => {
  const cause = (error as { readonly cause?: unknown }).cause
  return cause instanceof Error ? cause.message : String(cause ?? error)
}

const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const

/** Which methods each path has, so a wrong method is told apart from a wrong path (405, not 404). */
export class RouteTable {
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
export const recordingRouter = (table: RouteTable) =>
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
export const answered = (routes: RouteTable) =>
<E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const length = Number(request.headers["content-length"] ?? 0)
    if (Number.isFinite(length) && length > MAX_BODY_BYTES) return Effect.succeed(bodyTooLarge())
    return app.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(MAX_BODY_BYTES)),
      Effect.catchCause((cause): Effect.Effect<HttpServerResponse.HttpServerResponse, never, never> => {
        if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
        const error = Cause.squash(cause)
        if (isBodyTooLarge(error)) return Effect.succeed(bodyTooLarge())
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
