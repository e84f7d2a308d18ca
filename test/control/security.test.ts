/**
 * The HTTP side's rules, one test each: the token on every request (cookie from the tokened
 * URL, or a header), the Host header (DNS rebinding), the Origin of state-changing requests
 * (CSRF), and no secret in anything sent.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { hostAllowed } from "../../src/control/Server.ts"
import { captureLogs, eventually } from "../support/effects.ts"
import { ACCESS_TOKEN, CLIENT_SECRET, type Harness, rawRequest, startDaemon, WEB_TOKEN, webPort } from "./harness.ts"

/** A page the web UI would add, to show extra routes sit behind the same guard. */
const ExtraPage = HttpRouter.add("GET", "/extra", HttpServerResponse.text("extra page"))
/** A route whose handler breaks unexpectedly, with an internal detail in its defect. */
const BrokenPage = HttpRouter.add("GET", "/broken", Effect.die(new Error("internal detail 8c1f")))

const withDaemon = <A, E>(f: (h: Harness, port: number, logs: ReadonlyArray<string>) => Effect.Effect<A, E>) => {
  const logs = captureLogs()
  return Effect.gen(function*() {
    const h = yield* startDaemon({ routes: [ExtraPage, BrokenPage] })
    yield* h.live
    return yield* f(h, webPort(h), logs.lines)
  }).pipe(Effect.scoped, Effect.provide([NodeServices.layer, logs.layer]), Effect.timeout("20 seconds"))
}

const SECURITY = ["x-frame-options", "x-content-type-options", "referrer-policy", "content-security-policy"]

const mute = JSON.stringify({ _tag: "Mute", mode: "on" })
const json = { "content-type": "application/json" }

describe("HTTP control API security", () => {
  it.live("a request without the token is refused, with the API's and the web UI's routes alike", () =>
    withDaemon((_h, port) =>
      Effect.gen(function*() {
        const host = { host: `127.0.0.1:${port}` }
        expect((yield* rawRequest({ port }, { path: "/api/status", headers: host })).status).toBe(401)
        expect((yield* rawRequest({ port }, { path: "/extra", headers: host })).status).toBe(401)
        expect((yield* rawRequest({ port }, { path: "/api/status", headers: { ...host, "x-deckcord-token": "wrong" } })).status)
          .toBe(403)
        const ok = yield* rawRequest({ port }, { path: "/api/status", headers: { ...host, authorization: `Bearer ${WEB_TOKEN}` } })
        expect(ok.status).toBe(200)
        // no other site may frame it, and an address with the token never leaks as a Referer
        expect(ok.headers["x-frame-options"]).toBe("DENY")
        expect(ok.headers["content-security-policy"]).toContain("frame-ancestors 'none'")
        expect(ok.headers["referrer-policy"]).toBe("no-referrer")
        expect((yield* rawRequest({ port }, { path: "/extra", headers: { ...host, "x-deckcord-token": WEB_TOKEN } })).body)
          .toBe("extra page")
      })
    ))

  it.live("the tokened URL sets an HttpOnly cookie and drops the token from the address; the cookie then works", () =>
    withDaemon((_h, port) =>
      Effect.gen(function*() {
        const host = { host: `127.0.0.1:${port}` }
        const entry = yield* rawRequest({ port }, { path: `/extra?token=${WEB_TOKEN}&x=1`, headers: host })
        expect(entry.status).toBe(303)
        expect(entry.headers.location).toBe("/extra?x=1")
        const cookie = entry.headers["set-cookie"]?.[0] ?? ""
        expect(cookie).toMatch(/^deckcord_token=/)
        expect(cookie).toMatch(/HttpOnly/)
        expect(cookie).toMatch(/SameSite=Strict/)
        const page = yield* rawRequest({ port }, { path: "/extra", headers: { ...host, cookie: cookie.split(";")[0]! } })
        expect(page.status).toBe(200)
        // a wrong token in the URL sets nothing, and is refused as a wrong header token is
        const wrong = yield* rawRequest({ port }, { path: "/extra?token=nope", headers: host })
        expect(wrong.status).toBe(403)
        expect(JSON.parse(wrong.body)._tag).toBe("Forbidden")
        expect(wrong.headers["set-cookie"]).toBeUndefined()
      })
    ))

  it.live("a rebinding Host header is refused even with the token", () =>
    withDaemon((_h, port) =>
      Effect.gen(function*() {
        const auth = { "x-deckcord-token": WEB_TOKEN }
        for (const host of [`evil.example:${port}`, `127.0.0.1.nip.io:${port}`, "127.0.0.1:1", "localhost.evil:80"]) {
          const r = yield* rawRequest({ port }, { path: "/api/status", headers: { ...auth, host } })
          expect(r.status, host).toBe(421)
        }
        expect((yield* rawRequest({ port }, { path: `/?token=${WEB_TOKEN}`, headers: { host: `evil.example:${port}` } })).status)
          .toBe(421)
        expect((yield* rawRequest({ port }, { path: "/api/status", headers: { ...auth, host: `localhost:${port}` } })).status)
          .toBe(200)
      })
    ))

  it.live("a state-changing request from a foreign Origin is refused and changes nothing", () =>
    withDaemon((h, port) =>
      Effect.gen(function*() {
        const base = { host: `127.0.0.1:${port}`, ...json, cookie: `deckcord_token=${WEB_TOKEN}` }
        const foreign = yield* rawRequest({ port }, {
          method: "POST",
          path: "/api/actions",
          headers: { ...base, origin: "http://evil.example" },
          body: mute
        })
        expect(foreign.status).toBe(403)
        const crossSite = yield* rawRequest({ port }, {
          method: "POST",
          path: "/api/actions",
          headers: { ...base, "sec-fetch-site": "cross-site" },
          body: mute
        })
        expect(crossSite.status).toBe(403)
        expect((yield* h.fake.state).voiceSettings.mute).toBe(false)
        // the same request from the page's own origin goes through
        const own = yield* rawRequest({ port }, {
          method: "POST",
          path: "/api/actions",
          headers: { ...base, origin: `http://127.0.0.1:${port}` },
          body: mute
        })
        expect(own.status).toBe(200)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.mute, "muted from the page")
      })
    ))

  it.live("neither the client secret nor an OAuth token is in anything the API sends", () =>
    withDaemon((h, port) =>
      Effect.gen(function*() {
        const headers = { host: `127.0.0.1:${port}`, "x-deckcord-token": WEB_TOKEN }
        const bodies = [
          (yield* rawRequest({ port }, { path: "/api/status", headers })).body,
          (yield* rawRequest({ port }, { path: "/api/decks", headers })).body,
          (yield* rawRequest({ socketPath: h.socketPath }, { path: "/api/status", headers: { host: "deckcord" } })).body
        ]
        for (const body of bodies) {
          expect(body.length).toBeGreaterThan(0)
          expect(body).not.toContain(CLIENT_SECRET)
          expect(body).not.toContain(ACCESS_TOKEN)
        }
      })
    ))
})

describe("HTTP control API answers", () => {
  const auth = (port: number) => ({ host: `127.0.0.1:${port}`, "x-deckcord-token": WEB_TOKEN, ...json })

  it.live("a body over 1 MiB is refused with 413 before it is read, by length or as it streams", () =>
    withDaemon((h, port) =>
      Effect.gen(function*() {
        const big = JSON.stringify({ _tag: "Mute", mode: "on", pad: "x".repeat(2 * 1024 * 1024) })
        const byLength = yield* rawRequest({ port }, { method: "POST", path: "/api/actions", headers: auth(port), body: big })
        expect(byLength.status).toBe(413)
        expect(JSON.parse(byLength.body)._tag).toBe("PayloadTooLarge")
        const chunked = yield* rawRequest({ port }, {
          method: "POST",
          path: "/api/actions",
          headers: { ...auth(port), "transfer-encoding": "chunked" },
          body: big
        })
        expect(chunked.status).toBe(413)
        const onSocket = yield* rawRequest({ socketPath: h.socketPath }, {
          method: "POST",
          path: "/api/actions",
          headers: { host: "deckcord", ...json },
          body: big
        })
        expect(onSocket.status).toBe(413)
        expect((yield* h.fake.state).voiceSettings.mute).toBe(false)
      })
    ))

  it.live("an unexpected failure is a JSON InternalError without internals, logged with its cause", () =>
    withDaemon((_h, port, logs) =>
      Effect.gen(function*() {
        const reply = yield* rawRequest({ port }, { path: "/broken", headers: auth(port) })
        expect(reply.status).toBe(500)
        const body = JSON.parse(reply.body)
        expect(body._tag).toBe("InternalError")
        expect(typeof body.message).toBe("string")
        expect(reply.body).not.toContain("8c1f")
        const logged = logs.filter((l) => l.startsWith("Error") && l.includes("internal detail 8c1f"))
        expect(logged.length, logs.join("\n")).toBe(1)
      })
    ))

  it.live("an invalid body is a JSON Invalid error naming what is wrong", () =>
    withDaemon((h, port) =>
      Effect.gen(function*() {
        const cases: Array<[string, RegExp]> = [
          ["{not json", /./],
          ["[]", /./],
          ["null", /./],
          [JSON.stringify({ _tag: "Explode" }), /_tag/],
          [JSON.stringify({ _tag: "PushToTalkFor", millis: -5 }), /millis/]
        ]
        for (const [body, mentions] of cases) {
          const reply = yield* rawRequest({ port }, { method: "POST", path: "/api/actions", headers: auth(port), body })
          expect(reply.status, body).toBe(400)
          const error = JSON.parse(reply.body)
          expect(error._tag, body).toBe("Invalid")
          expect(error.message, body).toMatch(mentions)
        }
        expect((yield* h.fake.state).voiceSettings.mute).toBe(false)
      })
    ))

  it.live("a wrong method on a known path is 405 with Allow; an unknown path stays 404", () =>
    withDaemon((_h, port) =>
      Effect.gen(function*() {
        const put = yield* rawRequest({ port }, { method: "PUT", path: "/api/status", headers: auth(port), body: "{}" })
        expect(put.status).toBe(405)
        expect(put.headers["allow"]).toBe("GET, HEAD")
        expect(JSON.parse(put.body)._tag).toBe("MethodNotAllowed")
        const get = yield* rawRequest({ port }, { path: "/api/actions", headers: auth(port) })
        expect(get.status).toBe(405)
        expect(get.headers["allow"]).toBe("POST")
        const del = yield* rawRequest({ port }, { method: "DELETE", path: "/api/decks/ABC/faces", headers: auth(port) })
        expect(del.headers["allow"]).toBe("GET, HEAD")
        const extra = yield* rawRequest({ port }, { method: "DELETE", path: "/extra", headers: auth(port) })
        expect(extra.status).toBe(405)
        expect((yield* rawRequest({ port }, { method: "DELETE", path: "/api/nowhere", headers: auth(port) })).status).toBe(404)
      })
    ))

  it.live("every answer carries the security headers, errors too, and the page's CSP names framing once", () =>
    withDaemon((_h, port) =>
      Effect.gen(function*() {
        const replies = [
          yield* rawRequest({ port }, { method: "POST", path: "/api/actions", headers: auth(port), body: "[]" }),
          yield* rawRequest({ port }, { path: "/api/no-such-route", headers: auth(port) }),
          yield* rawRequest({ port }, { path: "/broken", headers: auth(port) }),
          yield* rawRequest({ port }, {
            method: "POST",
            path: "/api/actions",
            headers: auth(port),
            body: "x".repeat(2 * 1024 * 1024)
          })
        ]
        expect(replies.map((r) => r.status)).toEqual([400, 404, 500, 413])
        for (const reply of replies) {
          for (const header of SECURITY) expect(reply.headers[header], `${reply.status} ${header}`).toBeDefined()
          expect(reply.headers["content-security-policy"]).toContain("frame-ancestors 'none'")
        }
        expect(JSON.parse(replies[1]!.body)._tag).toBe("NotFound")
      })
    ))
})

describe("hostAllowed", () => {
  it("accepts the bound host and loopback aliases, only IP literals when bound to every address", () => {
    expect(hostAllowed({ host: "127.0.0.1", port: 7632 }, "127.0.0.1:7632")).toBe(true)
    expect(hostAllowed({ host: "127.0.0.1", port: 7632 }, "localhost:7632")).toBe(true)
    expect(hostAllowed({ host: "127.0.0.1", port: 7632 }, "127.0.0.1:7633")).toBe(false)
    expect(hostAllowed({ host: "127.0.0.1", port: 7632 }, undefined)).toBe(false)
    expect(hostAllowed({ host: "0.0.0.0", port: 7632 }, "192.168.1.20:7632")).toBe(true)
    expect(hostAllowed({ host: "0.0.0.0", port: 7632 }, "my-desktop.lan:7632")).toBe(false)
    expect(hostAllowed({ host: "192.168.1.20", port: 7632 }, "192.168.1.20:7632")).toBe(true)
    expect(hostAllowed({ host: "192.168.1.20", port: 7632 }, "localhost:7632")).toBe(false)
  })
})
