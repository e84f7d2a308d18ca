/**
 * The daemon with its web UI over fakes, for the web tests: a config file and a token file in
 * a temp dir, FakeDiscord on its socket, a fake MK.2, and the HTTP server on a free port.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Stream } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import * as Fs from "node:fs"
import { createServer } from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { daemonLayer } from "../../src/layers/Daemon.ts"
import { requiredScopes } from "../../src/services/Config.ts"
import { VoiceState } from "../../src/services/VoiceState.ts"
import { type FakeDeck, FakeDeckProvider } from "../../src/testing/FakeDeck.ts"
import { simpleAuthority } from "../../src/testing/FakeAuthority.ts"
import { FakeDiscord, FIXTURE_CLIENT_ID } from "../../src/testing/FakeDiscord.ts"
import { webUiRoutes } from "../../src/web/index.ts"
import { LogTail } from "../../src/web/LogTail.ts"

export const TOKEN = "web-test-access-token-0123456789"
export const SECRET = "web-test-client-secret-value"
export const SCOPES = requiredScopes({ scopes: [] })
export const DECK_SERIAL = "WEBTEST00001"

export const writeAtomically = (file: string, value: unknown) => {
  Fs.writeFileSync(`${file}.tmp`, typeof value === "string" ? value : JSON.stringify(value, null, 2))
  Fs.renameSync(`${file}.tmp`, file)
}

export interface WebHarness {
  readonly base: string
  readonly configPath: string
  readonly fake: FakeDiscord["Service"]
  readonly deck: FakeDeck
  /** fetch against the server. */
  readonly request: (path: string, init?: RequestInit) => Promise<Response>
}

/** Everything up and synced; released with the scope. */
export const startWebHarness = Effect.gen(function*() {
  const fake = yield* FakeDiscord.make({ authority: simpleAuthority({ [TOKEN]: SCOPES }) })
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-web-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
  const configPath = Path.join(dir, "config.json")
  const tokenPath = Path.join(dir, "tokens.json")
  writeAtomically(configPath, { clientId: FIXTURE_CLIENT_ID, clientSecret: SECRET, socketPath: fake.socketPath })
  writeAtomically(tokenPath, {
    version: 1,
    tokens: {
      [FIXTURE_CLIENT_ID]: { accessToken: TOKEN, refreshToken: "r", expiresAt: Date.now() + 5 * 86_400_000, scopes: SCOPES }
    }
  })
  const decks = yield* Layer.build(FakeDeckProvider.layer({ decks: [{ model: "original-mk2", serial: DECK_SERIAL }] }))
  const daemon = daemonLayer({ configPath, tokenPath, deckProvider: Layer.succeedContext(decks) })
  const server = HttpRouter.serve(webUiRoutes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: 0 })),
    Layer.provideMerge(daemon),
    Layer.provideMerge(LogTail.layerDetached)
  )
  const context = yield* Layer.build(server)
  const address = yield* Effect.provideContext(HttpServer.HttpServer.use((s) => Effect.succeed(s.address)), context)
  if (address._tag === "UnixPathAddress") return yield* Effect.die("unexpected unix address")
  const base = `http://127.0.0.1:${address.port}`
  yield* Effect.provideContext(
    VoiceState.use((v) => v.changes.pipe(Stream.filter((m) => m.synced), Stream.take(1), Stream.runDrain)),
    context
  )
  const [deck] = yield* Effect.provideContext(FakeDeckProvider.use((p) => p.decks), decks)
  const harness: WebHarness = { base, configPath, fake, deck: deck!, request: (path, init) => fetch(`${base}${path}`, init) }
  return harness
})
