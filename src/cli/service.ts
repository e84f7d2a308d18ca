/**
 * `deckcord service install|uninstall|status`: run deckcord at login as a systemd user
 * service, with the unit written for this machine (this Node binary, this deckcord, the
 * config given) instead of copied by hand from the README.
 *
 * @since 0.1.0
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Console, Context, Effect, FileSystem, Layer, Option, Runtime, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { writeFileAtomic } from "../config/Settings.ts"
import { commandName, localizeCommands } from "./invocation.ts"

/** The unit's name; `systemctl --user status deckcord` finds it by this. */
export const UNIT_NAME = "deckcord.service"

/** The first line of every unit deckcord writes: a unit without it is someone else's. */
export const UNIT_MARKER = "# Written by `deckcord service install`; `deckcord service uninstall` removes it."

/** `deckcord service` failed; what and why was already printed. @category errors */
export class ServiceCommandError extends Schema.TaggedError<ServiceCommandError>()("ServiceCommandError", {
  message: Schema.String
}) {
  // printed by the command itself, as plain text; exit code 1 without a stack trace
  override readonly [Runtime.errorReported] = false
}

/** What one `systemctl` run reported. */
export interface SystemctlResult {
  readonly code: number
  readonly output: string
}

/** `systemctl --user …`, behind a service so tests see the calls without a systemd. */
export class Systemctl extends Context.Service<Systemctl, {
  readonly run: (args: ReadonlyArray<string>) => Effect.Effect<SystemctlResult>
}>()("deckcord/Systemctl") {
  /** The real one; a missing `systemctl` is exit code 127 with the reason as output. */
  static readonly layer: Layer.Layer<Systemctl> = Layer.succeed(
    Systemctl,
    Systemctl.of({
      run: (args) =>
        Effect.callback<SystemctlResult>((resume) => {
          ChildProcess.execFile("systemctl", ["--user", ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
            const output = `${stdout}${stderr}`.trim()
            if (error === null) return resume(Effect.succeed({ code: 0, output }))
            const code = typeof error.code === "number" ? error.code : 127
            resume(Effect.succeed({ code, output: output || error.message }))
          })
        })
    })
  )
}

/** Where systemd looks for user units: `$XDG_CONFIG_HOME/systemd/user` (default `~/.config`). */
export const unitPath = (env: { readonly XDG_CONFIG_HOME?: string | undefined }, home: string): string => {
  const config = env.XDG_CONFIG_HOME !== undefined && NodePath.isAbsolute(env.XDG_CONFIG_HOME)
    ? env.XDG_CONFIG_HOME
    : NodePath.join(home, ".config")
  return NodePath.join(config, "systemd", "user", UNIT_NAME)
}

/** One word of `ExecStart=`: systemd splits on spaces and unquotes double quotes. */
const execWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/\\/g, "\\\\").replace(/"/g, "\\\"")}"`

export interface UnitOptions {
  /** The Node binary (this process's). */
  readonly node: string
  /** deckcord's entry script, resolved through links. */
  readonly script: string
  readonly configPath?: string | undefined
  readonly logFormat?: "pretty" | "json" | undefined
}

/** The unit file's text. */
export const unitFile = (options: UnitOptions): string => {
  const exec = [options.node, options.script, "run"]
  if (options.configPath !== undefined) exec.push("--config", options.configPath)
  if (options.logFormat !== undefined && options.logFormat !== "pretty") exec.push("--log-format", options.logFormat)
  return [
    UNIT_MARKER,
    "[Unit]",
    "Description=deckcord: Discord on the Stream Deck",
    // Discord and the deck come and go; deckcord waits for both, so no ordering is needed
    "",
    "[Service]",
    `ExecStart=${exec.map(execWord).join(" ")}`,
    "Restart=on-failure",
    "RestartSec=5",
    "",
    "[Install]",
    "WantedBy=default.target",
    ""
  ].join("\n")
}

export interface ServiceContext {
  /** The unit file to manage. */
  readonly unit: string
  readonly platform: string
}

const readUnit = (fs: FileSystem.FileSystem, file: string) =>
  fs.readFileString(file).pipe(Effect.map(Option.some), Effect.orElseSucceed(() => Option.none<string>()))

const fail = (message: string) =>
  Console.error(`✗ ${localizeCommands(message, commandName())}`).pipe(
    Effect.andThen(Effect.fail(new ServiceCommandError({ message })))
  )

const linuxOnly = (context: ServiceContext) =>
  context.platform === "linux"
    ? Effect.void
    : fail("`deckcord service` sets up a systemd user service, which is Linux only; run deckcord from your own login items")

/** Run systemctl; a failure names the command so it can be run by hand. */
const systemctl = (args: ReadonlyArray<string>) =>
  Systemctl.use((s) => s.run(args)).pipe(
    Effect.map((result) => ({ ...result, command: `systemctl --user ${args.join(" ")}` }))
  )

/** Write the unit, reload systemd, enable and start it. */
export const installService = (context: ServiceContext, options: UnitOptions) =>
  Effect.gen(function*() {
    yield* linuxOnly(context)
    const fs = yield* FileSystem.FileSystem
    const existing = yield* readUnit(fs, context.unit)
    if (Option.isSome(existing) && !existing.value.startsWith(UNIT_MARKER)) {
      return yield* fail(
        `${context.unit} exists and was not written by deckcord (a unit made by hand?); ` +
          "remove it or move it away, then run `deckcord service install` again"
      )
    }
    const text = unitFile(options)
    yield* writeFileAtomic(fs, context.unit, text, { mode: 0o644 }).pipe(
      Effect.catchTag("SettingsFileError", (e) => fail(`${e.message}\n  ${e.hint}`))
    )
    const exec = text.split("\n").find((line) => line.startsWith("ExecStart="))
    yield* Console.log(`${Option.isSome(existing) ? "Updated" : "Wrote"} ${context.unit}\n  ${exec}`)
    for (const args of [["daemon-reload"], ["enable", "--now", UNIT_NAME]]) {
      const result = yield* systemctl(args)
      if (result.code !== 0) {
        return yield* fail(
          `\`${result.command}\` failed (exit ${result.code}): ${result.output}\n` +
            "  the unit file is in place; once systemd is reachable (a desktop login session), run:\n" +
            `  systemctl --user daemon-reload && systemctl --user enable --now ${UNIT_NAME}`
        )
      }
    }
    // a running unit with an old ExecStart keeps it until restarted
    if (Option.isSome(existing)) yield* systemctl(["restart", UNIT_NAME])
    yield* Console.log(
      `Enabled and started ${UNIT_NAME}: deckcord now runs at login.\n` +
        `  status: systemctl --user status deckcord   logs: journalctl --user -u deckcord -f`
    )
  })

/** Stop and disable the unit, remove the file, reload systemd. */
export const uninstallService = (context: ServiceContext) =>
  Effect.gen(function*() {
    yield* linuxOnly(context)
    const fs = yield* FileSystem.FileSystem
    const existing = yield* readUnit(fs, context.unit)
    if (Option.isNone(existing)) {
      return yield* Console.log(`No ${context.unit}: nothing to uninstall.`)
    }
    if (!existing.value.startsWith(UNIT_MARKER)) {
      return yield* fail(`${context.unit} was not written by deckcord; leaving it alone (remove it by hand if you want)`)
    }
    const disabled = yield* systemctl(["disable", "--now", UNIT_NAME])
    yield* fs.remove(context.unit).pipe(
      Effect.catch((e) => fail(`could not remove ${context.unit}: ${e.message}`))
    )
    yield* systemctl(["daemon-reload"])
    yield* Console.log(
      disabled.code === 0
        ? `Stopped and disabled ${UNIT_NAME}, removed ${context.unit}.`
        : `Removed ${context.unit} (\`${disabled.command}\` said: ${disabled.output}).`
    )
  })

/** Whether the unit is installed, enabled and running, as systemd sees it. */
export const serviceStatus = (context: ServiceContext) =>
  Effect.gen(function*() {
    yield* linuxOnly(context)
    const fs = yield* FileSystem.FileSystem
    const existing = yield* readUnit(fs, context.unit)
    if (Option.isNone(existing)) {
      return yield* Console.log(`not installed: no ${context.unit}\n  run \`${commandName()} service install\``)
    }
    const enabled = yield* systemctl(["is-enabled", UNIT_NAME])
    const active = yield* systemctl(["is-active", UNIT_NAME])
    const exec = existing.value.split("\n").find((line) => line.startsWith("ExecStart="))
    yield* Console.log(
      [
        `installed: ${context.unit}${existing.value.startsWith(UNIT_MARKER) ? "" : " (not written by deckcord)"}`,
        `  ${exec ?? "no ExecStart= line"}`,
        `enabled:   ${enabled.output || (enabled.code === 0 ? "yes" : "no")}`,
        `running:   ${active.output || (active.code === 0 ? "yes" : "no")}`,
        "  logs: journalctl --user -u deckcord -f"
      ].join("\n")
    )
  })

/** This process's Node and deckcord entry, as the unit should start them. */
const thisDeckcord = (): { readonly node: string; readonly script: string } => {
  const script = process.argv[1] ?? ""
  let resolved = script
  try {
    resolved = Fs.realpathSync(script)
  } catch {
    // keep the path as given
  }
  return { node: process.execPath, script: resolved }
}

const defaultContext = (): ServiceContext => ({
  unit: unitPath(process.env, process.env.HOME ?? Os.homedir()),
  platform: process.platform
})


const install = Command.make(
  "install",
  {
    config: Flag.String("config").pipe(
      Flag.withDescription("the config file the service uses (default: deckcord's usual one)"),
      Flag.optional
    ),
    logFormat: Flag.Literals("log-format", ["pretty", "json"]).pipe(
      Flag.withDescription("the service's log lines (json for a log collector)"),
      Flag.withDefault("pretty" as const)
    )
  },
  (flags) =>
    installService(defaultContext(), {
      ...thisDeckcord(),
      configPath: Option.match(flags.config, { onNone: () => undefined, onSome: (c) => NodePath.resolve(c) }),
      logFormat: flags.logFormat
    }).pipe(Effect.provide(Systemctl.layer))
).pipe(Command.withDescription("write, enable and start a systemd user unit that runs deckcord at login"))

const uninstall = Command.make("uninstall", {}, () => uninstallService(defaultContext()).pipe(Effect.provide(Systemctl.layer))).pipe(
  Command.withDescription("stop, disable and remove deckcord's systemd user unit")
)

const status = Command.make("status", {}, () => serviceStatus(defaultContext()).pipe(Effect.provide(Systemctl.layer))).pipe(
  Command.withDescription("whether deckcord's systemd user unit is installed, enabled and running")
)

/** `deckcord service install|uninstall|status` */
export const serviceCommand = Command.make("service").pipe(
  Command.withDescription("run deckcord at login as a systemd user service (Linux)"),
  Command.withSubcommands([install, uninstall, status])
)
