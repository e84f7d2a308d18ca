#!/usr/bin/env node
/**
 * The deckcord command line: the daemon (default), `auth`, `doctor` and `render`.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Layer, Option, Runtime } from "effect"
import { CliOutput, Command, Flag } from "effect/cli"
import { authCommand } from "./cli/auth.ts"
import { doctorCommand } from "./cli/doctor.ts"
import { commandName, localizeCommands } from "./cli/invocation.ts"
import { type LogFormat, loggingLayer } from "./cli/logging.ts"
import { renderCommand } from "./cli/render.ts"
import { serviceCommand } from "./cli/service.ts"
import { daemonLayer } from "./layers/Daemon.ts"
import { VERSION } from "./version.ts"

const NAME = commandName()

const daemonFlags = {
  config: Flag.String("config").pipe(
    Flag.withDescription("the config file (default: $DECKCORD_CONFIG, else ~/.config/deckcord/config.json)"),
    Flag.optional
  ),
  logFormat: Flag.Literals("log-format", ["pretty", "json"]).pipe(
    Flag.withDescription("log lines for people (pretty) or for log collectors (json)"),
    Flag.withDefault("pretty" as const)
  )
}

/** Run until SIGINT/SIGTERM; the layers' finalizers clear the decks and close the socket. */
const runDaemon = (flags: { readonly config: Option.Option<string>; readonly logFormat: LogFormat }) =>
  Layer.launch(daemonLayer({ configPath: Option.getOrUndefined(flags.config) })).pipe(
    // a broken config is the user's to fix: say what and where, without a stack trace
    Effect.catchTags({
      ConfigError: (e) => refuseToStart(flags.logFormat, e.message, "fix the config file, then start deckcord again"),
      SettingsFileError: (e) => refuseToStart(flags.logFormat, e.message, e.hint)
    }),
    Effect.provide(loggingLayer(flags.logFormat, undefined, NAME))
  )

/** Exit code 2 with the reason: as plain text for a person, as a JSON log line for a collector. */
const refuseToStart = (format: LogFormat, message: string, fix: string) =>
  (format === "json"
    ? Effect.logFatal(`deckcord cannot start: ${message}`).pipe(Effect.annotateLogs({ fix }))
    : Console.error(localizeCommands(`deckcord cannot start:\n${message}\n${fix}`, NAME))).pipe(
      Effect.andThen(Effect.sync(() => {
        process.exitCode = 2
      }))
    )

const run = Command.make("run", daemonFlags, runDaemon).pipe(
  Command.withDescription("run the daemon (also what `deckcord` with no subcommand does)")
)

const deckcord = Command.make("deckcord", daemonFlags, runDaemon).pipe(
  Command.withDescription("Control Discord from an Elgato Stream Deck"),
  Command.withSubcommands([run, authCommand, doctorCommand, renderCommand, serviceCommand])
)

/**
 * A mistyped flag gets the error and where to read more, not the whole help first: the
 * error would scroll away above a page of flags.
 */
const presenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Effect.gen(function*() {
        const formatter = CliOutput.defaultFormatter({ colors: false })
        const path = [NAME, ...event.commandPath.slice(1)].join(" ")
        yield* Console.error(`${formatter.formatErrors(event.errors).trim()}\n\nSee \`${path} --help\` for the flags.`)
      })
      : CliOutput.defaultPresenter.present(event)
})

deckcord.pipe(
  Command.run({ version: VERSION }),
  Effect.provide(Layer.mergeAll(NodeServices.layer, presenter)),
  NodeRuntime.runMain({
    // SIGINT/SIGTERM interrupt the daemon, its finalizers run, and that is a clean stop:
    // exit 0, or systemd counts every `systemctl stop` as a failure
    teardown: (exit, onExit) =>
      Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)
  })
)
