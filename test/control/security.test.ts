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

const withDaemon = <A, E>(f: (h: Harness, port: number) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const h = yield* startDaemon({ routes: [ExtraPage] })
    yield* h.live
    return yield* f(h, webPort(h))
  }).pipe(Effect.scoped, Effect.provide([NodeServices.layer, captureLogs().layer]), Effect.timeout("20 seconds"))

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
        // a wrong token in the URL sets nothing
        const wrong = yield* rawRequest({ port }, { path: "/extra?token=nope", headers: host })
        expect(wrong.status).toBe(401)
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
