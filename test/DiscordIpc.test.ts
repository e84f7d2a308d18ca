import { assert, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { DiscordIpc } from "../src/services/DiscordIpc.ts"
import { simpleAuthority } from "../src/testing/FakeAuthority.ts"
import { FakeDiscord, FIXTURE_CLIENT_ID } from "../src/testing/FakeDiscord.ts"
import { header } from "./support/frames.ts"

const connectTo = (socketPath: string, onMessage: Parameters<DiscordIpc["Service"]["connect"]>[1]) =>
  DiscordIpc.use((ipc) => ipc.connect(FIXTURE_CLIENT_ID, onMessage)).pipe(
    Effect.provide(DiscordIpc.layerWith({ socketPaths: [socketPath], handshakeTimeoutMillis: 2_000 }))
  )

describe("DiscordIpc", () => {
  it.live("a zero-length frame ends the connection as a protocol error, not a thrown exception", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord.make({ authority: simpleAuthority({}) })
      const connection = yield* connectTo(fake.socketPath, () => {})
      yield* fake.injectRaw(header(1, 0))
      const reason = yield* connection.closed
      expect(reason.kind).toBe("ProtocolError")
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
      expect(reason.kind).toBe("ProtocolError")
      expect(reason.message).toContain("handler bug")
    }))
})
