import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FileSystem } from "effect"
import * as Path from "node:path"
import { type Check, formatChecks, runChecks } from "../../src/cli/doctor.ts"
import { FakeDiscord, FIXTURE_CLIENT_ID } from "../../src/testing/FakeDiscord.ts"
import { FakeDeckProvider } from "../../src/testing/FakeDeck.ts"

const byName = (checks: ReadonlyArray<Check>, name: string) => checks.filter((c) => c.name === name)

/** A temp home with XDG dirs pointing into it. */
const home = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-doctor-" })
  const env = {
    HOME: dir,
    XDG_CONFIG_HOME: Path.join(dir, "config"),
    XDG_STATE_HOME: Path.join(dir, "state")
  }
  const writeJson = (file: string, value: unknown) =>
    fs.makeDirectory(Path.dirname(file), { recursive: true }).pipe(
      Effect.andThen(fs.writeFileString(file, JSON.stringify(value)))
    )
  return { dir, env, writeJson }
})

const withDecks = (decks: ReadonlyArray<string>) => Effect.provide(FakeDeckProvider.layer({ decks }))

describe("deckcord doctor", { timeout: 30_000 }, () => {
  it.live("a healthy setup: every check passes and names what it found", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord.make()
      const { env, writeJson } = yield* home
      yield* writeJson(Path.join(env.XDG_CONFIG_HOME, "deckcord", "config.json"), {
        clientId: FIXTURE_CLIENT_ID,
        clientSecret: "s3cret"
      })
      yield* writeJson(Path.join(env.XDG_STATE_HOME, "deckcord", "tokens.json"), {
        version: 1,
        tokens: {
          [FIXTURE_CLIENT_ID]: {
            accessToken: "a",
            refreshToken: "r",
            expiresAt: Date.now() + 5 * 86_400_000,
            scopes: ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]
          }
        }
      })
      const checks = yield* runChecks({
        environment: { env: { ...env, XDG_RUNTIME_DIR: fake.runtimeDir }, platform: "darwin" }
      }).pipe(withDecks(["original-mk2"]))
      expect(checks.filter((c) => c.status !== "ok")).toEqual([])
      expect(byName(checks, "discord")[0]?.detail).toContain(fake.socketPath)
      expect(byName(checks, "authorization")[0]?.detail).toMatch(/valid for 4 days/)
      expect(byName(checks, "stream deck")[0]?.detail).toMatch(/original-mk2/)
      expect(formatChecks(checks)).toMatch(/^✓ config/)
    }).pipe(Effect.provide(NodeServices.layer)))

  it.live("nothing set up: each failure names its fix", () =>
    Effect.gen(function*() {
      const { dir, env } = yield* home
      const checks = yield* runChecks({
        environment: { env: { ...env, XDG_RUNTIME_DIR: dir }, platform: "linux" }
      }).pipe(withDecks([]))
      expect(byName(checks, "config")[0]).toMatchObject({ status: "fail", fix: expect.stringMatching(/deckcord auth/) })
      expect(byName(checks, "discord")[0]).toMatchObject({ status: "fail", fix: expect.stringMatching(/start the Discord/) })
      expect(byName(checks, "stream deck")[0]?.status).toBe("warn")
      expect(formatChecks(checks)).toMatch(/fix: run `deckcord auth`/)
    }).pipe(Effect.provide(NodeServices.layer)))

  it.live("a broken config file is reported with the path inside it", () =>
    Effect.gen(function*() {
      const { dir, env, writeJson } = yield* home
      yield* writeJson(Path.join(env.XDG_CONFIG_HOME, "deckcord", "config.json"), { clientId: "abc" })
      const checks = yield* runChecks({ environment: { env: { ...env, XDG_RUNTIME_DIR: dir }, platform: "linux" } }).pipe(
        withDecks([])
      )
      expect(byName(checks, "config")[0]?.status).toBe("fail")
      expect(byName(checks, "config")[0]?.detail).toMatch(/\["clientId"\]/)
    }).pipe(Effect.provide(NodeServices.layer)))

  it.live("arRPC is recognised, and a missing native HID library names the package", () =>
    Effect.gen(function*() {
      const arrpc = yield* FakeDiscord.make({ flavor: "arrpc" })
      const { env, writeJson } = yield* home
      yield* writeJson(Path.join(env.XDG_CONFIG_HOME, "deckcord", "config.json"), { clientId: FIXTURE_CLIENT_ID })
      const dlopen = Object.assign(new Error("libusb-1.0.so.0: cannot open shared object file"), {
        code: "ERR_DLOPEN_FAILED"
      })
      const checks = yield* runChecks({
        environment: { env: { ...env, XDG_RUNTIME_DIR: arrpc.runtimeDir }, platform: "linux" }
      }).pipe(Effect.provide(FakeDeckProvider.layer({ listError: dlopen })))
      expect(byName(checks, "discord")[0]).toMatchObject({ status: "warn", detail: expect.stringMatching(/arRPC/) })
      expect(byName(checks, "stream deck")[0]).toMatchObject({ status: "fail", fix: expect.stringMatching(/libusb-1\.0-0/) })
    }).pipe(Effect.provide(NodeServices.layer)))
})
