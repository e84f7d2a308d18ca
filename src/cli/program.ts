/**
 * The deckcord command line: the daemon (default), `auth`, `doctor` and `render`. Loaded by
 * `main.ts` unless the command is one of the light remote commands.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { controlledDaemonLayer } from "../layers/ControlledDaemon.ts"
import { VERSION } from "../version.ts"
import { webUiRoutes } from "../web/index.ts"
import { LogTail } from "../web/LogTail.ts"
import { authCommand } from "./auth.ts"
import { doctorCommand } from "./doctor.ts"
import { loggingLayer } from "./logging.ts"
import { renderCommand } from "./render.ts"

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
const runDaemon = (flags: { readonly config: Option.Option<string>; readonly logFormat: "pretty" | "json" }) =>
  Layer.launch(controlledDaemonLayer({ configPath: Option.getOrUndefined(flags.config), routes: [webUiRoutes] })).pipe(
    // a broken config is the user's to fix: say what and where, without a stack trace
    Effect.catchTags({
      ConfigError: (e) => refuseToStart(e.message, "fix the config file, then start deckcord again"),
      SettingsFileError: (e) => refuseToStart(e.message, "check the file's permissions"),
      DaemonAlreadyRunning: (e) => refuseToStart(e.message, "one deckcord per user drives the decks and Discord"),
      ControlSocketError: (e) => refuseToStart(e.message, "fix the directory, or point $XDG_RUNTIME_DIR elsewhere")
    }),
    // the web UI's log tail sees every line the daemon logs
    Effect.provide(LogTail.layer),
    Effect.provide(loggingLayer(flags.logFormat))
  )

const refuseToStart = (message: string, fix: string) =>
  Console.error(`deckcord cannot start:\n${message}\n${fix}`).pipe(
    Effect.andThen(Effect.sync(() => {
      process.exitCode = 2
    }))
  )

const run = Command.make("run", daemonFlags, runDaemon).pipe(
  Command.withDescription("run the daemon (also what `deckcord` with no subcommand does)")
)

const deckcord = Command.make("deckcord", daemonFlags, runDaemon).pipe(
  Command.withDescription(
    "Control Discord from an Elgato Stream Deck. With the daemon running, `deckcord mute`, `deafen`, `ptt`, " +
      "`input-mode`, `join`, `leave`, `volume`, `sound`, `press`, `status` and `watch` control it (`deckcord status --help`)."
  ),
  Command.withSubcommands([run, authCommand, doctorCommand, renderCommand])
)

deckcord.pipe(
  Command.run({ version: VERSION }),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
