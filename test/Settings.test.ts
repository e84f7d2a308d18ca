import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FileSystem, Layer, Logger, Option, Redacted, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Settings, type StoredToken, TokenStore } from "../src/index.ts"
// white-box: the wording of a file problem and of a too-open secret file
import { explainFileProblem, secretModeWarning } from "../src/config/Settings.ts"

const ID = "112233445566778899"
const ID2 = "998877665544332211"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "deckcord-settings-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Every log line (message, annotations, cause) as JSON, to assert on content. */
const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([Logger.map(Logger.formatJson, (line) => void lines.push(line))])
  return { lines, layer }
}

const writeAtomically = (file: string, text: string) => {
  const tmp = `${file}.edit-tmp`
  Fs.writeFileSync(tmp, text)
  Fs.renameSync(tmp, file)
}

const mode = (path: string) => Fs.statSync(path).mode & 0o777

/** Wait (bounded) until a condition on the captured logs holds. */
const waitFor = (what: string, check: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      if (check()) return
      yield* Effect.sleep("25 millis")
    }
    assert.fail(`timed out waiting for ${what}`)
  })

const token = (n: number): StoredToken => ({
  accessToken: Redacted.make(`access-token-${n}-aaaaaaaaaaaaaaaaaaaaaaaa`),
  refreshToken: Redacted.make(`refresh-token-${n}-bbbbbbbbbbbbbbbbbbbbbbbb`),
  expiresAt: 1_700_000_000_000 + n,
  scopes: ["rpc", "identify"]
})

describe("Settings (config file)", () => {
  it.live("uses defaults when the file does not exist", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "deckcord", "config.json")
      const config = yield* Settings.use((s) => s.config).pipe(
        Effect.provide(Settings.layerWith({ configPath: file }).pipe(Layer.provide(NodeFileSystem.layer)))
      )
      assert.strictEqual(config.brightness, 60)
      assert.isUndefined(config.clientId)
    }))

  it.live("refuses to start on an invalid file, with a path-precise message", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      Fs.writeFileSync(file, JSON.stringify({ clientId: "abc" }))
      const exit = yield* Settings.use((s) => s.config).pipe(
        Effect.provide(Settings.layerWith({ configPath: file }).pipe(Layer.provide(NodeFileSystem.layer))),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      assert.isDefined(error)
      const text = JSON.stringify(error && "error" in error ? (error.error as Error).message : "")
      assert.include(text, `${file}: at [\\"clientId\\"]: expected a Discord id`)
    }))

  it.live("warns once about unknown keys", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      Fs.writeFileSync(file, JSON.stringify({ clientId: ID, clientSecrett: "x" }))
      const logs = captureLogs()
      const config = yield* Settings.use((s) => s.config).pipe(
        Effect.provide(Settings.layerWith({ configPath: file }).pipe(Layer.provide(NodeFileSystem.layer))),
        Effect.provide(logs.layer)
      )
      assert.strictEqual(config.clientId, ID)
      const warnings = logs.lines.filter((l) => l.includes("clientSecrett"))
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0]!, "unknown key")
    }))

  it.live("reloads on change, keeps the last good config on an invalid edit", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      Fs.writeFileSync(file, JSON.stringify({ clientId: ID, brightness: 10 }))
      const logs = captureLogs()
      yield* Effect.gen(function*() {
        const settings = yield* Settings
        assert.strictEqual((yield* settings.config).brightness, 10)

        // a valid atomic save is picked up, even one made at once, before the watch is in place
        writeAtomically(file, JSON.stringify({ clientId: ID, brightness: 80 }))
        yield* settings.changes.pipe(
          Stream.filter((c) => c.brightness === 80),
          Stream.take(1),
          Stream.runDrain,
          Effect.timeout("5 seconds")
        )
        assert.strictEqual((yield* settings.config).brightness, 80)

        // an invalid edit is logged precisely, and the config in force stays
        writeAtomically(file, JSON.stringify({ clientId: ID, brightness: "bright" }))
        yield* waitFor("the invalid-edit error", () => logs.lines.some((l) => l.includes(`at [\\"brightness\\"]`)))
        assert.strictEqual((yield* settings.config).brightness, 80)
        const errorLine = logs.lines.find((l) => l.includes(`at [\\"brightness\\"]`))!
        assert.include(errorLine, "keeping the last valid config")
        assert.include(errorLine, `"ERROR"`)

        // and fixing the file applies it
        writeAtomically(file, JSON.stringify({ clientId: ID, brightness: 5 }))
        yield* settings.changes.pipe(
          Stream.filter((c) => c.brightness === 5),
          Stream.take(1),
          Stream.runDrain,
          Effect.timeout("5 seconds")
        )
      }).pipe(
        Effect.provide(Settings.layerWith({ configPath: file }).pipe(Layer.provide(NodeFileSystem.layer))),
        Effect.provide(logs.layer)
      )
    }))

  it.live("keeps reloading after the config directory is removed and created again", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const dir = NodePath.join(root, "deckcord")
      const file = NodePath.join(dir, "config.json")
      Fs.mkdirSync(dir)
      Fs.writeFileSync(file, JSON.stringify({ brightness: 10 }))
      const logs = captureLogs()
      yield* Effect.gen(function*() {
        const settings = yield* Settings
        Fs.rmSync(dir, { recursive: true })
        yield* waitFor("the notice that the directory is gone", () => logs.lines.some((l) => l.includes("is gone")))
        Fs.mkdirSync(dir)
        writeAtomically(file, JSON.stringify({ brightness: 30 }))
        yield* settings.changes.pipe(
          Stream.filter((c) => c.brightness === 30),
          Stream.take(1),
          Stream.runDrain,
          Effect.timeout("5 seconds")
        )
        // and the new directory is watched: a later edit arrives too
        writeAtomically(file, JSON.stringify({ brightness: 40 }))
        yield* settings.changes.pipe(
          Stream.filter((c) => c.brightness === 40),
          Stream.take(1),
          Stream.runDrain,
          Effect.timeout("5 seconds")
        )
      }).pipe(
        Effect.provide(Settings.layerWith({ configPath: file }).pipe(Layer.provide(NodeFileSystem.layer))),
        Effect.provide(logs.layer)
      )
    }))

  it.live("warns at start when the file holding the secret is readable by others, naming the chmod", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      Fs.writeFileSync(file, JSON.stringify({ clientId: ID, clientSecret: "s3cret" }), { mode: 0o644 })
      Fs.chmodSync(file, 0o644)
      const logs = captureLogs()
      yield* Settings.use((s) => s.config).pipe(
        Effect.provide(Settings.layerWith({ configPath: file }).pipe(Layer.provide(NodeFileSystem.layer))),
        Effect.provide(logs.layer)
      )
      const warning = logs.lines.find((l) => l.includes("holds the client secret"))
      assert.isDefined(warning)
      assert.include(warning!, "0644")
      assert.include(warning!, `chmod 600 ${file}`)
      assert.notInclude(logs.lines.join("\n"), "s3cret")
      // private, or without a secret: nothing to say
      assert.isUndefined(secretModeWarning(file, 0o100600, true))
      assert.isUndefined(secretModeWarning(file, 0o100644, false))
    }))

  it.live("a config path that is a directory fails with what it is and how to fix it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      Fs.mkdirSync(file)
      const exit = yield* Settings.use((s) => s.config).pipe(
        Effect.provide(Settings.layerWith({ configPath: file }).pipe(Layer.provide(NodeFileSystem.layer))),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      const reason = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      const error = reason && "error" in reason ? (reason.error as { _tag: string; message: string; hint: string }) : undefined
      assert.strictEqual(error?._tag, "SettingsFileError")
      assert.strictEqual(error?.message, `${file} is a directory, not a file`)
      assert.include(error?.hint, "--config")
    }))

  it("explains a permission problem with the commands that show and fix it", () => {
    const explained = explainFileProblem("/home/u/.config/deckcord/config.json", "read", {
      tag: "PermissionDenied",
      detail: "PermissionDenied",
      isDirectory: false
    })
    assert.strictEqual(explained.message, "cannot read /home/u/.config/deckcord/config.json: permission denied")
    assert.include(explained.hint, "ls -ld /home/u/.config/deckcord")
    assert.include(explained.hint, "chmod 700 /home/u/.config/deckcord")
  })

  it.live("saveCredentials keeps other keys and writes the file 0600", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      Fs.writeFileSync(file, JSON.stringify({ brightness: 42, decks: { "*": { keys: { "0": "mute" } } } }), { mode: 0o644 })
      const saved = yield* Settings.use((s) => s.saveCredentials(ID, Redacted.make("the-secret"))).pipe(
        Effect.provide(Settings.layerWith({ configPath: file }).pipe(Layer.provide(NodeFileSystem.layer)))
      )
      assert.strictEqual(saved.clientId, ID)
      assert.strictEqual(mode(file), 0o600)
      const onDisk = JSON.parse(Fs.readFileSync(file, "utf8"))
      assert.deepStrictEqual(onDisk, { brightness: 42, decks: { "*": { keys: { "0": "mute" } } }, clientId: ID, clientSecret: "the-secret" })
    }))

  it.live("saveCredentials names the JSON Schema for editors, once, and keeps one the user chose", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      const save = (schemaUrl: string) =>
        Settings.use((s) => s.saveCredentials(ID, Redacted.make("the-secret"))).pipe(
          Effect.provide(Settings.layerWith({ configPath: file, schemaUrl }).pipe(Layer.provide(NodeFileSystem.layer))),
          Effect.provide(captureLogs().layer)
        )
      yield* save("file:///opt/deckcord/schema/config.schema.json")
      const first = Fs.readFileSync(file, "utf8")
      assert.deepStrictEqual(Object.keys(JSON.parse(first)), ["$schema", "clientId", "clientSecret"])
      assert.strictEqual(JSON.parse(first).$schema, "file:///opt/deckcord/schema/config.schema.json")
      writeAtomically(file, JSON.stringify({ ...JSON.parse(first), $schema: "./my.schema.json" }))
      yield* save("file:///opt/deckcord/schema/config.schema.json")
      assert.strictEqual(JSON.parse(Fs.readFileSync(file, "utf8")).$schema, "./my.schema.json")
    }))

  it.live("saveCredentials rejects a malformed client id without writing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      const error = yield* Settings.use((s) => s.saveCredentials("not-an-id", Redacted.make("x"))).pipe(
        Effect.provide(Settings.layerWith({ configPath: file }).pipe(Layer.provide(NodeFileSystem.layer))),
        Effect.flip
      )
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.message, "expected a Discord id")
      assert.isFalse(Fs.existsSync(file))
    }))
})

describe("TokenStore", () => {
  const storeLayer = (file: string, fsLayer: Layer.Layer<FileSystem.FileSystem> = NodeFileSystem.layer) =>
    TokenStore.layerWith({ tokenPath: file }).pipe(Layer.provide(fsLayer))

  it.live("persists tokens 0600 in a 0700 directory, and a new store reads them back", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "state", "deckcord", "tokens.json")
      yield* TokenStore.use((s) => s.set(ID, token(1))).pipe(Effect.provide(storeLayer(file)))
      assert.strictEqual(mode(file), 0o600)
      assert.strictEqual(mode(NodePath.dirname(file)), 0o700)
      const loaded = yield* TokenStore.use((s) => s.get(ID)).pipe(Effect.provide(storeLayer(file)))
      assert.isTrue(Option.isSome(loaded))
      if (Option.isSome(loaded)) {
        assert.strictEqual(Redacted.value(loaded.value.refreshToken), Redacted.value(token(1).refreshToken))
        assert.strictEqual(loaded.value.expiresAt, token(1).expiresAt)
      }
    }))

  it.live("reads the file once: later reads come from memory", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "tokens.json")
      yield* TokenStore.use((s) => s.set(ID, token(1))).pipe(Effect.provide(storeLayer(file)))
      yield* Effect.gen(function*() {
        const store = yield* TokenStore
        Fs.rmSync(file) // the store must not notice: it does not re-read
        assert.isTrue(Option.isSome(yield* store.get(ID)))
      }).pipe(Effect.provide(storeLayer(file)))
    }))

  it.live("reload picks up tokens another process stored, and keeps memory when the file is gone", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "tokens.json")
      yield* Effect.gen(function*() {
        const daemon = yield* TokenStore
        assert.isTrue(Option.isNone(yield* daemon.get(ID)))
        // `deckcord auth` in another process writes the file
        yield* TokenStore.use((other) => other.set(ID, token(2))).pipe(Effect.provide(storeLayer(file)))
        assert.isTrue(Option.isNone(yield* daemon.get(ID)), "memory is not re-read on use")
        yield* daemon.reload
        const loaded = yield* daemon.get(ID)
        assert.isTrue(Option.isSome(loaded))
        Fs.rmSync(file)
        yield* daemon.reload
        assert.isTrue(Option.isSome(yield* daemon.get(ID)))
      }).pipe(Effect.provide(storeLayer(file)))
    }))

  it.live("a crash between write and rename leaves the previous file intact", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "tokens.json")
      yield* TokenStore.use((s) => s.set(ID, token(1))).pipe(Effect.provide(storeLayer(file)))
      const before = Fs.readFileSync(file, "utf8")

      // a FileSystem whose process "dies" at the rename: the temp file is written, never renamed
      const crashingFs = Layer.effect(
        FileSystem.FileSystem,
        Effect.gen(function*() {
          const fs = yield* FileSystem.FileSystem
          return { ...fs, rename: () => Effect.die(new Error("simulated crash before rename")) }
        })
      ).pipe(Layer.provide(NodeFileSystem.layer))

      const exit = yield* TokenStore.use((s) => s.set(ID2, token(2))).pipe(Effect.provide(storeLayer(file, crashingFs)), Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(Fs.readFileSync(file, "utf8"), before)
      const after = yield* TokenStore.use((s) => Effect.all([s.get(ID), s.get(ID2)])).pipe(Effect.provide(storeLayer(file)))
      assert.isTrue(Option.isSome(after[0]))
      assert.isTrue(Option.isNone(after[1]))
    }))

  it.live("remove forgets an application's tokens on disk too", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "tokens.json")
      yield* TokenStore.use((s) => s.set(ID, token(1)).pipe(Effect.andThen(s.set(ID2, token(2))), Effect.andThen(s.remove(ID))))
        .pipe(Effect.provide(storeLayer(file)))
      const onDisk = JSON.parse(Fs.readFileSync(file, "utf8"))
      assert.deepStrictEqual(Object.keys(onDisk.tokens), [ID2])
    }))

  it.live("a corrupt token file is ignored with a warning that shows no secret", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "tokens.json")
      Fs.writeFileSync(file, JSON.stringify({ version: 1, tokens: { [ID]: { accessToken: "leaky-secret-token", refreshToken: 5 } } }))
      const logs = captureLogs()
      const got = yield* TokenStore.use((s) => s.get(ID)).pipe(Effect.provide(storeLayer(file)), Effect.provide(logs.layer))
      assert.isTrue(Option.isNone(got))
      assert.isTrue(logs.lines.some((l) => l.includes("not a valid token file")))
      assert.isFalse(logs.lines.some((l) => l.includes("leaky-secret-token")))
    }))
})
