#!/usr/bin/env node
/**
 * The deckcord command line: the daemon (default), `auth`, `doctor` and `render`.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Console, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { authCommand } from "./cli/auth.ts"
import { doctorCommand } from "./cli/doctor.ts"
import { loggingLayer } from "./cli/logging.ts"
import { renderCommand } from "./cli/render.ts"
import { daemonLayer } from "./layers/Daemon.ts"
import { FAKE_DECKS_ENV } from "./services/FakeDecksFromEnv.ts"
import { VERSION } from "./version.ts"

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
  Layer.launch(daemonLayer({ configPath: Option.getOrUndefined(flags.config) })).pipe(
    // a broken config is the user's to fix: say what and where, without a stack trace
    Effect.catchTags({
      ConfigError: (e) => refuseToStart(e.message, "fix the config file, then start deckcord again"),
      SettingsFileError: (e) => refuseToStart(e.message, "check the file's permissions"),
      FakeDecksError: (e) => refuseToStart(e.message, `fix or unset $${FAKE_DECKS_ENV}, then start deckcord again`)
    }),
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
  Command.withDescription("Control Discord from an Elgato Stream Deck"),
  Command.withSubcommands([run, authCommand, doctorCommand, renderCommand])
)

deckcord.pipe(
  Command.run({ version: VERSION }),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
