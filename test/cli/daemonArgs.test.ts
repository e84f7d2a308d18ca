/**
 * `main.ts` starts the daemon for its own command lines without the command-line framework.
 * Every command line the light reader accepts must mean the same to the full parser, and
 * anything else (help, typos, a subcommand, a bad value) must go to the full parser.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Command } from "effect/cli"
import { daemonArgs } from "../../src/cli/daemonArgs.ts"
import { daemonFlags } from "../../src/cli/daemonFlags.ts"

/** What the full parser hands the daemon for `argv`, or "rejected". */
const fullParse = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    let seen: { config: string | undefined; logFormat: string } | undefined
    const capture = (flags: { readonly config: Option.Option<string>; readonly logFormat: string }) =>
      Effect.sync(() => {
        seen = { config: Option.getOrUndefined(flags.config), logFormat: flags.logFormat }
      })
    const run = Command.make("run", daemonFlags, capture)
    const deckcord = Command.make("deckcord", daemonFlags, capture).pipe(Command.withSubcommands([run]))
    const exit = yield* Effect.exit(Command.runWith(deckcord, { version: "0", renderErrors: false })(argv))
    return exit._tag === "Success" && seen !== undefined ? seen : "rejected"
  }).pipe(Effect.provide(NodeServices.layer))

const ACCEPTED: ReadonlyArray<ReadonlyArray<string>> = [
  [],
  ["run"],
  ["--config", "/etc/deckcord.json"],
  ["--config=/etc/deckcord.json"],
  ["run", "--config", "relative/config.json"],
  ["--log-format", "json"],
  ["--log-format=pretty"],
  ["run", "--log-format", "json", "--config", "a b.json"],
  ["--config", "x.json", "--log-format=json"]
]

const DECLINED: ReadonlyArray<ReadonlyArray<string>> = [
  ["--help"],
  ["-h"],
  ["--version"],
  ["run", "--help"],
  ["doctor"],
  ["auth", "--config", "x.json"],
  ["--config"],
  ["--config="],
  ["--config", "--log-format", "json"],
  ["--log-format", "yaml"],
  ["--log-format"],
  ["--config", "a.json", "--config", "b.json"],
  ["--conf", "a.json"],
  ["run", "run"],
  ["extra"]
]

describe("daemonArgs (the daemon's command lines without the framework)", () => {
  it.effect("reads each accepted command line as the full parser does", () =>
    Effect.gen(function*() {
      for (const argv of ACCEPTED) {
        const light = daemonArgs(argv)
        assert.isDefined(light, `accepts ${JSON.stringify(argv)}`)
        assert.deepStrictEqual(yield* fullParse(argv), light, JSON.stringify(argv))
      }
    }))

  it("leaves help, subcommands, typos and bad values to the full parser", () => {
    for (const argv of DECLINED) assert.isUndefined(daemonArgs(argv), JSON.stringify(argv))
  })
})
