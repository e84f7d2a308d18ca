/**
 * The web UI's routes sit behind the control server's guard: every rule, checked on them
 * (the pages, the config save, setup), with raw requests that forge Host, Origin and cookies.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import * as Fs from "node:fs"
import { rawRequest } from "../control/harness.ts"
import { SECRET, startWebHarness, WEB_TOKEN, type WebHarness } from "./harness.ts"

const run = <A, E>(body: (h: WebHarness) => Effect.Effect<A, E>) =>
  Effect.flatMap(startWebHarness(), body).pipe(
    Effect.provide(NodeServices.layer),
    Effect.provide(Logger.layer([])),
    Effect.timeout("20 seconds")
  )

describe("web UI security", () => {
  it.live("the pages and the web routes refuse a request without the token, or with a wrong one", () =>
    run((h) =>
      Effect.gen(function*() {
        const host = `127.0.0.1:${h.port}`
        for (const path of ["/", "/ui/app.js", "/api/ui/status", "/api/ui/config", "/api/ui/events"]) {
          const none = yield* rawRequest(h, { path, headers: { host } })
          expect(none.status, path).toBe(401)
          const wrong = yield* rawRequest(h, { path, headers: { host, "x-deckcord-token": "not-the-token" } })
          expect(wrong.status, path).toBe(403)
        }
      })
    ))

  it.live("the tokened URL sets an HttpOnly cookie and drops the token from the address; the cookie then opens the pages", () =>
    run((h) =>
      Effect.gen(function*() {
        const host = `127.0.0.1:${h.port}`
        const login = yield* rawRequest(h, { path: `/?token=${WEB_TOKEN}`, headers: { host } })
        expect(login.status).toBe(303)
        expect(login.headers.location).toBe("/")
        const cookie = String(login.headers["set-cookie"]?.[0] ?? "")
        expect(cookie).toMatch(/HttpOnly/)
        expect(cookie).toMatch(/SameSite=Strict/)
        const page = yield* rawRequest(h, { path: "/", headers: { host, cookie: cookie.split(";")[0]! } })
        expect(page.status).toBe(200)
        expect(page.body).toMatch(/<title>deckcord<\/title>/)
        const csp = String(page.headers["content-security-policy"])
        expect(csp.match(/frame-ancestors/g)?.length, csp).toBe(1)
      })
    ))

  it.live("a rebinding Host is refused, even with the token", () =>
    run((h) =>
      Effect.gen(function*() {
        const reply = yield* rawRequest(h, { path: "/api/ui/status", headers: { host: `evil.example:${h.port}`, "x-deckcord-token": WEB_TOKEN } })
        expect(reply.status).toBe(421)
      })
    ))

  it.live("a save or a setup from a foreign Origin is refused and writes nothing", () =>
    run((h) =>
      Effect.gen(function*() {
        const host = `127.0.0.1:${h.port}`
        const before = Fs.readFileSync(h.configPath, "utf8")
        const cookie = `deckcord_token=${WEB_TOKEN}`
        const save = yield* rawRequest(h, {
          method: "PUT",
          path: "/api/ui/config",
          headers: { host, cookie, origin: "http://evil.example", "content-type": "application/json" },
          body: JSON.stringify({ version: "absent", config: { brightness: 1 } })
        })
        expect(save.status).toBe(403)
        const setup = yield* rawRequest(h, {
          method: "POST",
          path: "/api/ui/setup",
          headers: { host, cookie, origin: "http://evil.example", "content-type": "application/json" },
          body: JSON.stringify({ clientId: "112233445566778899", clientSecret: "stolen" })
        })
        expect(setup.status).toBe(403)
        expect(Fs.readFileSync(h.configPath, "utf8")).toBe(before)
        // the same save from the page's own origin goes through
        const same = yield* rawRequest(h, {
          method: "POST",
          path: "/api/ui/setup",
          headers: { host, cookie, origin: `http://${host}`, "content-type": "application/json" },
          body: JSON.stringify({ clientId: "112233445566778899" })
        })
        expect(same.status).toBe(200)
        expect(same.body).not.toContain(SECRET)
      })
    ))

  it.live("a config save over 1 MiB is refused with 413 and writes nothing, even when sent in chunks", () =>
    run((h) =>
      Effect.gen(function*() {
        const before = Fs.readFileSync(h.configPath, "utf8")
        const big = JSON.stringify({ version: "absent", config: { brightness: 1, pad: "x".repeat(2 * 1024 * 1024) } })
        const headers = { host: `127.0.0.1:${h.port}`, "x-deckcord-token": WEB_TOKEN, "content-type": "application/json" }
        const chunked = yield* rawRequest(h, {
          method: "PUT",
          path: "/api/ui/config",
          headers: { ...headers, "transfer-encoding": "chunked" },
          body: big
        })
        expect(chunked.status, chunked.body).toBe(413)
        expect(JSON.parse(chunked.body)._tag).toBe("PayloadTooLarge")
        expect(chunked.headers["x-frame-options"]).toBe("DENY")
        expect(Fs.readFileSync(h.configPath, "utf8")).toBe(before)
      })
    ))
})
