import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FileSystem } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type Check, formatChecks, runChecks } from "../../src/cli/doctor.ts"
import { FakeDeckProvider, FakeDiscord, FIXTURE_CLIENT_ID } from "../../src/testing/index.ts"

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
      const configFile = Path.join(env.XDG_CONFIG_HOME, "deckcord", "config.json")
      yield* writeJson(configFile, { clientId: FIXTURE_CLIENT_ID, clientSecret: "s3cret" })
      Fs.chmodSync(configFile, 0o600) // as `deckcord auth` writes it
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

  it.live("without a config it still tells the Discord client from arRPC", () =>
    Effect.gen(function*() {
      const discord = yield* FakeDiscord.make({ clientIds: [FIXTURE_CLIENT_ID] }) // refuses other ids with 4000
      const arrpc = yield* FakeDiscord.make({ flavor: "arrpc" })
      const { env } = yield* home
      const check = (runtimeDir: string) =>
        runChecks({ environment: { env: { ...env, XDG_RUNTIME_DIR: runtimeDir }, platform: "darwin" } }).pipe(
          withDecks([]),
          Effect.map((checks) => byName(checks, "discord")[0])
        )
      expect(yield* check(discord.runtimeDir)).toMatchObject({
        status: "ok",
        detail: expect.stringMatching(/Discord desktop client answered/)
      })
      expect(yield* check(arrpc.runtimeDir)).toMatchObject({ status: "warn", detail: expect.stringMatching(/arRPC/) })
    }).pipe(Effect.provide(NodeServices.layer)))

  it.live("a config path that is a directory is not mistaken for a missing file", () =>
    Effect.gen(function*() {
      const { dir, env } = yield* home
      const file = Path.join(env.XDG_CONFIG_HOME, "deckcord", "config.json")
      Fs.mkdirSync(file, { recursive: true })
      const checks = yield* runChecks({ environment: { env: { ...env, XDG_RUNTIME_DIR: dir }, platform: "darwin" } }).pipe(
        withDecks([])
      )
      const config = byName(checks, "config")[0]
      expect(config).toMatchObject({ status: "fail", detail: `${file} is a directory, not a file` })
      expect(config?.fix).toMatch(/--config/)
      expect(config?.fix).not.toMatch(/deckcord auth/)
    }).pipe(Effect.provide(NodeServices.layer)))

  it.live("names a missing secret as such, and flags a secret others can read with the chmod", () =>
    Effect.gen(function*() {
      const { dir, env, writeJson } = yield* home
      const file = Path.join(env.XDG_CONFIG_HOME, "deckcord", "config.json")
      const run = runChecks({ environment: { env: { ...env, XDG_RUNTIME_DIR: dir }, platform: "darwin" } }).pipe(withDecks([]))

      yield* writeJson(file, { clientId: FIXTURE_CLIENT_ID })
      expect(byName(yield* run, "application")[0]).toMatchObject({
        status: "fail",
        detail: `client id ${FIXTURE_CLIENT_ID}, but no client secret`
      })

      yield* writeJson(file, { clientId: FIXTURE_CLIENT_ID, clientSecret: "s3cret" })
      Fs.chmodSync(file, 0o644)
      const exposed = byName(yield* run, "config").find((c) => c.status === "warn")
      expect(exposed?.detail).toMatch(/holds the client secret but other users can read it \(mode 0644\)/)
      expect(exposed?.fix).toBe(`chmod 600 ${file}`)

      Fs.chmodSync(file, 0o600)
      expect(byName(yield* run, "config").filter((c) => c.status !== "ok")).toEqual([])
    }).pipe(Effect.provide(NodeServices.layer)))
})
