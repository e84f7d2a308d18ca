/**
 * The daemon: every layer of `layers/ControlledDaemon.ts` plus the web UI, run until
 * SIGINT/SIGTERM, with the logging the command line chose.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { Cause, Console, Effect, Exit, Layer, Option, Runtime } from "effect"
import { FAKE_DECKS_ENV } from "../layers/FakeDecksFromEnv.ts"
import { controlledDaemonLayer } from "../layers/ControlledDaemon.ts"
import { LogTail } from "../web/LogTail.ts"
import type { DaemonArgs } from "./daemonArgs.ts"
import { commandName, localizeCommands } from "./invocation.ts"
import { type LogFormat, loggingLayer } from "./logging.ts"

const NAME = commandName()

/** The web UI's pages, loaded with the control server once the daemon runs. */
const loadWebUi = () => import("../web/index.ts").then((web) => [web.webUiRoutes])

/** Run until SIGINT/SIGTERM; the layers' finalizers clear the decks and close the socket. */
export const runDaemon = (flags: { readonly config: Option.Option<string>; readonly logFormat: LogFormat }) =>
  Layer.launch(controlledDaemonLayer({ configPath: Option.getOrUndefined(flags.config), routes: loadWebUi })).pipe(
    // a broken config is the user's to fix: say what and where, without a stack trace
    Effect.catchTags({
      ConfigError: (e) => refuseToStart(flags.logFormat, e.message, "fix the config file, then start deckcord again"),
      SettingsFileError: (e) => refuseToStart(flags.logFormat, e.message, e.hint),
      FakeDecksError: (e) =>
        refuseToStart(flags.logFormat, e.message, `fix or unset $${FAKE_DECKS_ENV}, then start deckcord again`),
      DaemonAlreadyRunning: (e) => refuseToStart(flags.logFormat, e.message, "one deckcord per user drives the decks and Discord"),
      ControlSocketError: (e) => refuseToStart(flags.logFormat, e.message, e.fix)
    }),
    // the web UI's log tail sees every line the daemon logs
    Effect.provide(LogTail.layer),
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


/**
 * SIGINT/SIGTERM interrupt the daemon, its finalizers run, and that is a clean stop: exit 0,
 * or systemd counts every `systemctl stop` as a failure.
 */
export const stopsCleanlyOnInterrupt = (
  exit: Exit.Exit<unknown, unknown>,
  onExit: (code: number) => void
): void => {
  if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return onExit(0)
  Runtime.defaultTeardown(exit, onExit)
}

/** The daemon started by `main.ts` for its own command lines, without the CLI framework. */
export const main = (args: DaemonArgs): void =>
  runDaemon({ config: Option.fromUndefinedOr(args.config), logFormat: args.logFormat }).pipe(
    // the daemon needs files and paths only: no child processes, terminal or stdio services
    Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)),
    NodeRuntime.runMain({ teardown: stopsCleanlyOnInterrupt })
  )
