import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { encodeFrame, type Frame, FrameDecodeError, makeFrameDecoder, Opcode } from "../../src/protocol/Frame.ts"
import { concat, header, splitAt } from "../support/frames.ts"




const decodeAll = (chunks: ReadonlyArray<Uint8Array>) => {
  const decoder = makeFrameDecoder()
  const frames: Array<Frame> = []
  for (const chunk of chunks) {
    const result = decoder.push(chunk)
    expect(result.error).toBeUndefined()
    frames.push(...result.frames)
  }
  return { frames, buffered: decoder.buffered() }
}

const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown)
const frameArb = fc.record({
  opcode: fc.constantFrom(Opcode.Handshake, Opcode.Frame, Opcode.Close, Opcode.Ping, Opcode.Pong),
  payload: jsonValue
})

describe("Frame codec", () => {
  it("encodes the header as int32 LE opcode and UTF-8 byte length (docs/discord-rpc.md#frame-layout)", () => {
    const bytes = encodeFrame(Opcode.Handshake, { v: 1, client_id: "112233445566778899" })
    expect(Buffer.from(bytes.subarray(0, 8)).toString("hex")).toBe("0000000028000000")
    const multiByte = encodeFrame(Opcode.Frame, { name: "Ünïcødé 🎙" })
    const length = Buffer.from(multiByte).readInt32LE(4)
    expect(length).toBe(Buffer.byteLength(JSON.stringify({ name: "Ünïcødé 🎙" })))
    expect(length).toBeGreaterThan(JSON.stringify({ name: "Ünïcødé 🎙" }).length)
  })

  it("any split of any sequence of frames decodes to the same frames", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
        const bytes = concat(frames.map((f) => encodeFrame(f.opcode, f.payload)))
        const decoded = decodeAll(splitAt(bytes, cuts))
        expect(decoded.frames).toEqual(frames)
        expect(decoded.buffered).toBe(0)
      }),
      { numRuns: 500 }
    )
  })

  it("decodes coalesced frames in one chunk and keeps a partial tail", () => {
    const a = encodeFrame(Opcode.Frame, { cmd: "SUBSCRIBE", nonce: "1" })
    const b = encodeFrame(Opcode.Frame, { cmd: "DISPATCH", evt: "VOICE_SETTINGS_UPDATE" })
    const decoder = makeFrameDecoder()
    const both = concat([a, b])
    const first = decoder.push(both.subarray(0, both.length - 3))
    expect(first.frames.map((f) => (f.payload as { cmd: string }).cmd)).toEqual(["SUBSCRIBE"])
    expect(decoder.buffered()).toBe(b.length - 3)
    const rest = decoder.push(both.subarray(both.length - 3))
    expect(rest.frames.map((f) => (f.payload as { cmd: string }).cmd)).toEqual(["DISPATCH"])
  })

  it("a 1 MiB frame fed one byte at a time decodes once, from one copy", () => {
    const big = { data: "x".repeat(1024 * 1024) }
    const bytes = encodeFrame(Opcode.Frame, big)
    const decoder = makeFrameDecoder()
    let frames: ReadonlyArray<Frame> = []
    for (let i = 0; i < bytes.length; i++) {
      const r = decoder.push(bytes.subarray(i, i + 1))
      if (r.frames.length > 0) frames = r.frames
    }
    expect(frames).toHaveLength(1)
    expect((frames[0]!.payload as { data: string }).data.length).toBe(1024 * 1024)
  })

  it.each([
    ["negative length", concat([header(1, -5)]), "NegativeLength"],
    ["oversized length", concat([header(1, 2_000)]), "FrameTooLarge"],
    ["unknown opcode", concat([header(9, 2), Buffer.from("{}")]), "UnknownOpcode"],
    ["invalid UTF-8", concat([header(1, 2), Buffer.from([0xc3, 0x28])]), "InvalidUtf8"],
    ["invalid JSON", concat([header(1, 5), Buffer.from("{nope")]), "InvalidJson"]
  ])("%s is a typed, terminal error", (_name, bytes, reason) => {
    const decoder = makeFrameDecoder({ maxFrameSize: 1_000 })
    const good = encodeFrame(Opcode.Frame, { ok: true })
    const result = decoder.push(concat([good, bytes]))
    expect(result.frames).toEqual([{ opcode: Opcode.Frame, payload: { ok: true } }])
    expect(result.error).toBeInstanceOf(FrameDecodeError)
    expect(result.error?.reason).toBe(reason)
    // terminal: later bytes are not decoded
    const after = decoder.push(good)
    expect(after.frames).toEqual([])
    expect(after.error?.reason).toBe(reason)
  })

  it("unknown opcodes and oversized lengths fail on the header, before the body arrives", () => {
    const decoder = makeFrameDecoder({ maxFrameSize: 10 })
    expect(decoder.push(header(1, 11)).error?.reason).toBe("FrameTooLarge")
    expect(makeFrameDecoder().push(header(7, 100)).error?.reason).toBe("UnknownOpcode")
  })

  it("a zero-length body is a typed InvalidJson error, wherever the chunk boundary falls", () => {
    // the header alone, nothing buffered after it: the case the soak fuzzer found
    expect(makeFrameDecoder().push(header(Opcode.Frame, 0)).error?.reason).toBe("InvalidJson")
    // the header after a complete frame in the same chunk
    const good = encodeFrame(Opcode.Frame, { a: 1 })
    const both = makeFrameDecoder().push(concat([good, header(Opcode.Frame, 0)]))
    expect(both.frames).toEqual([{ opcode: Opcode.Frame, payload: { a: 1 } }])
    expect(both.error?.reason).toBe("InvalidJson")
  })

  it("arbitrary bytes never throw: they decode or end in a typed error", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const decoder = makeFrameDecoder({ maxFrameSize: 4096 })
        for (const chunk of chunks) {
          const r = decoder.push(chunk)
          if (r.error) expect(r.error).toBeInstanceOf(FrameDecodeError)
        }
      }),
      { numRuns: 2_000 }
    )
  })
})
