/**
 * Server-side faults, each repeated many times: bytes that cannot be decoded, a connection
 * dropped mid-frame, PING storms, replies withheld or late. Every fault must end in a typed
 * error for the request it hit and a reconnect, never a crash or a hang; afterwards the
 * client works again.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { encodeFrame, Opcode } from "../../src/protocol/Frame.ts"
import type { DiscordRpc } from "../../src/index.ts"
import type { FakeDiscordShape } from "../../src/testing/index.ts"
import { client, eventually, fakeWith, header, recordStates } from "./harness.ts"
import { recordSoak } from "./record.ts"

/** Repeats per fault kind: enough to catch a state that survives one reconnect badly. */
const REPEATS = 100
const CMD = "GET_VOICE_SETTINGS"

const requestsSeen = (fake: FakeDiscordShape) =>
  fake.framesReceived().pipe(Effect.map((frames) => frames.filter((f) => (f.payload as { cmd?: string } | null)?.cmd === CMD).length))

const errorTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>): string =>
  Exit.isSuccess(exit) ? "Success" : exit.cause.reasons.map((r) => (r._tag === "Fail" ? r.error._tag : r._tag)).join("+")

interface Fault {
  readonly name: string
  readonly bytes: () => Uint8Array
  /** Drop the socket after the bytes (a partial frame never completes otherwise). */
  readonly thenDrop?: boolean
  /** The DisconnectReason kind the client must report. */
  readonly kind: "ProtocolError" | "Closed"
}

const FAULTS: ReadonlyArray<Fault> = [
  {
    name: "connection dropped mid-frame (header + 20 of 100 body bytes, then drop)",
    bytes: () => Buffer.concat([header(Opcode.Frame, 100), Buffer.from('{"cmd":"DISPATCH","e')]),
    thenDrop: true,
    kind: "Closed"
  },
  { name: "garbage bytes", bytes: () => Buffer.from("\u00ff\u00fe garbage that is no frame at all \u0000\u0001"), kind: "ProtocolError" },
  { name: "oversized length (2 GiB)", bytes: () => header(Opcode.Frame, 0x7fffffff), kind: "ProtocolError" },
  { name: "negative length", bytes: () => header(Opcode.Frame, -5), kind: "ProtocolError" },
  { name: "unknown opcode 9", bytes: () => Buffer.concat([header(9, 2), Buffer.from("{}")]), kind: "ProtocolError" },
  {
    name: "invalid JSON body",
    bytes: () => Buffer.concat([header(Opcode.Frame, 9), Buffer.from("{not json")]),
    kind: "ProtocolError"
  },
  {
    name: "invalid UTF-8 body",
    bytes: () => Buffer.concat([header(Opcode.Frame, 4), Buffer.from([0x22, 0xc3, 0x28, 0x22])]),
    kind: "ProtocolError"
  },
  {
    name: "valid JSON that is no message (a bare number)",
    bytes: () => encodeFrame(Opcode.Frame, 42),
    kind: "ProtocolError"
  }
]

/** One fault, `REPEATS` times, with a request in flight each time. */
const soakFault = (fake: FakeDiscordShape, rpc: DiscordRpc["Service"], fault: Fault) =>
  Effect.gen(function*() {
    const states = yield* recordStates(rpc)
    yield* states.awaitCount("Ready", 0)
    const failures = new Map<string, number>()
    let recovered = 0
    for (let i = 0; i < REPEATS; i++) {
      const readyBefore = states.count("Ready")
      const disconnectsBefore = states.states.filter((s) => s._tag === "Disconnected" && s.reason._tag === fault.kind).length
      // a request in flight when the fault hits: it must fail typed, never hang
      yield* fake.withholdReplies(CMD)
      const seen = yield* requestsSeen(fake)
      const inFlight = yield* Effect.forkChild(rpc.request(CMD), { startImmediately: true })
      yield* eventually(requestsSeen(fake), (n) => n > seen, "the request to reach the fake")
      yield* fake.injectRaw(fault.bytes())
      if (fault.thenDrop === true) yield* fake.drop
      const exit = yield* Fiber.await(inFlight)
      const tag = errorTag(exit as Exit.Exit<unknown, { readonly _tag: string }>)
      failures.set(tag, (failures.get(tag) ?? 0) + 1)
      assert.strictEqual(tag, "ConnectionLostError", `${fault.name}: the in-flight request`)
      yield* fake.withholdReplies(undefined)
      yield* states.awaitCount("Ready", readyBefore, `reconnect after ${fault.name}`)
      const disconnects = states.states.filter((s) => s._tag === "Disconnected" && s.reason._tag === fault.kind).length
      assert.isAbove(disconnects, disconnectsBefore, `${fault.name}: reported as ${fault.kind}`)
      // and the client works again
      const settings = yield* rpc.request(CMD)
      assert.isObject(settings)
      recovered++
    }
    const stats = yield* rpc.stats
    assert.strictEqual(stats.pendingRequests, 0)
    return { recovered, failures }
  })

describe("soak: undecodable bytes and dropped connections", () => {
  FAULTS.forEach((fault, index) => {
    it.live(fault.name, () =>
      Effect.gen(function*() {
        const fake = yield* fakeWith()
        const rpc = yield* client(fake.socketPath)
        const { failures, recovered } = yield* soakFault(fake, rpc, fault)
        assert.strictEqual(recovered, REPEATS)
        recordSoak(`fault-${index}`, {
          order: 10 + index,
          fault: fault.name,
          injected: `${REPEATS}× with a ${CMD} in flight`,
          outcome: `${REPEATS} disconnects reported as ${fault.kind}, ${recovered} reconnects, in-flight requests: ${
            [...failures].map(([tag, n]) => `${n} ${tag}`).join(", ")
          }; a fresh request succeeded after each`,
          lost: REPEATS - recovered
        })
      }))
  })
})

describe("soak: PING storms, withheld and late replies", () => {
  it.live("PING storms: every PING answered with a PONG of the same body, connection kept", () =>
    Effect.gen(function*() {
      const STORMS = 20
      const PINGS = 1_000
      const fake = yield* fakeWith()
      const rpc = yield* client(fake.socketPath)
      const states = yield* recordStates(rpc)
      yield* states.awaitCount("Ready", 0)
      let answered = 0
      for (let i = 0; i < STORMS; i++) {
        // resolves only once every PING of the storm came back as a PONG with its body
        answered += yield* fake.pingStorm(PINGS)
        assert.isObject(yield* rpc.request(CMD))
      }
      assert.strictEqual(answered, STORMS * PINGS)
      assert.strictEqual(states.count("Disconnected"), 0, "no reconnect during the storms")
      recordSoak("ping-storm", {
        order: 30,
        fault: "PING storms",
        injected: `${STORMS} storms × ${PINGS} PINGs (${STORMS * PINGS}), each storm in one write`,
        outcome: `${answered} PONGs with matching bodies, 0 disconnects, a request after each storm succeeded`,
        lost: STORMS * PINGS - answered
      })
    }))

  it.live("withheld replies: every request times out with RpcTimeoutError, nothing stays pending", () =>
    Effect.gen(function*() {
      const REQUESTS = 200
      const fake = yield* fakeWith()
      const rpc = yield* client(fake.socketPath)
      const states = yield* recordStates(rpc)
      yield* states.awaitCount("Ready", 0)
      yield* fake.withholdReplies(CMD)
      const exits = yield* Effect.forEach(
        Array.from({ length: REQUESTS }, () => rpc.request(CMD, {}, { timeout: 150 })),
        Effect.exit,
        { concurrency: "unbounded" }
      )
      const tags = exits.map((e) => errorTag(e as Exit.Exit<unknown, { readonly _tag: string }>))
      assert.deepStrictEqual([...new Set(tags)], ["RpcTimeoutError"])
      assert.strictEqual((yield* rpc.stats).pendingRequests, 0)
      yield* fake.withholdReplies(undefined)
      assert.isObject(yield* rpc.request(CMD))
      assert.strictEqual(states.count("Disconnected"), 0)

      // late replies (after their timeout) are ignored, not misrouted
      yield* fake.delayReplies(300, CMD)
      const late = yield* Effect.forEach(
        Array.from({ length: 50 }, () => rpc.request(CMD, {}, { timeout: 100 })),
        Effect.exit,
        { concurrency: "unbounded" }
      )
      const lateTags = late.map((e) => errorTag(e as Exit.Exit<unknown, { readonly _tag: string }>))
      assert.deepStrictEqual([...new Set(lateTags)], ["RpcTimeoutError"])
      yield* Effect.sleep("400 millis") // the late replies arrive now
      yield* fake.delayReplies(undefined, CMD)
      assert.isObject(yield* rpc.request(CMD))
      assert.strictEqual((yield* rpc.stats).pendingRequests, 0)
      assert.strictEqual(states.count("Disconnected"), 0)
      recordSoak("withheld", {
        order: 40,
        fault: "replies withheld / late",
        injected: `${REQUESTS} requests never answered (150 ms timeout), 50 answered 300 ms late (100 ms timeout)`,
        outcome: `${REQUESTS + 50} RpcTimeoutError, late replies ignored, 0 pending afterwards, connection kept, next request succeeded`,
        lost: 0
      })
    }))
})
