/**
 * The web UI's own routes, beside the control API: the pages and their files, a richer status
 * with the live log tail, the setup form and Authorize button, the layout editor's config
 * read/save (versioned, conflict-checked) and its pickers filled from Discord. They are
 * served by the control server, behind the same token, Host and Origin checks.
 *
 * Every path is under `/api/ui` except the pages themselves (`/`, `/ui/*`).
 *
 * @since 0.2.0
 */
import { Deferred, Duration, Effect, FileSystem, Layer, Option, Redacted, Schema, Stream } from "effect"
import { Sse } from "effect/encoding"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { fileURLToPath } from "node:url"
import type { Invalid, NotConnected, Refused } from "../control/Api.ts"
import { bodyTooLarge, isBodyTooLarge, StreamsShutdown } from "../control/Server.ts"
import { WebLookups } from "../control/WebLookups.ts"
import { isClientId } from "../config/Config.ts"
import { Deck } from "../deck/Deck.ts"
import { type Binding, defaultLayout, type PageLayout } from "../control/Layout.ts"
import { Settings } from "../config/Settings.ts"
import { CATALOG } from "./catalog.ts"
import { ConfigEditor } from "./ConfigEditor.ts"
import { LogTail } from "./LogTail.ts"

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const json = (body: unknown, status = 200) =>
  HttpServerResponse.jsonUnsafe(body, { status, headers: { "cache-control": "no-store" } })

const failure = (status: number, tag: string, message: string, extra: Record<string, unknown> = {}) =>
  json({ _tag: tag, message, ...extra }, status)

/** A body that is not JSON, or not the expected shape, is the client's mistake: say which. */
const badBody = {
  SchemaError: (e: { readonly message: string }) => Effect.succeed(failure(400, "Invalid", e.message)),
  HttpServerError: (e: unknown) =>
    Effect.succeed(isBodyTooLarge(e) ? bodyTooLarge() : failure(400, "Invalid", "the request body is not JSON"))
}

/** Keep-alive comments so proxies and browsers keep an idle stream open. */
const HEARTBEAT = Duration.seconds(15)

const sse = (
  events: Stream.Stream<{ readonly event: string; readonly data: unknown }>,
  shutdown: Option.Option<Deferred.Deferred<void>>
) => {
  let id = 0
  const data = events.pipe(
    Stream.map(({ event, data }) =>
      Sse.encoder.write({ _tag: "Event", event, id: String(++id), data: JSON.stringify(data) })
    )
  )
  const ping = Stream.tick(HEARTBEAT).pipe(Stream.drop(1), Stream.map(() => ": ping\n\n"))
  const body = Stream.merge(data, ping, { haltStrategy: "left" })
  const ended = Option.isSome(shutdown) ? Stream.interruptWhen(body, Deferred.await(shutdown.value)) : body
  return HttpServerResponse.stream(ended.pipe(Stream.encodeText), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
  })
}

// ---------------------------------------------------------------------------------------------
// static files
// ---------------------------------------------------------------------------------------------

/** The page files: served from this fixed list only, so no path from a request reaches the disk. */
export const UI_FILES: Readonly<Record<string, string>> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "deck.js": "text/javascript; charset=utf-8",
  "editor.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "icon.svg": "image/svg+xml"
}

/** Where the page files are: beside the sources (`src/web/ui`), also from `dist/web`. */
export const UI_DIR = fileURLToPath(new URL("../../src/web/ui/", import.meta.url))

const serveFile = (name: string) =>
  Effect.gen(function*() {
    const type = UI_FILES[name]
    if (type === undefined) return failure(404, "NotFound", `no such page file: ${name}`)
    const fs = yield* FileSystem.FileSystem
    const body = yield* fs.readFile(`${UI_DIR}${name}`).pipe(Effect.option)
    if (Option.isNone(body)) return failure(500, "Missing", `the web UI file ${name} is missing from this installation`)
    return HttpServerResponse.uint8Array(body.value, {
      contentType: type,
      headers: {
        "cache-control": "no-cache",
        // the pages load nothing from elsewhere: no CDN, no inline script
        "content-security-policy":
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer"
      }
    })
  })

// ---------------------------------------------------------------------------------------------
// Discord pickers
// ---------------------------------------------------------------------------------------------

/** A lookup's answer, or its failure as the control API words it (503 not connected, 502 no answer). */
const answer = <A, R>(lookup: Effect.Effect<A, NotConnected | Refused | Invalid, R>) =>
  lookup.pipe(
    Effect.map((body) => json(body)),
    Effect.catchTags({
      NotConnected: (e) => Effect.succeed(failure(503, "NotConnected", e.message, e.fix !== undefined ? { fix: e.fix } : {})),
      Refused: (e) => Effect.succeed(failure(502, "Refused", e.message)),
      Invalid: (e) => Effect.succeed(failure(409, "Invalid", e.message))
    })
  )

const GuildQuery = Schema.Struct({
  guild: Schema.String.check(Schema.isPattern(/^\d{1,20}$/, { message: "expected a server id" })),
  kind: Schema.Literals(["voice", "text"]).pipe(Schema.withDecodingDefaultKey(Effect.succeed("voice" as const)))
})

/** A layout as the config file writes it: `{ "action": name, ...options }` per control. */
const defaultLayoutJson = (layout: PageLayout) => {
  const toJson = (bindings: ReadonlyMap<number, Binding>) =>
    Object.fromEntries(
      [...bindings].map(([index, b]) => [
        String(index),
        { action: b.action.name, ...(typeof b.options === "object" && b.options !== null ? b.options : {}) }
      ])
    )
  return { keys: toJson(layout.keys), encoders: toJson(layout.encoders) }
}

// ---------------------------------------------------------------------------------------------
// bodies
// ---------------------------------------------------------------------------------------------

const SaveBody = Schema.Struct({
  version: Schema.String,
  config: Schema.Record(Schema.String, Schema.Unknown)
})

const SetupBody = Schema.Struct({
  clientId: Schema.String,
  /** Write-only: empty or absent keeps the stored one. */
  clientSecret: Schema.optionalKey(Schema.String)
})

const AuthorizeBody = Schema.Struct({
  /** Forget the stored tokens first, so Discord asks again. */
  reauthorize: Schema.optionalKey(Schema.Boolean)
})

// ---------------------------------------------------------------------------------------------
// routes
// ---------------------------------------------------------------------------------------------

/** Everything the routes use from the daemon. */
export type WebUiServices =
  | Settings
  | Deck
  | WebLookups
  | ConfigEditor
  | FileSystem.FileSystem

/** The web UI's routes, to merge beside the control API's on its router. */
export const WebUiRoutes: Layer.Layer<never, never, HttpRouter.HttpRouter | WebUiServices> = HttpRouter.use(
  Effect.fnUntraced(function*(router) {
    const context = yield* Effect.context<WebUiServices>()
    // optional: the log tail exists when the daemon was started with it (see `LogTail.layer`),
    // and the server's shutdown signal ends open streams at once instead of waiting for them
    const tail = yield* Effect.serviceOption(LogTail)
    const shutdown = yield* Effect.serviceOption(StreamsShutdown)
    const add = (
      method: "GET" | "POST" | "PUT",
      path: HttpRouter.PathInput,
      handler: Effect.Effect<HttpServerResponse.HttpServerResponse, never, WebUiServices | HttpServerRequest.HttpServerRequest | HttpServerRequest.ParsedSearchParams | HttpRouter.RouteContext>
    ) => router.add(method, path, Effect.provideContext(handler, context))

    // ---- pages ----
    yield* add("GET", "/", serveFile("index.html"))
    yield* add("GET", "/index.html", serveFile("index.html"))
    for (const name of Object.keys(UI_FILES)) yield* add("GET", `/ui/${name}`, serveFile(name))

    // ---- status and its live stream (status snapshots and log lines) ----
    yield* add("GET", "/api/ui/status", Effect.map(WebLookups.use((l) => l.status), (view) => json(view)))
    yield* add(
      "GET",
      "/api/ui/events",
      Effect.gen(function*() {
        const lookups = yield* WebLookups
        const status = lookups.statusChanges.pipe(Stream.map((data) => ({ event: "status", data })))
        const log = Option.match(tail, {
          onNone: () => Stream.empty,
          onSome: (t) => t.follow.pipe(Stream.map((data) => ({ event: "log", data })))
        })
        const merged = Stream.merge(status, log)
        return sse(merged, shutdown)
      })
    )

    // ---- setup: the application's id and (write-only) secret; Authorize ----
    yield* add(
      "POST",
      "/api/ui/setup",
      Effect.gen(function*() {
        const body = yield* HttpServerRequest.schemaBodyJson(SetupBody)
        const settings = yield* Settings
        const clientId = body.clientId.trim()
        if (!isClientId(clientId)) {
          return failure(400, "Invalid", "expected a Discord id (17–20 digits): the Application ID from the Discord Developer Portal", {
            problems: [{ path: "[\"clientId\"]", message: "expected 17–20 digits: the Application ID on General Information" }]
          })
        }
        const given = body.clientSecret?.trim() ?? ""
        const stored = (yield* settings.config).clientSecret
        const secret = given !== "" ? Redacted.make(given) : stored
        if (secret === undefined) {
          return failure(400, "Invalid", "the Client Secret is needed: OAuth2 → Reset Secret, then paste it here", {
            problems: [{ path: "[\"clientSecret\"]", message: "paste the Client Secret from OAuth2 → Reset Secret" }]
          })
        }
        return yield* settings.saveCredentials(clientId, secret).pipe(
          Effect.map((config) => json({ clientId: config.clientId ?? null, hasSecret: config.clientSecret !== undefined })),
          Effect.catchTags({
            ConfigError: (e) => Effect.succeed(failure(400, "Invalid", e.message)),
            SettingsFileError: (e) => Effect.succeed(failure(500, "FileError", e.message, { fix: e.hint }))
          })
        )
      }).pipe(Effect.catchTags(badBody))
    )
    yield* add(
      "POST",
      "/api/ui/authorize",
      Effect.gen(function*() {
        const body = yield* HttpServerRequest.schemaBodyJson(AuthorizeBody)
        const lookups = yield* WebLookups
        return yield* lookups.authorize({ reauthorize: body.reauthorize === true }).pipe(
          Effect.as(json({ started: true })),
          Effect.catchTags({
            Invalid: (e) => Effect.succeed(failure(409, "NotConfigured", e.message)),
            SettingsFileError: (e) => Effect.succeed(failure(500, "FileError", e.message, { fix: e.hint }))
          })
        )
      }).pipe(Effect.catchTags(badBody))
    )

    // ---- config for the layout editor ----
    yield* add(
      "GET",
      "/api/ui/config",
      Effect.gen(function*() {
        const editor = yield* ConfigEditor
        return yield* editor.read.pipe(
          Effect.map((snapshot) => json(snapshot)),
          Effect.catchTag("SettingsFileError", (e) => Effect.succeed(failure(500, "FileError", e.message)))
        )
      })
    )
    yield* add(
      "PUT",
      "/api/ui/config",
      Effect.gen(function*() {
        const body = yield* HttpServerRequest.schemaBodyJson(SaveBody)
        const editor = yield* ConfigEditor
        return yield* editor.save(body.version, body.config).pipe(
          Effect.map((snapshot) => json(snapshot)),
          Effect.catchTags({
            ConfigConflict: (e) => Effect.succeed(failure(409, "Conflict", e.message, { actual: e.actual })),
            ConfigInvalid: (e) => Effect.succeed(failure(422, "Invalid", e.message, { problems: e.problems })),
            SettingsFileError: (e) => Effect.succeed(failure(500, "FileError", e.message, { fix: e.hint }))
          })
        )
      }).pipe(Effect.catchTags(badBody))
    )
    yield* add("GET", "/api/ui/catalog", Effect.succeed(json({ groups: CATALOG })))
    yield* add(
      "GET",
      "/api/ui/defaults/:serial",
      Effect.gen(function*() {
        const { serial } = yield* HttpRouter.schemaPathParams(Schema.Struct({ serial: Schema.String }))
        const decks = yield* Deck.use((d) => d.decks)
        const info = decks.get(serial)
        if (info === undefined) return failure(404, "NotFound", `no deck ${serial} is connected`)
        return json(defaultLayoutJson(defaultLayout(info)))
      }).pipe(Effect.catchTag("SchemaError", (e) => Effect.succeed(failure(400, "Invalid", e.message))))
    )

    // ---- pickers, filled from Discord by name ----
    yield* add("GET", "/api/ui/discord/guilds", answer(WebLookups.use((l) => l.guilds)))
    yield* add(
      "GET",
      "/api/ui/discord/channels",
      Effect.gen(function*() {
        const query = yield* HttpServerRequest.schemaSearchParams(GuildQuery)
        return yield* answer(WebLookups.use((l) => l.channels(query.guild, query.kind)))
      }).pipe(Effect.catchTag("SchemaError", (e) => Effect.succeed(failure(400, "Invalid", e.message))))
    )
    yield* add("GET", "/api/ui/discord/members", answer(WebLookups.use((l) => l.members)))
    yield* add("GET", "/api/ui/discord/sounds", answer(WebLookups.use((l) => l.sounds)))
    yield* add("GET", "/api/ui/discord/devices", answer(WebLookups.use((l) => l.devices)))
  })
)
