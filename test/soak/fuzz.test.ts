/**
 * Property tests at soak scale (≥ 100,000 cases in total) for the frame decoder and the
 * message decoder: any split decodes the same, any garbage or corruption ends in a typed
 * error and never a throw, and any JSON value classifies into an Inbound or a typed error.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import { encodeFrame, type Frame, FrameDecodeError, makeFrameDecoder, Opcode } from "../../src/protocol/Frame.ts"
import { decodeInbound, MessageDecodeError } from "../../src/protocol/Message.ts"
import { concat, splitAt } from "../support/frames.ts"
import { recordSoak } from "./record.ts"

const RUNS = {
  split: 25_000,
  garbage: 30_000,
  corrupted: 20_000,
  messages: 30_000
} as const



const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown)
const opcode = fc.constantFrom(Opcode.Handshake, Opcode.Frame, Opcode.Close, Opcode.Ping, Opcode.Pong)
const frameArb = fc.record({ opcode, payload: jsonValue })

/** Push every chunk; never throws, errors are typed and terminal. Returns frames and the error. */
const pushAll = (chunks: ReadonlyArray<Uint8Array>, maxFrameSize = 4096) => {
  const decoder = makeFrameDecoder({ maxFrameSize })
  const frames: Array<Frame> = []
  let error: FrameDecodeError | undefined
  for (const chunk of chunks) {
    const result = decoder.push(chunk)
    if (error !== undefined) {
      // terminal: the same error, nothing decoded after it
      expect(result.frames).toEqual([])
      expect(result.error).toBe(error)
      continue
    }
    frames.push(...result.frames)
    if (result.error !== undefined) {
      expect(result.error).toBeInstanceOf(FrameDecodeError)
      error = result.error
    }
  }
  return { frames, error }
}

/** Envelope-shaped values: the fields Discord sends, each sometimes wrong. */
const envelopeLike = fc.record(
  {
    cmd: fc.oneof(fc.constantFrom("DISPATCH", "GET_VOICE_SETTINGS", "SUBSCRIBE", "AUTHENTICATE"), fc.string(), jsonValue),
    evt: fc.oneof(fc.constantFrom(null, "READY", "ERROR", "SPEAKING_START", "VOICE_SETTINGS_UPDATE"), jsonValue),
    nonce: fc.oneof(fc.constant(null), fc.uuid(), fc.string(), jsonValue),
    data: fc.oneof(
      jsonValue,
      fc.record({ code: fc.oneof(fc.integer(), jsonValue), message: fc.oneof(fc.string(), jsonValue) }, { requiredKeys: [] }),
      fc.record({ v: fc.oneof(fc.constant(1), jsonValue), user: jsonValue, config: jsonValue }, { requiredKeys: [] })
    )
  },
  { requiredKeys: [] }
)

const cases = { total: 0 }

describe("soak: decoder properties", () => {
  it("any split of any sequence of frames decodes to the same frames", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 24 }), (frames, cuts) => {
        const bytes = concat(frames.map((f) => encodeFrame(f.opcode, f.payload)))
        const decoded = pushAll(splitAt(bytes, cuts), 64 * 1024)
        expect(decoded.error).toBeUndefined()
        expect(decoded.frames).toEqual(frames)
      }),
      { numRuns: RUNS.split }
    )
    cases.total += RUNS.split
  })

  it("arbitrary bytes in arbitrary chunks never throw: frames or one typed, terminal error", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        pushAll(chunks)
      }),
      { numRuns: RUNS.garbage }
    )
    cases.total += RUNS.garbage
  })

  it("a valid stream with corrupted bytes decodes its prefix and then at most a typed error", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (frames, flips, cuts) => {
          const encoded = frames.map((f) => encodeFrame(f.opcode, f.payload))
          const bytes = Buffer.from(concat(encoded))
          for (const [at, value] of flips) bytes[at % bytes.length] = value
          const firstFlip = Math.min(...flips.map(([at]) => at % bytes.length))
          // frames wholly before the first corrupted byte are untouched
          let intact = 0
          for (let end = 0; intact < encoded.length && (end += encoded[intact]!.length) <= firstFlip;) intact++
          const decoded = pushAll(splitAt(bytes, cuts), 64 * 1024)
          expect(decoded.frames.slice(0, intact)).toEqual(frames.slice(0, intact))
        }
      ),
      { numRuns: RUNS.corrupted }
    )
    cases.total += RUNS.corrupted
  })

  it("any JSON value classifies into an Inbound message or a typed MessageDecodeError, never a throw", () => {
    fc.assert(
      fc.property(fc.oneof(envelopeLike, jsonValue), (payload) => {
        const result = decodeInbound(payload)
        if (Result.isFailure(result)) {
          expect(result.failure).toBeInstanceOf(MessageDecodeError)
          return
        }
        const message = result.success
        expect(["Reply", "ErrorReply", "ServerError", "Event", "Ready"]).toContain(message._tag)
        // a reply is matched by nonce: it must carry the nonce that came in
        if (message._tag === "Reply" || message._tag === "ErrorReply") {
          expect(message.nonce).toBe((payload as { nonce: unknown }).nonce)
        }
      }),
      { numRuns: RUNS.messages }
    )
    cases.total += RUNS.messages
    recordSoak("fuzz", {
      order: 50,
      fault: "property tests (fast-check): frame and message decoders",
      injected: `${cases.total} generated cases: ${RUNS.split} split streams, ${RUNS.garbage} garbage streams, ` +
        `${RUNS.corrupted} corrupted streams, ${RUNS.messages} JSON values as messages`,
      outcome: "every split decoded identically; every garbage/corruption ended in frames or a typed terminal " +
        "FrameDecodeError; every JSON value became an Inbound or a MessageDecodeError; 0 throws",
      lost: 0
    })
  })
})
