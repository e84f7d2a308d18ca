/**
 * The layout check the composition roots give `Settings`: config/ keeps the layout opaque,
 * and still a bad layout refuses to start and a bad layout edit is not applied, with the
 * layout's own path-precise message.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer, Logger, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { checkLayout, decodeConfig, decodeLayout, Settings } from "../src/index.ts"

const ID = "112233445566778899"
const BAD_LAYOUT = { "*": { keys: { "2": { action: "mutte" } } } }

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "deckcord-check-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const writeAtomically = (file: string, text: string) => {
  Fs.writeFileSync(`${file}.edit-tmp`, text)
  Fs.renameSync(`${file}.edit-tmp`, file)
}

const settingsAt = (file: string) =>
  Settings.layerWith({ configPath: file, check: checkLayout }).pipe(Layer.provide(NodeFileSystem.layer))

describe("the layout check", () => {
  it("decodeConfig takes the layout as it is without a check, and rejects it with one", () => {
    const text = JSON.stringify({ decks: BAD_LAYOUT })
    assert.isTrue(decodeConfig("config.json", text)._tag === "Success")
    const checked = decodeConfig("config.json", text, checkLayout)
    assert.isTrue(checked._tag === "Failure")
    if (checked._tag === "Failure") assert.include(checked.failure.message, `config.json: at ["decks"]["*"]["keys"]["2"]`)
  })

  it("one decks value is decoded once, whoever asks (the check, the controller, the scope policy)", () => {
    const decks = { "*": { keys: { "0": "mute" } } }
    assert.strictEqual(decodeLayout(decks), decodeLayout(decks))
    assert.notStrictEqual(decodeLayout(decks), decodeLayout(structuredClone(decks)))
  })

  it.live("Settings with the check refuses to start on a bad layout, naming its path", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      Fs.writeFileSync(file, JSON.stringify({ clientId: ID, decks: BAD_LAYOUT }))
      const exit = yield* Settings.use((s) => s.config).pipe(Effect.provide(settingsAt(file)), Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      const reason = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      const message = reason !== undefined && "error" in reason ? (reason.error as Error).message : ""
      assert.include(message, `${file}: at ["decks"]["*"]["keys"]["2"]`)
    }))

  it.live("an edit with a bad layout is not applied, not even its other keys", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = NodePath.join(dir, "config.json")
      Fs.writeFileSync(file, JSON.stringify({ clientId: ID, brightness: 10 }))
      const rejected = yield* Deferred.make<string>()
      const logger = Logger.layer([
        Logger.map(Logger.formatJson, (line) => {
          if (line.includes("keeping the last valid config")) Deferred.doneUnsafe(rejected, Exit.succeed(line))
        })
      ])
      yield* Effect.gen(function*() {
        const settings = yield* Settings
        // a valid edit first: once it shows, the watch is surely in place
        writeAtomically(file, JSON.stringify({ clientId: ID, brightness: 20 }))
        yield* settings.changes.pipe(Stream.filter((c) => c.brightness === 20), Stream.take(1), Stream.runDrain)
        writeAtomically(file, JSON.stringify({ clientId: ID, brightness: 90, decks: BAD_LAYOUT }))
        const line = yield* Deferred.await(rejected)
        assert.include(line, `at [\\"decks\\"][\\"*\\"][\\"keys\\"][\\"2\\"]`)
        const config = yield* settings.config
        assert.strictEqual(config.brightness, 20)
        assert.isUndefined(config.decks)
      }).pipe(Effect.provide(settingsAt(file)), Effect.provide(logger), Effect.timeout("10 seconds"))
    }))
})
