/**
 * `deckcord doctor`: check everything deckcord depends on and say, per check, what to fix.
 * The checks are data (`runChecks`) so they are testable; the command only prints them.
 *
 * @since 0.1.0
 */
import { Console, Effect, FileSystem, Option, Result, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { closeHint } from "../protocol/RpcError.ts"
import { socketCandidates, type SocketPathEnvironment } from "../protocol/SocketPath.ts"
import { configFilePath, decodeConfig, type DeckcordConfig, requiredScopes, tokenFilePath } from "../services/Config.ts"
import { DeckProvider } from "../services/DeckProvider.ts"
import { DiscordIpc } from "../services/DiscordIpc.ts"

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
  /** How long one socket may take to answer the handshake (Discord may throttle it, spec §7.1). */
  readonly handshakeTimeoutMillis?: number
}

/** Generous, but a doctor must not hang: Discord's throttle can hold READY ~30 s (spec §7.1). */
const DOCTOR_HANDSHAKE_TIMEOUT_MILLIS = 10_000

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

const configChecks = (fs: FileSystem.FileSystem, file: string) =>
  Effect.gen(function*() {
    const text = yield* readText(fs, file).pipe(Effect.orElseSucceed(() => Option.none<string>()))
    if (Option.isNone(text)) {
      return {
        config: undefined,
        checks: [fail("config", `no config file at ${file}`, "run `deckcord auth` to create it")]
      }
    }
    const decoded = decodeConfig(file, text.value)
    if (Result.isFailure(decoded)) {
      return { config: undefined, checks: [fail("config", decoded.failure.message, "fix the file, then run doctor again")] }
    }
    const { config, unknownKeys } = decoded.success
    const checks: Array<Check> = [
      unknownKeys.length > 0
        ? warn("config", `${file} is valid but has unknown keys: ${unknownKeys.join(", ")}`, "remove or rename them")
        : ok("config", `${file} is valid`)
    ]
    checks.push(
      config.clientId !== undefined && config.clientSecret !== undefined
        ? ok("application", `client id ${config.clientId} with a client secret`)
        : fail("application", "no Discord application configured", "run `deckcord auth`")
    )
    return { config, checks }
  })

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

/** Sandbox hints for a missing socket (spec §1.1). */
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
  timeoutMillis: number
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
    // without an application id a handshake cannot succeed; report presence only
    if (clientId === undefined) return existing.map((path) => warn("discord", `socket at ${path} (not checked: no client id)`))
    return yield* Effect.forEach(existing, (path) =>
      DiscordIpc.use((ipc) => Effect.scoped(ipc.connect(clientId, () => {}))).pipe(
        Effect.provide(DiscordIpc.layerWith({ socketPaths: [path], handshakeTimeoutMillis: timeoutMillis })),
        Effect.map((connection) =>
          ok("discord", `${path}: Discord answered (logged in as ${connection.ready.user?.username ?? "?"})`)
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
      options.handshakeTimeoutMillis ?? DOCTOR_HANDSHAKE_TIMEOUT_MILLIS
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
      yield* Console.log(formatChecks(checks))
      if (checks.some((c) => c.status === "fail")) {
        yield* Effect.sync(() => {
          process.exitCode = 1
        })
      }
    }).pipe(Effect.provide(DeckProvider.layerNode))
).pipe(Command.withDescription("check Discord, authorization, the config and Stream Deck access; print fixes"))
