/**
 * The web UI's routes against the daemon over fakes: status, setup, the layout editor's save
 * (with conflict and validation), pickers filled from FakeDiscord, and the secret never sent.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import * as Fs from "node:fs"
import { actionNamed, ACTIONS } from "../../src/index.ts"
import { FIXTURE_CLIENT_ID, fixtures } from "../../src/testing/index.ts"
import { CATALOG } from "../../src/web/catalog.ts"
import { versionOf } from "../../src/web/ConfigEditor.ts"
import { LogTail } from "../../src/web/LogTail.ts"
import { eventually } from "../support/effects.ts"
import { DECK_SERIAL, SECRET, startWebHarness, TOKEN, WEB_TOKEN, type WebHarness, writeAtomically } from "./harness.ts"

const run = <A, E>(body: (h: WebHarness) => Effect.Effect<A, E>) =>
  Effect.flatMap(startWebHarness(), body).pipe(
    Effect.provide(NodeServices.layer),
    Effect.provide(LogTail.layer), // the live log, as the daemon has it
    Effect.provide(Logger.layer([])), // quiet on success: the daemon logs every connect
    Effect.timeout("20 seconds")
  )

const call = (h: { request: (p: string, i?: RequestInit) => Promise<Response> }, path: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const response = await h.request(path, init)
    const text = await response.text()
    return { status: response.status, text, body: text === "" ? undefined : JSON.parse(text) }
  })

const put = (body: unknown): RequestInit => ({
  method: "PUT",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body)
})
const post = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body)
})

describe("web UI routes", () => {
  it.live("status: connection, who is authorized with which scopes, each deck; never the secret or the token", () =>
    run((h) =>
      Effect.gen(function*() {
        const { status, body, text } = yield* call(h, "/api/ui/status")
        expect(status).toBe(200)
        expect(body.connection.state).toBe("Ready")
        expect(body.connection.user.name).toBe(fixtures.user.global_name ?? fixtures.user.username)
        expect(body.connection.scopes).toEqual(expect.arrayContaining(["rpc", "rpc.voice.write"]))
        expect(typeof body.connection.expires).toBe("string")
        expect(body.decks.map((d: { serial: string }) => d.serial)).toContain(DECK_SERIAL)
        expect(body.setup).toMatchObject({ clientId: FIXTURE_CLIENT_ID, hasSecret: true })
        expect(text).not.toContain(SECRET)
        expect(text).not.toContain(TOKEN)
      })
    ))

  it.live("the live stream sends status snapshots and log lines, never the secret or a token", () =>
    run((h) =>
      Effect.gen(function*() {
        const text = yield* Effect.promise(async () => {
          const controller = new AbortController()
          const response = await h.request("/api/ui/events", { signal: controller.signal })
          const reader = response.body!.getReader()
          let got = ""
          while (!(got.includes("event: status") && got.includes("web UI: http"))) {
            const { value, done } = await reader.read()
            if (done) break
            got += new TextDecoder().decode(value)
          }
          controller.abort()
          return got
        })
        expect(text).toMatch(/event: status\ndata: \{"connection":\{"state":"Ready"/)
        expect(text).toMatch(/event: log\ndata: \{"seq":\d+,"time":"[^"]+","level":"Info","message":"web UI: http:\/\/127\.0\.0\.1:\d+\/\?token=…"/)
        expect(text).not.toContain(SECRET)
        expect(text).not.toContain(TOKEN)
        expect(text).not.toContain(WEB_TOKEN)
      })
    ))

  it.live("status while Discord is away names the reason and the fix", () =>
    run((h) =>
      Effect.gen(function*() {
        yield* h.fake.stop
        const body = yield* eventually(
          Effect.map(call(h, "/api/ui/status"), (r) => r.body),
          (b) => b.connection.reason?.kind === "NoDiscord",
          "the status to say Discord is not running"
        )
        expect(body.connection.reason.message.length).toBeGreaterThan(0)
        expect(body.connection.reason.hint).toMatch(/Discord/)
      })
    ))

  it.live("config: read without the secret; save writes the file atomically with mode 0600 and keeps the secret", () =>
    run((h) =>
      Effect.gen(function*() {
        const read = yield* call(h, "/api/ui/config")
        expect(read.status).toBe(200)
        expect(read.text).not.toContain(SECRET)
        expect(read.body.hasSecret).toBe(true)
        expect(read.body.version).toBe(versionOf(Fs.readFileSync(h.configPath, "utf8")))
        const config = {
          ...read.body.config,
          decks: { "*": { keys: { "0": { action: "voice-channel", channel: fixtures.channels.lounge.id } } } }
        }
        const saved = yield* call(h, "/api/ui/config", put({ version: read.body.version, config }))
        expect(saved.status).toBe(200)
        const onDisk = JSON.parse(Fs.readFileSync(h.configPath, "utf8"))
        expect(onDisk.decks["*"].keys["0"].channel).toBe(fixtures.channels.lounge.id)
        expect(onDisk.clientSecret).toBe(SECRET)
        expect(Fs.statSync(h.configPath).mode & 0o777).toBe(0o600)
        expect(saved.body.version).toBe(versionOf(Fs.readFileSync(h.configPath, "utf8")))
        expect(saved.text).not.toContain(SECRET)
      })
    ))

  it.live("config: a file changed on disk since it was read is a conflict, and nothing is overwritten", () =>
    run((h) =>
      Effect.gen(function*() {
        const read = yield* call(h, "/api/ui/config")
        const edited = { ...JSON.parse(Fs.readFileSync(h.configPath, "utf8")), brightness: 30 }
        writeAtomically(h.configPath, edited) // someone edits the file in an editor meanwhile
        const before = Fs.readFileSync(h.configPath, "utf8")
        const saved = yield* call(h, "/api/ui/config", put({ version: read.body.version, config: { ...read.body.config, brightness: 90 } }))
        expect(saved.status).toBe(409)
        expect(saved.body._tag).toBe("Conflict")
        expect(saved.body.message).toMatch(/changed on disk/)
        expect(Fs.readFileSync(h.configPath, "utf8")).toBe(before)
      })
    ))

  it.live("config: an invalid value is refused with its JSON path and the decoder's message; the file stays", () =>
    run((h) =>
      Effect.gen(function*() {
        const read = yield* call(h, "/api/ui/config")
        const before = Fs.readFileSync(h.configPath, "utf8")
        const config = { ...read.body.config, decks: { "*": { keys: { "4": { action: "voice-channel", channel: "1234" } } } } }
        const saved = yield* call(h, "/api/ui/config", put({ version: read.body.version, config }))
        expect(saved.status).toBe(422)
        expect(saved.body.problems).toContainEqual({
          path: `["decks"]["*"]["keys"]["4"]["channel"]`,
          message: expect.stringMatching(/voice channel id .*Developer Mode.*, got "1234"/)
        })
        expect(Fs.readFileSync(h.configPath, "utf8")).toBe(before)
      })
    ))

  it.live("setup: a bad id is refused at its field; a new id and secret are stored; an empty secret keeps the stored one", () =>
    run((h) =>
      Effect.gen(function*() {
        const bad = yield* call(h, "/api/ui/setup", post({ clientId: "abc" }))
        expect(bad.status).toBe(400)
        expect(bad.body.problems[0].path).toBe(`["clientId"]`)

        const keep = yield* call(h, "/api/ui/setup", post({ clientId: FIXTURE_CLIENT_ID, clientSecret: "" }))
        expect(keep.status).toBe(200)
        expect(JSON.parse(Fs.readFileSync(h.configPath, "utf8")).clientSecret).toBe(SECRET)

        const replaced = yield* call(h, "/api/ui/setup", post({ clientId: FIXTURE_CLIENT_ID, clientSecret: "a-new-secret-123" }))
        expect(replaced.status).toBe(200)
        expect(replaced.text).not.toContain("a-new-secret-123")
        expect(JSON.parse(Fs.readFileSync(h.configPath, "utf8")).clientSecret).toBe("a-new-secret-123")
        expect(Fs.statSync(h.configPath).mode & 0o777).toBe(0o600)
      })
    ))

  it.live("authorize runs the daemon's connection flow again: a new handshake, then Ready", () =>
    run((h) =>
      Effect.gen(function*() {
        const before = (yield* h.fake.handshakes).length
        const started = yield* call(h, "/api/ui/authorize", post({}))
        expect(started.status).toBe(200)
        yield* eventually(h.fake.handshakes, (list) => list.length > before, "a new handshake")
        yield* eventually(
          Effect.map(call(h, "/api/ui/status"), (r) => r.body.connection.state),
          (s) => s === "Ready",
          "Ready again"
        )
      })
    ))

  it.live("pickers list Discord's servers, channels, members, sounds and devices by name", () =>
    run((h) =>
      Effect.gen(function*() {
        const guilds = (yield* call(h, "/api/ui/discord/guilds")).body
        expect(guilds.map((g: { name: string }) => g.name)).toEqual(expect.arrayContaining(["Night Owls"]))
        const lab = fixtures.guilds.lab.id
        const voice = (yield* call(h, `/api/ui/discord/channels?guild=${lab}&kind=voice`)).body
        expect(voice).toContainEqual(expect.objectContaining({ id: fixtures.channels.lounge.id, name: "Lounge" }))
        expect(voice.map((c: { name: string }) => c.name)).not.toContain("general")
        const text = (yield* call(h, `/api/ui/discord/channels?guild=${lab}&kind=text`)).body
        expect(text.map((c: { name: string }) => c.name)).toEqual(["general"])
        const sounds = (yield* call(h, "/api/ui/discord/sounds")).body
        expect(sounds).toContainEqual({ sound: "1", guild: "0", name: "quack", emoji: "🦆" })
        expect(sounds.map((s: { name: string }) => s.name)).not.toContain("owl hoot") // not playable
        const devices = (yield* call(h, "/api/ui/discord/devices")).body
        expect(devices.input.map((d: { name: string }) => d.name)).toContain("Yeti Stereo Microphone")
        yield* h.fake.moveSelfTo(fixtures.channels.lounge.id)
        const members = yield* eventually(
          Effect.map(call(h, "/api/ui/discord/members"), (r) => r.body),
          (m) => Array.isArray(m) && m.length === 2,
          "the channel's members"
        )
        expect(members.map((m: { name: string }) => m.name)).toContain("Alex (mod)")
        const badGuild = yield* call(h, "/api/ui/discord/channels?guild=x")
        expect(badGuild.status).toBe(400)
      })
    ))

  it.live("pickers say why when Discord is not connected", () =>
    run((h) =>
      Effect.gen(function*() {
        yield* h.fake.stop
        const answer = yield* eventually(call(h, "/api/ui/discord/guilds"), (r) => r.status === 503, "a 503")
        expect(answer.body._tag).toBe("NotConnected")
        expect(answer.body.message).toMatch(/Discord is not connected/)
      })
    ))

  it.live("the pages are served with a strict content security policy; unknown files are not", () =>
    run((h) =>
      Effect.gen(function*() {
        const page = yield* Effect.promise(() => h.request("/"))
        expect(page.status).toBe(200)
        expect(page.headers.get("content-type")).toMatch(/text\/html/)
        expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'/)
        const html = yield* Effect.promise(() => page.text())
        expect(html).not.toMatch(/https?:\/\/(?!discord\.com)/) // nothing from a CDN
        for (const file of ["app.js", "deck.js", "editor.js", "style.css"]) {
          expect((yield* Effect.promise(() => h.request(`/ui/${file}`))).status).toBe(200)
        }
        expect((yield* Effect.promise(() => h.request("/ui/../../package.json"))).status).not.toBe(200)
        expect((yield* Effect.promise(() => h.request("/ui/secret.txt"))).status).toBe(404)
      })
    ))

  it.live("defaults: a deck without a layout entry starts the editor from what it shows", () =>
    run((h) =>
      Effect.gen(function*() {
        const defaults = (yield* call(h, `/api/ui/defaults/${DECK_SERIAL}`)).body
        expect(defaults.keys["0"]).toEqual({ action: "mute" })
        expect(defaults.keys["6"]).toEqual({ action: "input-volume", step: -10 })
        expect((yield* call(h, "/api/ui/defaults/NOPE")).status).toBe(404)
      })
    ))
})

describe("the action catalogue", () => {
  it("offers every action once, in Elgato's groups, and only options the action has", () => {
    const offered = CATALOG.flatMap((g) => g.actions.map((a) => a.name))
    expect([...offered].sort()).toEqual(ACTIONS.map((a) => a.name).sort())
    expect(CATALOG.map((g) => g.name)).toEqual(["Voice", "Channels", "Volume", "Devices", "Camera & screen", "Soundboard", "Pages", "Status"])
    for (const action of CATALOG.flatMap((g) => g.actions)) {
      const fields = (actionNamed(action.name)!.options as { fields?: Record<string, unknown> }).fields ?? {}
      for (const field of action.fields) expect(Object.keys(fields), `${action.name}.${field.name}`).toContain(field.name)
    }
  })
})
