/**
 * The daemon with its control server, built from files in a temp directory against
 * FakeDiscord and fake decks: what the remote commands and the web UI talk to.
 */
import { Context, Effect, Layer, Stream } from "effect"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { controlledDaemonLayer } from "../../src/layers/ControlledDaemon.ts"
import type { WebAccess } from "../../src/control/Server.ts"
import type { RouteLayer } from "../../src/control/Server.ts"
import { WebAccess as WebAccessTag } from "../../src/control/Server.ts"
import { runRemote } from "../../src/cli/remote.ts"
import { requiredScopes, VoiceState } from "../../src/index.ts"
import {
  type FakeDeck,
  FakeDeckProvider,
  FakeDiscord,
  type FakeDiscordShape,
  FIXTURE_CLIENT_ID,
  makeFakeAvatarCdn,
  simpleAuthority
} from "../../src/testing/index.ts"

export const ACCESS_TOKEN = "control-test-token-0123456789abcdef"
export const CLIENT_SECRET = "control-test-client-secret-value"
export const WEB_TOKEN = "web-token-for-tests-0123456789"

const writeAtomically = (file: string, value: unknown) => {
  Fs.writeFileSync(`${file}.tmp`, JSON.stringify(value))
  Fs.renameSync(`${file}.tmp`, file)
}

export interface Harness {
  readonly fake: FakeDiscordShape
  readonly dir: string
  readonly socketPath: string
  readonly env: Readonly<Record<string, string>>
  readonly decks: ReadonlyArray<FakeDeck>
  readonly web: WebAccess["Service"]
  /** The daemon's services, for tests that look inside. */
  readonly context: Context.Context<never>
  /** Run a remote command as the CLI would; its exit code and output. */
  readonly cli: (...args: Array<string>) => Effect.Effect<{ code: number; out: string; err: string }>
  /** Wait until the model is live (connected, authorized, synced). */
  readonly live: Effect.Effect<void>
}

export interface HarnessOptions {
  readonly decks?: ReadonlyArray<{ model: string; serial: string }>
  readonly web?: false | { readonly port?: number; readonly host?: string }
  readonly layout?: unknown
  readonly routes?: ReadonlyArray<RouteLayer>
  /** Default: a fresh directory in the temp dir. */
  readonly socketPath?: string
  /** The fake starts without the user in a channel unless given. */
  readonly initialVoiceChannelId?: string
}

export const startDaemon = (options: HarnessOptions = {}) =>
  Effect.gen(function*() {
    const scopes = requiredScopes({ scopes: [] })
    const fake = yield* FakeDiscord.make({
      authority: simpleAuthority({ [ACCESS_TOKEN]: scopes }),
      ...(options.initialVoiceChannelId === undefined ? {} : { initialVoiceChannelId: options.initialVoiceChannelId })
    })
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-control-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
    const configPath = Path.join(dir, "config.json")
    const tokenPath = Path.join(dir, "tokens.json")
    const socketPath = options.socketPath ?? Path.join(dir, "run", "deckcord", "control.sock")
    writeAtomically(configPath, {
      clientId: FIXTURE_CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      socketPath: fake.socketPath,
      web: options.web ?? { port: 0 },
      ...(options.layout === undefined ? {} : { decks: options.layout })
    })
    writeAtomically(tokenPath, {
      version: 1,
      tokens: {
        [FIXTURE_CLIENT_ID]: { accessToken: ACCESS_TOKEN, refreshToken: "r", expiresAt: Date.now() + 5 * 86_400_000, scopes }
      }
    })
    const providers = yield* Layer.build(FakeDeckProvider.layer({ decks: options.decks ?? [] }))
    // avatars from a local fake CDN into the test's folder, never Discord's or the user's cache
    const cdn = yield* makeFakeAvatarCdn
    const daemon = controlledDaemonLayer({
      configPath,
      tokenPath,
      avatars: { cacheDir: Path.join(dir, "avatars"), baseUrl: cdn.baseUrl },
      socketPath,
      token: WEB_TOKEN,
      deckProvider: Layer.succeedContext(providers),
      ...(options.routes === undefined ? {} : { routes: options.routes })
    })
    const context = (yield* Layer.build(daemon)) as Context.Context<never>
    const decks = yield* Effect.provideContext(FakeDeckProvider.use((p) => p.decks), providers)
    const env = { DECKCORD_CONTROL_SOCKET: socketPath }
    const cli = (...args: Array<string>) =>
      Effect.promise(async () => {
        let out = ""
        let err = ""
        const code = await runRemote(args, { env, out: (t) => void (out += t), err: (t) => void (err += t) })
        return { code, out, err }
      })
    const live = Effect.gen(function*() {
      const voice = Context.get(context as Context.Context<VoiceState>, VoiceState)
      yield* voice.changes.pipe(Stream.filter((m) => m.connection._tag === "Ready" && m.synced), Stream.take(1), Stream.runDrain)
    })
    const web = Context.get(context as Context.Context<WebAccess>, WebAccessTag)
    return { fake, dir, socketPath, env, decks, web, context, cli, live } satisfies Harness
  })

export interface RawReply {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/** A raw HTTP request, so a test can forge Host, Origin and cookies. */
export const rawRequest = (
  target: { readonly port: number } | { readonly socketPath: string },
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string }
) =>
  Effect.promise(() =>
    new Promise<RawReply>((resolve, reject) => {
      const req = Http.request({
        ...("port" in target ? { host: "127.0.0.1", port: target.port } : { socketPath: target.socketPath }),
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers ?? {}
      }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      })
      req.on("error", reject)
      req.end(options.body)
    })
  )

/** The port of the HTTP server, from the printed URL. */
export const webPort = (h: Harness): number => Number(new URL(h.web.url!).port)
