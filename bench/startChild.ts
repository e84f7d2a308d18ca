/**
 * Child process for the start benchmark: a library user's client. It loads deckcord as an
 * installed package (the built `dist/` through the package's deep entry points, resolved by
 * name), connects to the fake at argv[2], authenticates with the token in argv[3], and reports
 * how long after process start the client was Ready (performance.now() counts from the
 * process's time origin). Nothing of the benchmark's own or of the fakes is loaded here.
 */
// effect's modules by their own paths, as deckcord's dist/ imports them (the barrel loads all ~390)
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type * as RpcModule from "../src/discord/DiscordRpc.ts"
import type * as IpcModule from "../src/discord/DiscordIpc.ts"
import type * as AuthModule from "../src/discord/Authenticator.ts"

const [socketPath, token, clientId] = process.argv.slice(2)
if (socketPath === undefined || token === undefined || clientId === undefined) {
  throw new Error("usage: startChild <socketPath> <token> <clientId>")
}
// by package name, as `import { DiscordRpc } from "deckcord/discord/DiscordRpc"` in an app
const [{ DiscordRpc }, { DiscordIpc }, { Authenticator }] = await Promise.all([
  import("deckcord/discord/DiscordRpc" as string) as Promise<typeof RpcModule>,
  import("deckcord/discord/DiscordIpc" as string) as Promise<typeof IpcModule>,
  import("deckcord/discord/Authenticator" as string) as Promise<typeof AuthModule>
])
const loaded = performance.now()
const client = DiscordRpc.layer({ clientId }).pipe(
  Layer.provide(DiscordIpc.layerWith({ socketPaths: [socketPath] })),
  Layer.provide(Authenticator.accessToken(Redacted.make(token)))
)
const runtime = ManagedRuntime.make(client)
await runtime.runPromise(
  DiscordRpc.use((rpc) => rpc.stateChanges.pipe(Stream.filter((s) => s._tag === "Ready"), Stream.runHead, Effect.asVoid))
)
process.stdout.write(`${JSON.stringify({ loadedMillis: loaded, readyMillis: performance.now() })}\n`)
process.exit(0)
