/**
 * The daemon's own composition (`daemonLayer`): a config file and a token file on disk,
 * FakeDiscord on its socket, a fake deck. Checks the wiring the other suites cannot: the
 * stored token is used without a prompt, a press reaches Discord, and a config edit that
 * needs new scopes reconnects.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, References, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { daemonLayer, DiscordRpc, requiredScopes, VoiceState } from "../src/index.ts"
import { FakeDeckProvider, FakeDiscord, FIXTURE_CLIENT_ID, simpleAuthority } from "../src/testing/index.ts"
import { captureLogs, eventually } from "./support/effects.ts"

const TOKEN = "daemon-test-token-0123456789abcdef"
// the grant already covers camera and screen share, so adding such a key needs no new prompt
const SCOPES = requiredScopes({ scopes: ["video", "screenshare"] })

const writeAtomically = (file: string, value: unknown) => {
  Fs.writeFileSync(`${file}.tmp`, JSON.stringify(value), { mode: 0o600 }) // private, as deckcord auth writes it
  Fs.renameSync(`${file}.tmp`, file)
}

describe("the daemon layer", () => {
  it.live("starts from its files, authenticates with the stored token, and follows config edits", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }) })
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-daemon-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const configPath = Path.join(dir, "config.json")
      const tokenPath = Path.join(dir, "tokens.json")
      const config = { clientId: FIXTURE_CLIENT_ID, clientSecret: "secret", avatars: false, socketPath: fake.socketPath }
      writeAtomically(configPath, config)
      writeAtomically(tokenPath, {
        version: 1,
        tokens: {
          [FIXTURE_CLIENT_ID]: { accessToken: TOKEN, refreshToken: "r", expiresAt: Date.now() + 5 * 86_400_000, scopes: SCOPES }
        }
      })

      const decks = yield* Layer.build(FakeDeckProvider.layer({ decks: [{ model: "original-mk2", serial: "DAEMONTEST01" }] }))
      const daemon = daemonLayer({ configPath, tokenPath, deckProvider: Layer.succeedContext(decks) })
      yield* Effect.gen(function*() {
        const voice = yield* VoiceState
        yield* voice.changes.pipe(Stream.filter((m) => m.synced), Stream.take(1), Stream.runDrain)
        expect((yield* fake.handshakes).length).toBe(1)

        const [mk2] = yield* FakeDeckProvider.use((p) => p.decks).pipe(Effect.provide(Layer.succeedContext(decks)))
        mk2!.pressKey(0) // default layout: mute
        yield* eventually(fake.state, (s) => s.voiceSettings.mute, "muted by the key press")

        // a camera key needs the video scopes: the daemon reconnects so the flow can check them
        writeAtomically(configPath, { ...config, decks: { "*": { keys: { "0": "camera" } } } })
        yield* eventually(fake.handshakes, (h) => h.length === 2, "a reconnect after the edit")
        yield* voice.changes.pipe(Stream.filter((m) => m.synced), Stream.take(1), Stream.runDrain)
        const frames = yield* fake.framesReceived()
        expect(frames.some((f) => (f.payload as { cmd?: string }).cmd === "AUTHORIZE")).toBe(false)
      }).pipe(Effect.provide(daemon))
    }).pipe(Effect.provide(NodeServices.layer), Effect.timeout("20 seconds")))

  it.live("without Discord and without a deck it says once what it waits for, and onExit \"logo\" is applied", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-daemon-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const configPath = Path.join(dir, "config.json")
      const socketPath = Path.join(dir, "discord-ipc-0") // nothing listens here
      writeAtomically(configPath, { clientId: FIXTURE_CLIENT_ID, clientSecret: "secret", avatars: false, socketPath, onExit: "logo" })

      // first without any deck: the log says so once
      const noDecks = yield* Layer.build(FakeDeckProvider.layer({ decks: [] }))
      yield* Effect.gen(function*() {
        const rpc = yield* DiscordRpc
        // three failed attempts, so the retries had their chance to repeat the line
        yield* rpc.stateChanges.pipe(
          Stream.filter((s) => s._tag === "Disconnected" && s.reason._tag === "NoDiscord"),
          Stream.take(3),
          Stream.runDrain
        )
      }).pipe(
        Effect.provide(daemonLayer({ configPath, tokenPath: Path.join(dir, "tokens.json"), deckProvider: Layer.succeedContext(noDecks) })),
        Effect.scoped
      )
      const waiting = logs.lines.filter((l) => l.includes("waiting for Discord"))
      expect(waiting).toHaveLength(1)
      expect(waiting[0]).toMatch(/^Info: waiting for Discord: no socket in .*deckcord-daemon-.*; start Discord/)
      // each retry goes through Connecting again; that is not logged per attempt
      expect(logs.lines.filter((l) => l.includes("Discord: connecting")).length).toBeLessThanOrEqual(1)
      expect(logs.lines.filter((l) => l.includes("no Stream Deck connected yet"))).toHaveLength(1)

      // then with a deck: no "no deck" line, and on stop the deck shows the Elgato logo
      logs.lines.length = 0
      const decks = yield* Layer.build(FakeDeckProvider.layer({ decks: [{ model: "original-mk2", serial: "DAEMONTEST02" }] }))
      const [mk2] = yield* FakeDeckProvider.use((p) => p.decks).pipe(Effect.provide(Layer.succeedContext(decks)))
      const resetsBefore = mk2!.logoResets
      yield* DiscordRpc.use((rpc) => rpc.state).pipe(
        Effect.provide(daemonLayer({ configPath, tokenPath: Path.join(dir, "tokens.json"), deckProvider: Layer.succeedContext(decks) })),
        Effect.scoped
      )
      expect(mk2!.logoResets).toBe(resetsBefore + 1)
      expect(logs.lines.filter((l) => l.includes("no Stream Deck connected yet"))).toHaveLength(0)
      // the product name already says "Stream Deck"
      expect(logs.lines.some((l) => l.includes("Stream Deck MK.2 (DAEMONTEST02) connected"))).toBe(true)
      expect(logs.lines.filter((l) => l.includes("Stream Deck Stream Deck"))).toEqual([])
    }).pipe(
      Effect.provide(Layer.mergeAll(NodeServices.layer, logs.layer, Layer.succeed(References.MinimumLogLevel, "Debug"))),
      Effect.timeout("20 seconds")
    )
  })

  it.live("a camera key on a key the deck does not have asks Discord for nothing", () =>
    Effect.gen(function*() {
      const base = requiredScopes({ scopes: [] })
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: base }) })
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-daemon-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const configPath = Path.join(dir, "config.json")
      const tokenPath = Path.join(dir, "tokens.json")
      // key 8 does not exist on a 6-key Mini: the binding is ignored, and so are its scopes
      const config = { clientId: FIXTURE_CLIENT_ID, clientSecret: "secret", avatars: false, socketPath: fake.socketPath }
      writeAtomically(configPath, { ...config, decks: { "*": { keys: { "8": "camera" } } } })
      writeAtomically(tokenPath, {
        version: 1,
        tokens: {
          [FIXTURE_CLIENT_ID]: { accessToken: TOKEN, refreshToken: "r", expiresAt: Date.now() + 5 * 86_400_000, scopes: base }
        }
      })
      const decks = yield* Layer.build(FakeDeckProvider.layer({ decks: [{ model: "mini", serial: "DAEMONMINI01" }] }))
      const daemon = daemonLayer({ configPath, tokenPath, deckProvider: Layer.succeedContext(decks) })
      yield* Effect.gen(function*() {
        const voice = yield* VoiceState
        yield* voice.changes.pipe(Stream.filter((m) => m.synced), Stream.take(1), Stream.runDrain)
        const frames = yield* fake.framesReceived()
        expect(frames.filter((f) => (f.payload as { cmd?: string }).cmd === "AUTHORIZE")).toEqual([])
        expect((yield* fake.handshakes).length).toBe(1)
      }).pipe(Effect.provide(daemon))
    }).pipe(Effect.provide(NodeServices.layer), Effect.timeout("20 seconds")))
})
