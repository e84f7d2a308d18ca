/**
 * The deckcord command line: the daemon (default), `auth`, `doctor`, `render` and `service`.
 * Loaded by `main.ts` unless the command is one of the light remote commands.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Console, Effect, Exit, Layer } from "effect"
import { CliError, CliOutput, Command } from "effect/cli"
import { VERSION } from "../version.ts"
import { authCommand } from "./auth.ts"
import { runDaemon, stopsCleanlyOnInterrupt } from "./daemon.ts"
import { daemonFlags } from "./daemonFlags.ts"
import { doctorCommand } from "./doctor.ts"
import { commandName } from "./invocation.ts"
import { renderCommand } from "./render.ts"
import { serviceCommand } from "./service.ts"

const NAME = commandName()


const run = Command.make("run", daemonFlags, runDaemon).pipe(
  Command.withDescription("run the daemon (also what `deckcord` with no subcommand does)")
)

const deckcord = Command.make("deckcord", daemonFlags, runDaemon).pipe(
  Command.withDescription(
    "Control Discord from an Elgato Stream Deck. With the daemon running, `deckcord mute`, `deafen`, `ptt`, " +
      "`input-mode`, `join`, `leave`, `volume`, `sound`, `press`, `status` and `watch` control it (`deckcord status --help`)."
  ),
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

/**
 * The command line could not be parsed. Parse errors arrive as `ShowHelp` carrying them (plain
 * `--help` carries none); a failure of the command itself is not a usage error.
 */
const isUsageError = (error: unknown): boolean =>
  CliError.isCliError(error) &&
  (error._tag === "ShowHelp" ? error.errors.length > 0 : error._tag !== "UserError")

deckcord.pipe(
  Command.run({ version: VERSION }),
  Effect.provide(Layer.mergeAll(NodeServices.layer, presenter)),
  NodeRuntime.runMain({
    // a mistyped command, flag or value is bad usage, exit 2, as the remote commands do
    teardown: (exit, onExit) =>
      Exit.isFailure(exit) && isUsageError(Cause.squash(exit.cause)) ? onExit(2) : stopsCleanlyOnInterrupt(exit, onExit)
  })
)
