/**
 * What every Discord-side benchmark starts from: a FakeDiscord that accepts one fixed
 * access token, and a deckcord DiscordRpc runtime connected and authenticated to it.
 */
import * as ChildProcess from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect, Layer, ManagedRuntime, Redacted, Stream } from "effect"
import { Authenticator, BASE_SCOPES, DiscordIpc, DiscordRpc, type DiscordRpcOptions } from "../src/index.ts"
import { type FakeDiscordServer, FIXTURE_CLIENT_ID, simpleAuthority, startFakeDiscord } from "../src/testing/index.ts"

/** The token the fake accepts, with every voice scope. */
export const BENCH_TOKEN = "bench-access-token-0123456789"
export const BENCH_SCOPES = BASE_SCOPES

/** Reconnect fast: the fake is local, nothing to be polite to. */
export const FAST_RECONNECT = { absentBase: "10 millis", absentCap: "50 millis", failureBase: "10 millis", failureCap: "50 millis" } as const

export const startBenchFake = (): Promise<FakeDiscordServer> =>
  startFakeDiscord({ authority: simpleAuthority({ [BENCH_TOKEN]: BENCH_SCOPES }) })

/** deckcord's client against the fake at `socketPath`, authenticated with the bench token. */
export const rpcLayer = (socketPath: string, options: Partial<DiscordRpcOptions> = {}): Layer.Layer<DiscordRpc> =>
  DiscordRpc.layer({ clientId: FIXTURE_CLIENT_ID, reconnect: FAST_RECONNECT, ...options }).pipe(
    Layer.provide(DiscordIpc.layerWith({ socketPaths: [socketPath] })),
    Layer.provide(Authenticator.accessToken(Redacted.make(BENCH_TOKEN)))
  )

/** Completes once the client is Ready (authenticated). */
export const awaitReady: Effect.Effect<void, never, DiscordRpc> = DiscordRpc.use((rpc) =>
  rpc.stateChanges.pipe(Stream.filter((s) => s._tag === "Ready"), Stream.runHead, Effect.asVoid)
)

/** A runtime holding a Ready client; dispose it when done. */
export const readyRuntime = async (
  socketPath: string,
  options: Partial<DiscordRpcOptions> = {}
): Promise<ManagedRuntime.ManagedRuntime<DiscordRpc, never>> => {
  const runtime = ManagedRuntime.make(rpcLayer(socketPath, options))
  await runtime.runPromise(awaitReady)
  return runtime
}

/** A FakeDiscord running in a child process (bench/fakeProcess.ts), driven by messages. */
export interface ForkedFake {
  readonly socketPath: string
  /** Send a command and wait for the first message of `replyType`. */
  readonly ask: <A>(command: Record<string, unknown>, replyType: string) => Promise<A>
  readonly close: () => Promise<void>
}

export const forkFake = async (): Promise<ForkedFake> => {
  const child = ChildProcess.fork(fileURLToPath(new URL("./fakeProcess.js", import.meta.url)), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const waitFor = <A>(type: string) =>
    new Promise<A>((resolve, reject) => {
      const onMessage = (message: { type: string }) => {
        if (message.type !== type) return
        child.off("message", onMessage)
        child.off("exit", onExit)
        resolve(message as A)
      }
      const onExit = (code: number | null) => reject(new Error(`fake process exited (${code}) before "${type}"`))
      child.on("message", onMessage)
      child.once("exit", onExit)
    })
  const { socketPath } = await waitFor<{ socketPath: string }>("ready")
  return {
    socketPath,
    ask: (command, replyType) => {
      const reply = waitFor<never>(replyType)
      child.send(command)
      return reply
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.send({ type: "close" })
      })
  }
}
