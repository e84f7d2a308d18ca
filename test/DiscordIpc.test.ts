import { assert, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { DiscordIpc } from "../src/index.ts"
import { FakeDiscord, FIXTURE_CLIENT_ID, simpleAuthority } from "../src/testing/index.ts"
import { header } from "./support/frames.ts"

/** A unix socket that accepts and runs `onConnection`, closed with the test's scope. */
const rawServer = (onConnection: (socket: Net.Socket) => void) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly path: string; readonly server: Net.Server }>((resume) => {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-ipc-"))
      const path = Path.join(dir, "discord-ipc-0")
      const server = Net.createServer(onConnection)
      server.listen(path, () => resume(Effect.succeed({ path, server })))
    }),
    ({ path, server }) =>
      Effect.sync(() => {
        server.close()
        Fs.rmSync(Path.dirname(path), { recursive: true, force: true })
      })
  )

const connectTo = (socketPath: string, onMessage: Parameters<DiscordIpc["Service"]["connect"]>[1]) =>
  DiscordIpc.use((ipc) => ipc.connect(FIXTURE_CLIENT_ID, onMessage)).pipe(
    Effect.provide(DiscordIpc.layerWith({ socketPaths: [socketPath], handshakeTimeout: 2_000 }))
  )

describe("DiscordIpc", () => {
  it.live("a zero-length frame ends the connection as a protocol error, not a thrown exception", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({}) })
      const connection = yield* connectTo(fake.socketPath, () => {})
      yield* fake.injectRaw(header(1, 0))
      const reason = yield* connection.closed
      expect(reason._tag).toBe("ProtocolError")
      expect(reason.message).toContain("not valid JSON")
    }))

  it.live("an exception while handling a message ends the connection with its stack instead of the process", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({}) })
      const connection = yield* connectTo(fake.socketPath, () => {
        throw new Error("handler bug")
      })
      assert(connection.send({ cmd: "GET_VOICE_SETTINGS", args: {}, nonce: "n1" }))
      const reason = yield* connection.closed
      expect(reason._tag).toBe("ProtocolError")
      expect(reason.message).toContain("handler bug")
    }))

  it.live("a socket that accepts and ends before READY is a closed handshake (1006), not a missing Discord", () =>
    Effect.gen(function*() {
      const { path } = yield* rawServer((socket) => socket.end())
      const error = yield* Effect.flip(connectTo(path, () => {}))
      assert.strictEqual(error._tag, "HandshakeClosedError")
      if (error._tag === "HandshakeClosedError") {
        assert.strictEqual(error.code, 1006)
        assert.include(error.detail, "ended before READY")
      }
    }))

  it.live("a stale socket file (nobody listening) is reported as Discord not found, naming the stale socket", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-ipc-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const path = Path.join(dir, "discord-ipc-0")
      // what a crashed Discord leaves behind: the path exists, nobody accepts on it
      Fs.writeFileSync(path, "")
      const error = yield* Effect.flip(connectTo(path, () => {}))
      assert.strictEqual(error._tag, "DiscordNotFoundError")
      if (error._tag === "DiscordNotFoundError") assert.include(error.detail, `stale sockets: ${path}: `)
    }))
})
