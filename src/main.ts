#!/usr/bin/env node
/**
 * The deckcord command line. For now: --help and --version.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { VERSION } from "./version.ts"

const run = Command.make("run", {}, () => Console.log("deckcord daemon: not wired yet")).pipe(
  Command.withDescription("run the daemon (the default)")
)

const deckcord = Command.make("deckcord").pipe(
  Command.withDescription("Control Discord from an Elgato Stream Deck"),
  Command.withSubcommands([run])
)

deckcord.pipe(
  Command.run({ version: VERSION }),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
