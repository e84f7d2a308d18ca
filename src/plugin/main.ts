/**
 * The plugin's entry: what a Stream Deck host runs (`node bin/plugin.mjs -port … -pluginUUID …
 * -registerEvent … -info …`, in the `.sdPlugin` folder). It runs until the host closes the
 * socket or sends SIGTERM, then exits 0; hosts start their plugins again themselves.
 */
import { NodeServices } from "@effect/platform-node"
import { Cause, Effect, Exit, Fiber, Result } from "effect"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { HostConnection } from "./HostConnection.ts"
import { decodeRegistrationInfo, parseLaunchArgs, type RegistrationInfo } from "./HostProtocol.ts"
import { hostLayer, pluginLayer } from "./PluginLayer.ts"

const fail = (message: string): never => {
  process.stderr.write(`deckcord plugin cannot start: ${message}\n`)
  process.exit(2)
}

const parsed = parseLaunchArgs(process.argv.slice(2))
const args = Result.isSuccess(parsed) ? parsed.success : fail(parsed.failure.message)
const decodedInfo = decodeRegistrationInfo(args.info)
// -info only fills in devices the host never announces; a host that sends none still works
const info: RegistrationInfo = Result.isSuccess(decodedInfo) ? decodedInfo.success : {}
if (Result.isFailure(decodedInfo)) process.stderr.write(`deckcord plugin: ignoring -info (${decodedInfo.failure})\n`)

// the bundle sits in <plugin>.sdPlugin/bin/; hosts start it with that folder as cwd, but do not rely on it
const pluginDir = NodePath.dirname(NodePath.dirname(fileURLToPath(import.meta.url)))

/** Until the host closes the connection. */
const untilHostCloses = Effect.gen(function*() {
  const host = yield* HostConnection
  yield* host.closed
  yield* Effect.logInfo("the Stream Deck host closed the connection; exiting")
})

const program = untilHostCloses.pipe(
  Effect.provide(pluginLayer({ info, pluginDir })),
  // a broken config file is the user's to fix: say so in the host's log and stay registered
  // (a plugin that exits is not started again by OpenDeck), until the host closes
  Effect.catchTags({
    ConfigError: (e) => refuse(e.message, "fix the config file, then restart the plugin"),
    SettingsFileError: (e) => refuse(e.message, "check the file's permissions, then restart the plugin")
  }),
  Effect.provide(hostLayer(args)),
  Effect.provide(NodeServices.layer),
  Effect.scoped
)

function refuse(message: string, fix: string) {
  return Effect.logError(`deckcord cannot start: ${message}\n${fix}`).pipe(Effect.andThen(untilHostCloses))
}

const fiber = Effect.runFork(program)
const stop = () => Effect.runFork(Fiber.interrupt(fiber))
process.once("SIGTERM", stop)
process.once("SIGINT", stop)
fiber.addObserver((exit) => {
  if (Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)) process.exit(0)
  process.stderr.write(`deckcord plugin stopped: ${Cause.pretty(exit.cause)}\n`)
  process.exit(1)
})
