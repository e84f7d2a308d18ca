/**
 * Request → reply round trips over a Unix socket, three ways, interleaved so drift on a
 * shared machine hits all three alike:
 * - floor: raw node:net, a request-sized frame out and a reply-sized frame back, no parsing;
 * - deckcord: `DiscordRpc.request("GET_VOICE_SETTINGS")` against FakeDiscord;
 * - @xhayper/discord-rpc: `client.request("GET_VOICE_SETTINGS")` against the same fake.
 * Targets (issue 2): deckcord median ≤ 2× floor, p99 ≤ 3× floor.
 */
import { Client } from "@xhayper/discord-rpc"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { encodeFrame, Opcode } from "../src/protocol/Frame.ts"
import { commandEnvelope } from "../src/protocol/Message.ts"
import { DiscordRpc } from "../src/index.ts"
import { type FakeDiscordServer, FIXTURE_CLIENT_ID } from "../src/testing/index.ts"
import { BENCH_SCOPES, BENCH_TOKEN, readyRuntime, startBenchFake } from "./setup.ts"
import { gc, type Row, summarize } from "./stats.ts"

const CMD = "GET_VOICE_SETTINGS"
/** Rounds of interleaving; each round measures every client in turn. */
const ROUNDS = 6
/** Round trips per client per round: 6 × 500 = 3,000 samples each, about a second per client. */
const PER_ROUND = 500
/** Untimed round trips per client before the first round (JIT, socket buffers). */
const WARMUP = 300

const GROUP = "round trip"

interface Floor {
  readonly roundTrip: () => Promise<void>
  readonly close: () => Promise<void>
}

/** A raw echo-style server: after `requestSize` bytes arrive it writes `reply` back. */
const startFloor = async (requestSize: number, reply: Uint8Array): Promise<Floor> => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "dc-floor-"))
  const path = Path.join(dir, "floor.sock")
  const server = Net.createServer((socket) => {
    let got = 0
    socket.on("data", (chunk) => {
      got += chunk.length
      while (got >= requestSize) {
        got -= requestSize
        socket.write(reply)
      }
    })
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const client = Net.createConnection({ path })
  await new Promise<void>((resolve) => client.once("connect", resolve))
  const request = Buffer.alloc(requestSize, 0x20)
  let waiting: (() => void) | undefined
  let received = 0
  client.on("data", (chunk) => {
    received += chunk.length
    if (received >= reply.length) {
      received -= reply.length
      const done = waiting
      waiting = undefined
      done?.()
    }
  })
  return {
    roundTrip: () =>
      new Promise<void>((resolve) => {
        waiting = resolve
        client.write(request)
      }),
    close: async () => {
      client.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * The fake with no client cost: pre-encoded request bytes in, reply frames counted by
 * their headers only (no UTF-8, no JSON). What is left is socket + FakeDiscord's own work.
 */
const startRawFakeClient = async (fake: FakeDiscordServer): Promise<Floor> => {
  const socket = Net.createConnection({ path: fake.socketPath })
  await new Promise<void>((resolve) => socket.once("connect", resolve))
  let pending: Buffer<ArrayBufferLike> = Buffer.alloc(0)
  let lastBody: Buffer<ArrayBufferLike> | undefined
  let waiting: (() => void) | undefined
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 8) {
      const length = pending.readInt32LE(4)
      if (pending.length < 8 + length) break
      lastBody = pending.subarray(8, 8 + length)
      pending = pending.subarray(8 + length)
      const done = waiting
      waiting = undefined
      done?.()
    }
  })
  const frame = (bytes: Uint8Array) =>
    new Promise<void>((resolve) => {
      waiting = resolve
      socket.write(bytes)
    })
  await frame(encodeFrame(Opcode.Handshake, { v: 1, client_id: FIXTURE_CLIENT_ID }))
  await frame(encodeFrame(Opcode.Frame, commandEnvelope("AUTHENTICATE", "auth-nonce", { access_token: BENCH_TOKEN })))
  const request = encodeFrame(Opcode.Frame, commandEnvelope(CMD, "00000000-0000-4000-8000-000000000000", {}))
  await frame(request)
  const check = JSON.parse(lastBody?.toString("utf8") ?? "null") as { evt?: unknown } | null
  if (check?.evt === "ERROR") throw new Error(`raw client: ${CMD} failed: ${lastBody?.toString("utf8")}`)
  return {
    roundTrip: () => frame(request),
    close: async () => {
      socket.destroy()
    }
  }
}

/** Time `n` sequential round trips of an async client. */
const timeAsync = async (n: number, run: () => Promise<unknown>, into: Array<number>) => {
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    await run()
    into.push(performance.now() - start)
  }
}

export async function benchRoundTrip(): Promise<Array<Row>> {
  const fake = await startBenchFake()
  try {
    return await measure(fake)
  } finally {
    await fake.close()
  }
}

const measure = async (fake: FakeDiscordServer): Promise<Array<Row>> => {
  // the floor moves the same bytes: a deckcord request frame out, the fake's reply frame back
  const requestSize = encodeFrame(Opcode.Frame, commandEnvelope(CMD, "00000000-0000-4000-8000-000000000000", {})).length
  const reply = encodeFrame(Opcode.Frame, {
    cmd: CMD,
    data: fake.world.voiceSettings(),
    evt: null,
    nonce: "00000000-0000-4000-8000-000000000000"
  })
  const floor = await startFloor(requestSize, reply)

  const raw = await startRawFakeClient(fake)
  const runtime = await readyRuntime(fake.socketPath)
  const deckcordLoop = (n: number, into: Array<number> | undefined) =>
    runtime.runPromise(DiscordRpc.use((rpc) =>
      Effect.gen(function*() {
        for (let i = 0; i < n; i++) {
          const start = performance.now()
          yield* rpc.request(CMD)
          into?.push(performance.now() - start)
        }
      })
    ).pipe(Effect.orDie))

  const xhayper = new Client({
    clientId: FIXTURE_CLIENT_ID,
    transport: { type: "ipc", pathList: [{ platform: [process.platform], format: () => fake.socketPath }] }
  })
  await xhayper.connect()
  await xhayper.login({ scopes: [...BENCH_SCOPES], accessToken: BENCH_TOKEN })

  try {
    const floorSamples: Array<number> = []
    const deckcordSamples: Array<number> = []
    const xhayperSamples: Array<number> = []
    const rawSamples: Array<number> = []
    await timeAsync(WARMUP, floor.roundTrip, [])
    await timeAsync(WARMUP, raw.roundTrip, [])
    await deckcordLoop(WARMUP, undefined)
    await timeAsync(WARMUP, () => xhayper.request(CMD, {}), [])
    for (let round = 0; round < ROUNDS; round++) {
      gc()
      await timeAsync(PER_ROUND, floor.roundTrip, floorSamples)
      gc()
      await timeAsync(PER_ROUND, raw.roundTrip, rawSamples)
      gc()
      await deckcordLoop(PER_ROUND, deckcordSamples)
      gc()
      await timeAsync(PER_ROUND, () => xhayper.request(CMD, {}), xhayperSamples)
    }
    const floorRow = summarize(GROUP, `floor: raw node:net Unix socket (${requestSize} B out, ${reply.length} B back)`, "ms", floorSamples, {
      note: "the least any client can take on this machine: socket write → peer → socket read, no parsing"
    })
    const ratio = (row: ReturnType<typeof summarize>) => ({
      median: Number((row.median / floorRow.median).toFixed(2)),
      p99: Number((row.p99 / floorRow.p99).toFixed(2))
    })
    const deckcord = summarize(GROUP, `deckcord DiscordRpc.request(${CMD}) → FakeDiscord`, "ms", deckcordSamples)
    const deckcordRatio = ratio(deckcord)
    const xh = summarize(GROUP, `@xhayper/discord-rpc 1.5.1 request(${CMD}) → FakeDiscord`, "ms", xhayperSamples)
    const rawRow = summarize(GROUP, `raw bytes → FakeDiscord ${CMD} → reply headers (no client)`, "ms", rawSamples)
    return [
      floorRow,
      {
        ...rawRow,
        ratio: ratio(rawRow),
        note: "the fake's share: what any client pays against FakeDiscord before doing any work of its own"
      },
      {
        ...deckcord,
        ratio: deckcordRatio,
        target: "median ≤ 2× floor, p99 ≤ 3× floor",
        met: deckcordRatio.median <= 2 && deckcordRatio.p99 <= 3,
        note: "includes the fake's own work (decode, validate, build and encode the voice settings reply)"
      },
      { ...xh, ratio: ratio(xh), note: "the same request through a popular third-party client, for comparison" }
    ]
  } finally {
    await xhayper.destroy().catch(() => {})
    await runtime.dispose()
    await raw.close()
    await floor.close()
  }
}
