/**
 * `deckcord auth` as a script and as a person meet it: without a terminal it uses what is
 * stored, and the Application ID prompt never shows what was typed into it.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Queue, Terminal } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { CONFIG_SCHEMA_URL, runAuth } from "../../src/cli/auth.ts"
import { OAuth, Settings, TokenStore } from "../../src/index.ts"
import { FakeDiscord, FakeOAuth, type FakeOAuthServer } from "../../src/testing/index.ts"

const ID = "112233445566778899"
const SECRET = "client-secret-value-123"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "deckcord-auth-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const authLayer = (dir: string, oauth: FakeOAuthServer) =>
  Layer.mergeAll(
    Settings.layerWith({ configPath: NodePath.join(dir, "config.json") }),
    TokenStore.layerWith({ tokenPath: NodePath.join(dir, "tokens.json") }),
    OAuth.layerWith({ baseUrl: oauth.baseUrl })
  ).pipe(Layer.provideMerge(NodeServices.layer))

/** A terminal that types `lines` (each ended with Enter) and records everything shown. */
const typingTerminal = (lines: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const shown: Array<string> = []
    const keys = yield* Queue.unbounded<Terminal.UserInput, never>()
    const key = (name: string) => ({ name, ctrl: false, meta: false, shift: false })
    for (const line of lines) {
      for (const ch of line) yield* Queue.offer(keys, { input: Option.some(ch), key: key(ch) })
      yield* Queue.offer(keys, { input: Option.none(), key: key("enter") })
    }
    const terminal = Terminal.make({
      columns: Effect.succeed(120),
      rows: Effect.succeed(40),
      size: Effect.die("not used"),
      readInput: Effect.succeed(keys as unknown as Queue.Dequeue<Terminal.UserInput, never>),
      readLine: Effect.die("not used"),
      display: (text) => Effect.sync(() => void shown.push(text))
    })
    return { shown, layer: Layer.succeed(Terminal.Terminal, terminal) }
  })

/** What the command prints with console.log / console.error, kept off the test output. */
const capturedConsole = Effect.acquireRelease(
  Effect.sync(() => {
    const printed: Array<string> = []
    const saved = { log: console.log, error: console.error }
    console.log = (...parts: Array<unknown>) => void printed.push(parts.map(String).join(" "))
    console.error = (...parts: Array<unknown>) => void printed.push(parts.map(String).join(" "))
    return { printed, saved }
  }),
  ({ saved }) => Effect.sync(() => Object.assign(console, saved))
).pipe(Effect.map(({ printed }) => printed))

describe("deckcord auth", () => {
  it.live("without a terminal, --reauthorize uses the stored application and authorizes again", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      Fs.writeFileSync(
        NodePath.join(dir, "config.json"),
        JSON.stringify({ clientId: ID, clientSecret: SECRET, socketPath: discord.socketPath }),
        { mode: 0o600 }
      )
      const authorize = () => discord.framesReceived().pipe(
        Effect.map((frames) => frames.filter((f) => (f.payload as { cmd?: string }).cmd === "AUTHORIZE").length)
      )
      yield* capturedConsole
      const options = { clientId: Option.none(), clientSecret: Option.none(), interactive: false }
      yield* runAuth({ ...options, reauthorize: false }).pipe(Effect.provide(authLayer(dir, oauth)))
      assert.strictEqual(yield* authorize(), 1)
      yield* runAuth({ ...options, reauthorize: true }).pipe(Effect.provide(authLayer(dir, oauth)))
      assert.strictEqual(yield* authorize(), 2, "the stored tokens were forgotten, so Discord was asked again")
    }))

  it.live("a secret typed into the Application ID prompt is never shown", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      Fs.writeFileSync(NodePath.join(dir, "config.json"), JSON.stringify({ socketPath: discord.socketPath }))
      // the secret where the id belongs (refused), then the id, then the secret
      const terminal = yield* typingTerminal([SECRET, ID, SECRET])
      const printed = yield* capturedConsole
      yield* runAuth({ clientId: Option.none(), clientSecret: Option.none(), reauthorize: false, interactive: true }).pipe(
        Effect.provide(terminal.layer), // inside: the settings layers bring the real terminal
        Effect.provide(authLayer(dir, oauth)),
        Effect.timeout("10 seconds") // a prompt that kept the refused text would wait for more keys
      )
      const screen = [...terminal.shown, ...printed].join("\n")
      assert.notInclude(screen, SECRET)
      assert.include(screen, "not an Application ID")
      assert.include(screen, `Application ID: ${ID}`)
      assert.strictEqual(JSON.parse(Fs.readFileSync(NodePath.join(dir, "config.json"), "utf8")).clientId, ID)
    }))

  it("names the config schema that ships with this deckcord", () => {
    assert.isTrue(Fs.existsSync(new URL(CONFIG_SCHEMA_URL)), CONFIG_SCHEMA_URL)
  })
})
