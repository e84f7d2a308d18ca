/**
 * State streamed out of the daemon: `watch` (one line per change, through a Discord
 * restart), the SSE stream with faces, faces as SVG, and virtual decks made through the API.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Schema, type Scope } from "effect"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { DeckStatus, StateEvent, Status } from "../../src/control/Api.ts"
import { runRemote } from "../../src/cli/remote.ts"
import { Controller } from "../../src/index.ts"
import { fixtures } from "../../src/testing/index.ts"
import { captureLogs, eventually } from "../support/effects.ts"
import { type Harness, rawRequest, startDaemon } from "./harness.ts"

const decodeStatus = Schema.decodeUnknownSync(Schema.fromJsonString(Status))
const decodeEvent = Schema.decodeUnknownSync(Schema.fromJsonString(StateEvent))
const decodeDeck = Schema.decodeUnknownSync(Schema.fromJsonString(DeckStatus))
const WaybarLine = Schema.Struct({
  text: Schema.String,
  alt: Schema.Literals(["on", "muted", "deafened", "offline"]),
  class: Schema.String,
  tooltip: Schema.String
})
const decodeWaybar = Schema.decodeUnknownSync(Schema.fromJsonString(WaybarLine))

const withDaemon = <A, E>(f: (h: Harness) => Effect.Effect<A, E, Scope.Scope>, options?: Parameters<typeof startDaemon>[0]) =>
  Effect.gen(function*() {
    const h = yield* startDaemon(options)
    yield* h.live
    return yield* f(h)
  }).pipe(Effect.scoped, Effect.provide([NodeServices.layer, captureLogs().layer]), Effect.timeout("20 seconds"))

/** Run `deckcord watch <flag>` until the scope closes; its lines so far. */
const watching = (h: Harness, flag: string) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    let partial = ""
    const abort = new AbortController()
    const done = runRemote(["watch", flag], {
      env: h.env,
      signal: abort.signal,
      err: () => {},
      out: (text) => {
        partial += text
        const parts = partial.split("\n")
        partial = parts.pop()!
        lines.push(...parts)
      }
    })
    yield* Effect.addFinalizer(() => Effect.promise(() => (abort.abort(), done)))
    return { lines, done }
  })

/** Read `/api/events` over the socket until `until` holds for the events so far. */
const readEvents = (socketPath: string, path: string, until: (events: ReadonlyArray<StateEvent>) => boolean) =>
  Effect.promise(() =>
    new Promise<ReadonlyArray<StateEvent>>((resolve, reject) => {
      const events: Array<StateEvent> = []
      const req = Http.request({ socketPath, path, headers: { host: "deckcord" } }, (res) => {
        let buffer = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => {
          buffer += chunk
          let end: number
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const data = buffer.slice(0, end).split("\n").find((l) => l.startsWith("data: "))
            buffer = buffer.slice(end + 2)
            if (data !== undefined) events.push(decodeEvent(data.slice(6)))
          }
          if (until(events)) {
            req.destroy()
            resolve(events)
          }
        })
      })
      req.on("error", (e) => (events.length > 0 && until(events) ? undefined : reject(e)))
      req.end()
    })
  )

describe("watch", () => {
  it.live("--json prints one status per change and keeps streaming through a Discord restart", () =>
    withDaemon((h) =>
      Effect.gen(function*() {
        const { lines } = yield* watching(h, "--json")
        const statuses = () => lines.map((l) => decodeStatus(l))
        yield* eventually(Effect.sync(statuses), (s) => s.some((x) => x.connection.live && !x.muted), "the first, live line")
        yield* h.cli("mute", "on")
        yield* eventually(Effect.sync(statuses), (s) => s.at(-1)?.muted === true, "a line saying muted")

        // Discord quits and comes back: the stream says so and goes on
        yield* h.fake.stop
        yield* eventually(Effect.sync(statuses), (s) => s.at(-1)?.connection.live === false, "a line saying disconnected")
        yield* h.fake.start
        yield* eventually(Effect.sync(statuses), (s) => s.at(-1)?.connection.live === true, "live again")
        yield* h.cli("mute", "off")
        yield* eventually(Effect.sync(statuses), (s) => s.at(-1)?.muted === false && s.at(-1)?.connection.live === true, "unmuted after the restart")

        // one line per change: no two neighbours are the same
        const all = lines
        for (let i = 1; i < all.length; i++) expect(all[i]).not.toBe(all[i - 1])
      })
    ))

  it.live("--waybar prints waybar's custom-module JSON", () =>
    withDaemon((h) =>
      Effect.gen(function*() {
        yield* h.cli("join", fixtures.channels.lounge.id)
        const { lines } = yield* watching(h, "--waybar")
        const json = yield* watching(h, "--json")
        yield* eventually(Effect.sync(() => lines.map((l) => decodeWaybar(l))), (l) => l.at(-1)?.tooltip.includes("Lounge") === true, "mic on in Lounge")
        // someone speaking changes the status but not the bar: no line for it
        yield* h.fake.startSpeaking(fixtures.users.alex.id)
        yield* eventually(
          Effect.sync(() => json.lines.map((l) => decodeStatus(l))),
          (l) => l.at(-1)?.channel?.members.some((m) => m.speaking) === true,
          "the speaking seen by --json"
        )
        yield* h.cli("mute", "on")
        const muted = yield* eventually(Effect.sync(() => lines.map((l) => decodeWaybar(l))), (l) => l.at(-1)?.alt === "muted", "muted")
        expect(muted.at(-1)?.class).toBe("muted")
        for (let i = 1; i < lines.length; i++) expect(lines[i]).not.toBe(lines[i - 1])
      })
    ))
})

describe("the event stream and faces", () => {
  it.live("face data carries no file path: a custom image is the daemon's business, the client fetches the drawn face", () => {
    const folder = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-face-image-"))
    const image = Path.join(folder, "mic.svg")
    Fs.writeFileSync(image, `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="#f00"/></svg>`)
    /** Every string in a JSON value that is an absolute path. */
    const paths = (value: unknown): Array<string> =>
      typeof value === "string"
        ? (Path.isAbsolute(value) ? [value] : [])
        : typeof value === "object" && value !== null
        ? Object.values(value).flatMap(paths)
        : []
    /** The raw SSE text of `/api/events?faces=true` up to the first face of key:0. */
    const rawFaceEvents = (socketPath: string) =>
      Effect.promise(() =>
        new Promise<string>((resolve, reject) => {
          const req = Http.request({ socketPath, path: "/api/events?faces=true", headers: { host: "deckcord" } }, (res) => {
            let text = ""
            res.setEncoding("utf8")
            res.on("data", (chunk: string) => {
              text += chunk
              if (/event: Face\ndata: [^\n]*"control":"key:0"[^\n]*\n\n/.test(text)) {
                req.destroy()
                resolve(text)
              }
            })
          })
          req.on("error", reject)
          req.end()
        })
      )
    return withDaemon((h) =>
      Effect.gen(function*() {
        yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(folder, { recursive: true, force: true })))
        const sse = yield* rawFaceEvents(h.socketPath)
        const frames = sse.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)) as unknown)
        const faceEvent = frames.find((f) => (f as { _tag?: string; control?: string })._tag === "Face" && (f as { control?: string }).control === "key:0")
        expect(faceEvent).toMatchObject({ face: { icon: expect.any(String) } })
        expect(frames.flatMap(paths)).toEqual([])
        expect(sse).not.toContain(folder)

        const faces = yield* rawRequest({ socketPath: h.socketPath }, { path: "/api/decks/IMAGE0000001/faces", headers: { host: "deckcord" } })
        expect(faces.status).toBe(200)
        expect(JSON.parse(faces.body)).toContainEqual(expect.objectContaining({ control: "key:0" }))
        expect(paths(JSON.parse(faces.body))).toEqual([])
        expect(faces.body).not.toContain(folder)
        // the face itself has the picture: the API left it out
        const controller = Context.get(h.context as Context.Context<Controller>, Controller)
        expect((yield* controller.faces).get("IMAGE0000001/key:0")?.image).toBe(image)
      }), {
      decks: [{ model: "original-mk2", serial: "IMAGE0000001" }],
      layout: { "*": { keys: { "0": { action: "mute", image } } } }
    })
  })

  it.live("streams each face as the deck shows it, and serves it as SVG", () =>
    withDaemon((h) =>
      Effect.gen(function*() {
        const isMuteFace = (tone: string) => (events: ReadonlyArray<StateEvent>) =>
          events.some((e) => e._tag === "Face" && e.serial === "FACES0000001" && e.control === "key:0" && e.face?.tone === tone)
        const first = yield* readEvents(h.socketPath, "/api/events?faces=true", isMuteFace("neutral"))
        expect(first[0]?._tag).toBe("Status")
        const [muted] = yield* Effect.all([
          readEvents(h.socketPath, "/api/events?faces=true", isMuteFace("muted")),
          h.cli("mute", "on")
        ], { concurrency: "unbounded" })
        expect(isMuteFace("muted")(muted)).toBe(true)

        const faces = yield* rawRequest({ socketPath: h.socketPath }, { path: "/api/decks/FACES0000001/faces", headers: { host: "deckcord" } })
        expect(JSON.parse(faces.body)).toContainEqual(expect.objectContaining({ control: "key:0" }))
        const svg = yield* rawRequest({ socketPath: h.socketPath }, {
          path: "/api/decks/FACES0000001/key:0/face.svg",
          headers: { host: "deckcord" }
        })
        expect(svg.status).toBe(200)
        expect(svg.headers["content-type"]).toContain("image/svg+xml")
        expect(svg.body).toMatch(/^<svg[^>]* width="72" height="72"/)
        const png = yield* rawRequest({ socketPath: h.socketPath }, {
          path: "/api/decks/FACES0000001/key:0/face.png",
          headers: { host: "deckcord" }
        })
        expect(png.status).toBe(200)
        expect(png.headers["content-type"]).toBe("image/png")
        const missing = yield* rawRequest({ socketPath: h.socketPath }, {
          path: "/api/decks/FACES0000001/key:99/face.svg",
          headers: { host: "deckcord" }
        })
        expect(missing.status).toBe(404)
      }), { decks: [{ model: "original-mk2", serial: "FACES0000001" }] }))

  it.live("a standalone virtual deck of any model is added, drawn, pressed and removed through the API", () =>
    withDaemon((h) =>
      Effect.gen(function*() {
        const sock = { socketPath: h.socketPath }
        const json = { host: "deckcord", "content-type": "application/json" }
        const bad = yield* rawRequest(sock, { method: "POST", path: "/api/virtual-decks", headers: json, body: JSON.stringify({ model: "toaster" }) })
        expect(bad.status).toBe(400)
        expect(bad.body).toContain("plus")
        const added = yield* rawRequest(sock, {
          method: "POST",
          path: "/api/virtual-decks",
          headers: json,
          body: JSON.stringify({ model: "plus", serial: "PHONE1" })
        })
        expect(added.status).toBe(201)
        const deck = decodeDeck(added.body)
        expect(deck).toMatchObject({ serial: "PHONE1", model: "plus", virtual: true })
        expect(deck.encoders).toHaveLength(4)
        // its default layout is drawn like a USB deck's
        yield* eventually(
          rawRequest(sock, { path: "/api/decks/PHONE1/faces", headers: { host: "deckcord" } }),
          (r) => (JSON.parse(r.body) as Array<unknown>).length > 0,
          "faces on the virtual deck"
        )
        // key 0 of the default layout mutes
        const press = yield* rawRequest(sock, {
          method: "POST",
          path: "/api/decks/PHONE1/press",
          headers: json,
          body: JSON.stringify({ control: "key:0" })
        })
        expect(press.status).toBe(200)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.mute, "muted from the virtual Stream Deck +")
        const removed = yield* rawRequest(sock, { method: "DELETE", path: "/api/virtual-decks/PHONE1", headers: { host: "deckcord" } })
        expect(removed.status).toBe(204)
        yield* eventually(
          rawRequest(sock, { path: "/api/decks", headers: { host: "deckcord" } }),
          (r) => !r.body.includes("PHONE1"),
          "the virtual deck gone"
        )
      })
    ))
})
