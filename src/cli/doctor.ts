/**
 * `deckcord doctor`: check everything deckcord depends on and say, per check, what to fix.
 * The checks are data (`runChecks`) so they are testable; the command only prints them.
 *
 * @since 0.1.0
 */
import { Console, Duration, Effect, FileSystem, Option, type PlatformError, Result, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { closeHint } from "../protocol/RpcError.ts"
import { socketCandidates, type SocketPathEnvironment } from "../protocol/SocketPath.ts"
import { CloseCode } from "../protocol/RpcError.ts"
import { configFilePath, decodeConfig, type DeckcordConfig, tokenFilePath } from "../config/Config.ts"
import { checkLayout } from "../control/Layout.ts"
import { requiredScopes } from "../control/Scopes.ts"
import { DeckProvider } from "../deck/DeckProvider.ts"
import { DiscordIpc } from "../discord/DiscordIpc.ts"
import { explainFileProblem, secretModeWarning } from "../config/Settings.ts"
import { commandName, localizeCommands } from "./invocation.ts"

/** One line of the report. */
export interface Check {
  readonly name: string
  readonly status: "ok" | "warn" | "fail"
  readonly detail: string
  readonly fix?: string
}

export interface DoctorOptions {
  readonly configPath?: string | undefined
  readonly environment?: SocketPathEnvironment
  readonly homedir?: string
  /** How long one socket may take to answer the handshake (Discord may throttle it, docs/discord-rpc.md#connection-throttle). */
  readonly handshakeTimeout?: Duration.Input
}

/**
 * A well-formed id that is no application: what doctor handshakes with before `deckcord auth`
 * has stored a real one.
 */
export const PROBE_CLIENT_ID = "100000000000000000"

/** Generous, but a doctor must not hang: Discord's throttle can hold READY ~30 s (docs/discord-rpc.md#connection-throttle). */
const DOCTOR_HANDSHAKE_TIMEOUT = Duration.seconds(10)

const ok = (name: string, detail: string): Check => ({ name, status: "ok", detail })
const warn = (name: string, detail: string, fix?: string): Check =>
  fix === undefined ? { name, status: "warn", detail } : { name, status: "warn", detail, fix }
const fail = (name: string, detail: string, fix: string): Check => ({ name, status: "fail", detail, fix })

const TokenSummary = Schema.fromJsonString(
  Schema.Struct({
    tokens: Schema.Record(Schema.String, Schema.Struct({ expiresAt: Schema.Number, scopes: Schema.Array(Schema.String) }))
  })
)

const readText = (fs: FileSystem.FileSystem, file: string) =>
  fs.readFileString(file).pipe(
    Effect.map(Option.some),
    Effect.catchReason("PlatformError", "NotFound", () => Effect.succeedNone)
  )

/** Why a config file that exists (or whose directory does) cannot be read, with the fix. */
const unreadableConfig = (fs: FileSystem.FileSystem, file: string, error: PlatformError.PlatformError) =>
  fs.stat(file).pipe(
    Effect.map((info) => info.type === "Directory"),
    Effect.orElseSucceed(() => false),
    Effect.map((isDirectory) => {
      const { message, hint } = explainFileProblem(file, "read", {
        tag: error.reason._tag,
        detail: error.message,
        isDirectory
      })
      return fail("config", message, hint)
    })
  )

const configChecks = (fs: FileSystem.FileSystem, file: string) =>
  Effect.gen(function*() {
    const read = yield* Effect.result(readText(fs, file))
    if (Result.isFailure(read)) return { config: undefined, checks: [yield* unreadableConfig(fs, file, read.failure)] }
    const text = read.success
    if (Option.isNone(text)) {
      return {
        config: undefined,
        checks: [fail("config", `no config file at ${file}`, "run `deckcord auth` to create it")]
      }
    }
    const decoded = decodeConfig(file, text.value, checkLayout)
    if (Result.isFailure(decoded)) {
      return { config: undefined, checks: [fail("config", decoded.failure.message, "fix the file, then run doctor again")] }
    }
    const { config, unknownKeys } = decoded.success
    const checks: Array<Check> = [
      unknownKeys.length > 0
        ? warn("config", `${file} is valid but has unknown keys: ${unknownKeys.join(", ")}`, "remove or rename them")
        : ok("config", `${file} is valid`)
    ]
    const mode = yield* fs.stat(file).pipe(Effect.map((info) => info.mode), Effect.option)
    const exposed = Option.isSome(mode) ? secretModeWarning(file, mode.value, config.clientSecret !== undefined) : undefined
    if (exposed !== undefined) checks.push(warn("config", exposed, `chmod 600 ${file}`))
    checks.push(applicationCheck(config))
    return { config, checks }
  })

const applicationCheck = (config: DeckcordConfig): Check => {
  const { clientId, clientSecret } = config
  if (clientId !== undefined && clientSecret !== undefined) {
    return ok("application", `client id ${clientId} with a client secret`)
  }
  if (clientId !== undefined) {
    return fail(
      "application",
      `client id ${clientId}, but no client secret`,
      "run `deckcord auth` (Enter keeps the id) and paste the Client Secret from OAuth2 → Reset Secret"
    )
  }
  if (clientSecret !== undefined) {
    return fail("application", "a client secret, but no client id", "run `deckcord auth` and paste the Application ID")
  }
  return fail("application", "no Discord application configured", "run `deckcord auth`")
}

const tokenCheck = (fs: FileSystem.FileSystem, file: string, config: DeckcordConfig | undefined) =>
  Effect.gen(function*() {
    if (config?.clientId === undefined) return []
    const text = yield* readText(fs, file).pipe(Effect.orElseSucceed(() => Option.none<string>()))
    const decoded = Option.isSome(text) ? Schema.decodeUnknownOption(TokenSummary)(text.value) : Option.none()
    const token = Option.isSome(decoded) ? decoded.value.tokens[config.clientId] : undefined
    if (token === undefined) {
      return [fail("authorization", "no stored authorization for this application", "run `deckcord auth`")]
    }
    const missing = requiredScopes(config).filter((s) => !token.scopes.includes(s))
    if (missing.length > 0) {
      return [warn("authorization", `stored grant lacks ${missing.join(", ")}`, "run `deckcord auth --reauthorize`")]
    }
    const hours = (token.expiresAt - Date.now()) / 3_600_000
    return [
      hours > 0
        ? ok("authorization", `token valid for ${hours >= 48 ? `${Math.floor(hours / 24)} days` : `${Math.floor(hours)} hours`}`)
        : warn("authorization", "access token expired; deckcord refreshes it on connect")
    ]
  })

/** Sandbox hints for a missing socket (docs/discord-rpc.md#unix-socket-paths). */
const sandboxHints = (environment: SocketPathEnvironment): ReadonlyArray<Check> => {
  const runtime = environment.env.XDG_RUNTIME_DIR
  const hints: Array<Check> = []
  if (environment.env.FLATPAK_ID !== undefined) {
    hints.push(warn(
      "sandbox",
      `deckcord itself runs inside Flatpak (${environment.env.FLATPAK_ID})`,
      "grant it the Discord socket: flatpak override --user --filesystem=xdg-run/app/com.discordapp.Discord:create " +
        "<deckcord app id>"
    ))
  }
  if (runtime !== undefined && runtime !== "") {
    const flatpakDir = Path.join(runtime, "app", "com.discordapp.Discord")
    if (Fs.existsSync(flatpakDir)) {
      hints.push(warn("flatpak", `Flatpak Discord's directory ${flatpakDir} exists but holds no live socket`,
        "start Flatpak Discord; if it runs, see Troubleshooting → Flatpak in the README"))
    }
    if (Fs.existsSync(Path.join(runtime, "snap.discord"))) {
      hints.push(warn("snap", "Snap Discord's directory exists but holds no live socket", "start Snap Discord"))
    }
  }
  return hints
}

const socketChecks = (
  candidates: ReadonlyArray<string>,
  environment: SocketPathEnvironment,
  clientId: string | undefined,
  timeout: Duration.Input
) =>
  Effect.gen(function*() {
    const existing = yield* DiscordIpc.use((ipc) => ipc.existingCandidates).pipe(
      Effect.provide(DiscordIpc.layerWith({ socketPaths: candidates }))
    )
    if (existing.length === 0) {
      return [
        fail("discord", "no Discord IPC socket found", "start the Discord desktop app (Stable, PTB or Canary)"),
        ...sandboxHints(environment)
      ]
    }
    // Without an application of its own, doctor still tells Discord from arRPC: arRPC
    // answers any id with READY, Discord closes with 4000 for an id that is no application.
    const probeId = clientId ?? PROBE_CLIENT_ID
    return yield* Effect.forEach(existing, (path) =>
      DiscordIpc.use((ipc) => Effect.scoped(ipc.connect(probeId, () => {}))).pipe(
        Effect.provide(DiscordIpc.layerWith({ socketPaths: [path], handshakeTimeout: timeout })),
        Effect.map((connection) =>
          ok("discord", `${path}: Discord answered (logged in as ${connection.ready.user?.username ?? "?"})`)
        ),
        Effect.catchIf(
          (e) => clientId === undefined && e._tag === "HandshakeClosedError" && e.code === CloseCode.INVALID_CLIENTID,
          () =>
            Effect.succeed(ok(
              "discord",
              `${path}: the Discord desktop client answered (it refused doctor's stand-in application id, as it should)`
            ))
        ),
        Effect.catchTags({
          ArRpcOnlyError: () =>
            Effect.succeed(warn("discord", `${path}: arRPC/Vesktop (no voice control)`,
              "run the official Discord client too; deckcord skips this socket")),
          HandshakeClosedError: (e) =>
            Effect.succeed(fail("discord", `${path}: ${e.message}`, closeHint(e.code, e.detail) ?? "see the message")),
          HandshakeTimeoutError: (e) =>
            Effect.succeed(warn("discord", `${path}: ${e.message}`, "Discord may be throttling connections; wait a minute")),
          DiscordNotFoundError: () =>
            Effect.succeed(warn("discord", `${path}: stale socket (nothing listening)`, "start Discord"))
        })
      ))
  })

const udevRuleInstalled = (): boolean =>
  ["/etc/udev/rules.d", "/lib/udev/rules.d", "/usr/lib/udev/rules.d"].some((dir) => {
    try {
      return Fs.readdirSync(dir).some((name) => {
        try {
          return Fs.readFileSync(Path.join(dir, name), "utf8").includes("0fd9")
        } catch {
          return false
        }
      })
    } catch {
      return false
    }
  })

const deckChecks = (platform: string) =>
  DeckProvider.use((provider) => provider.list).pipe(
    Effect.map((decks): ReadonlyArray<Check> => {
      const found = decks.length === 0
        ? warn("stream deck", "no Stream Deck found", "plug one in (and check the USB cable)")
        : ok("stream deck", decks.map((d) => `${d.model}${d.serial ? ` ${d.serial}` : ""}`).join(", "))
      if (platform !== "linux") return [found]
      return [
        found,
        udevRuleInstalled()
          ? ok("udev", "a udev rule for Elgato devices is installed")
          : warn("udev", "no udev rule for Elgato devices (0fd9) found", "install udev/60-deckcord-streamdeck.rules (README → Linux setup)")
      ]
    }),
    Effect.catchTag("DeckHidError", (e) => Effect.succeed([fail("stream deck", e.message, e.hint)]))
  )

/** Run every check. Never fails: a problem is a line in the report. */
export const runChecks = (options: DoctorOptions = {}) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const environment = options.environment ?? { env: process.env, platform: process.platform }
    const home = options.homedir ?? environment.env.HOME ?? Os.homedir()
    const configFile = configFilePath(environment.env, home, options.configPath)
    const { checks: config, config: decoded } = yield* configChecks(fs, configFile)
    const tokens = yield* tokenCheck(fs, tokenFilePath(environment.env, home), decoded)
    const sockets = yield* socketChecks(
      decoded?.socketPath !== undefined ? [decoded.socketPath] : socketCandidates(environment).map((c) => c.path),
      environment,
      decoded?.clientId,
      options.handshakeTimeout ?? DOCTOR_HANDSHAKE_TIMEOUT
    )
    const decks = yield* deckChecks(environment.platform)
    return [...config, ...tokens, ...sockets, ...decks]
  })

const symbol: Record<Check["status"], string> = { ok: "✓", warn: "!", fail: "✗" }

/** One line per check, the fix indented below it. */
export const formatChecks = (checks: ReadonlyArray<Check>): string =>
  checks
    .map((c) => `${symbol[c.status]} ${c.name.padEnd(14)} ${c.detail}${c.fix ? `\n  ${"".padEnd(14)} fix: ${c.fix}` : ""}`)
    .join("\n")

/** `deckcord doctor`: exits 1 when any check failed. */
export const doctorCommand = Command.make(
  "doctor",
  {
    config: Flag.String("config").pipe(Flag.withDescription("the config file to check"), Flag.optional)
  },
  ({ config }) =>
    Effect.gen(function*() {
      const checks = yield* runChecks({ configPath: Option.getOrUndefined(config) })
      yield* Console.log(localizeCommands(formatChecks(checks), commandName()))
      if (checks.some((c) => c.status === "fail")) {
        yield* Effect.sync(() => {
          process.exitCode = 1
        })
      }
    }).pipe(Effect.provide(DeckProvider.layerNode))
).pipe(Command.withDescription("check Discord, authorization, the config and Stream Deck access; print fixes"))
