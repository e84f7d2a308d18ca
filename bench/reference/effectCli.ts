/**
 * The reference for the daemon's start figures: the least an Effect command-line program
 * does before its first log line (a `Command` run on `NodeRuntime`, one `Effect.logInfo`,
 * one Schema decode), bundled exactly as deckcord's CLI is. The daemon minus this is what
 * deckcord itself costs at start.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Command from "effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const Greeting = Schema.Struct({ text: Schema.String })

// it stays a second after its line (the bench stops it), so its CPU can be read at the line
const hello = Command.make("hello", {}, () =>
  Effect.logInfo(Schema.decodeUnknownSync(Greeting)({ text: "hello" }).text).pipe(Effect.andThen(Effect.sleep("1 second"))))

hello.pipe(Command.run({ version: "0" }), Effect.provide(NodeServices.layer), NodeRuntime.runMain)
