/**
 * Discord IPC framing: `[opcode int32 LE][length int32 LE][UTF-8 JSON body]` (docs/discord-rpc.md#frame-layout).
 *
 * Every function here is pure: bytes in, plain data out. Nothing opens a socket or
 * tracks connection state; `discord/DiscordIpc` owns that.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @category models */
export const Opcode = {
  Handshake: 0,
  Frame: 1,
  Close: 2,
  Ping: 3,
  Pong: 4
} as const
/** @category models */
export type Opcode = (typeof Opcode)[keyof typeof Opcode]

const opcodeNames: Record<Opcode, string> = {
  0: "HANDSHAKE",
  1: "FRAME",
  2: "CLOSE",
  3: "PING",
  4: "PONG"
}

/** @category models */
export const opcodeName = (opcode: Opcode): string => opcodeNames[opcode]

const isOpcode = (n: number): n is Opcode => n >= 0 && n <= 4

/** @category models */
export interface Frame {
  readonly opcode: Opcode
  /** The parsed JSON body (Discord always sends an object, but any JSON value decodes). */
  readonly payload: unknown
}

/** Size of the fixed header in bytes. */
export const HEADER_SIZE = 8

/**
 * Default cap on one inbound frame body. Discord itself has no limit on what it sends
 * (a GET_CHANNELS across many guilds can be large, docs/discord-rpc.md#opcodes), so the cap only guards
 * against a corrupt length field making us buffer gigabytes.
 */
export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024

/**
 * Why the byte stream can no longer be decoded. Terminal: after it the stream is
 * desynchronised and the connection must be dropped.
 *
 * @category errors
 */
export class FrameDecodeError extends Schema.TaggedError<FrameDecodeError>()("FrameDecodeError", {
  reason: Schema.Literals(["NegativeLength", "FrameTooLarge", "UnknownOpcode", "InvalidUtf8", "InvalidJson"]),
  message: Schema.String
}) {}

// ---------------------------------------------------------------------------------------------
// encode
// ---------------------------------------------------------------------------------------------

/**
 * Encode one frame. The length field counts UTF-8 bytes, not UTF-16 code units.
 *
 * @category encoding
 */
export const encodeFrame = (opcode: Opcode, payload: unknown): Uint8Array => {
  const json = JSON.stringify(payload) ?? "null"
  const length = Buffer.byteLength(json, "utf8")
  const out = Buffer.allocUnsafe(HEADER_SIZE + length)
  out.writeInt32LE(opcode, 0)
  out.writeInt32LE(length, 4)
  out.write(json, HEADER_SIZE, "utf8")
  return out
}

// ---------------------------------------------------------------------------------------------
// decode
// ---------------------------------------------------------------------------------------------

/** @category decoding */
export interface DecodeResult {
  /** Every frame completed by the bytes pushed so far, in order. */
  readonly frames: ReadonlyArray<Frame>
  /** Set once the stream turned undecodable; frames before the fault are still returned. */
  readonly error: FrameDecodeError | undefined
}

/** @category decoding */
export interface FrameDecoder {
  /** Feed a chunk of any size (including empty); returns what it completed. */
  readonly push: (chunk: Uint8Array) => DecodeResult
  /** Bytes held for a frame that has not fully arrived yet. */
  readonly buffered: () => number
}

/** @category decoding */
export interface FrameDecoderOptions {
  readonly maxFrameSize?: number
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * An incremental decoder. Chunks are kept in a list and concatenated only once per
 * complete frame, so cost is linear in bytes however the stream is split (a 1 MiB frame
 * fed one byte at a time is one copy, not a million). A fault is terminal: every later
 * `push` returns the same error.
 *
 * @category decoding
 */
export const makeFrameDecoder = (options: FrameDecoderOptions = {}): FrameDecoder => {
  const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
  let chunks: Array<Uint8Array> = []
  let head = 0 // index of the first chunk with unconsumed bytes
  let headOffset = 0 // bytes of chunks[head] already consumed
  let total = 0 // unconsumed bytes across chunks
  let header: { opcode: Opcode; length: number } | undefined
  let failed: FrameDecodeError | undefined

  // Advance past a fully consumed head chunk. Indexing instead of Array#shift keeps a
  // frame split into a million 1-byte chunks linear.
  const nextChunk = () => {
    head++
    headOffset = 0
    if (head === chunks.length) {
      chunks = []
      head = 0
    } else if (head > 1024 && head * 2 > chunks.length) {
      chunks = chunks.slice(head)
      head = 0
    }
  }

  // Copy `n` unconsumed bytes out of the chunk list, consuming them.
  const take = (n: number): Uint8Array => {
    // a zero-length body may arrive with nothing buffered: there is no head chunk to read
    if (n === 0) return new Uint8Array(0)
    total -= n
    const first = chunks[head]!
    if (first.length - headOffset >= n) {
      // fast path: entirely inside the head chunk, no copy
      const view = first.subarray(headOffset, headOffset + n)
      headOffset += n
      if (headOffset === first.length) nextChunk()
      return view
    }
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const chunk = chunks[head]!
      const count = Math.min(chunk.length - headOffset, n - filled)
      out.set(chunk.subarray(headOffset, headOffset + count), filled)
      filled += count
      headOffset += count
      if (headOffset === chunk.length) nextChunk()
    }
    return out
  }

  const fail = (reason: FrameDecodeError["reason"], message: string): FrameDecodeError => {
    failed = new FrameDecodeError({ reason, message })
    chunks = []
    head = 0
    total = 0
    return failed
  }

  const push = (chunk: Uint8Array): DecodeResult => {
    if (failed) return { frames: [], error: failed }
    if (chunk.length > 0) {
      chunks.push(chunk)
      total += chunk.length
    }
    const frames: Array<Frame> = []
    while (true) {
      if (header === undefined) {
        if (total < HEADER_SIZE) break
        const bytes = take(HEADER_SIZE)
        const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE)
        const opcode = view.getInt32(0, true)
        const length = view.getInt32(4, true)
        if (!isOpcode(opcode)) return { frames, error: fail("UnknownOpcode", `unknown opcode ${opcode}`) }
        if (length < 0) return { frames, error: fail("NegativeLength", `negative frame length ${length}`) }
        if (length > maxFrameSize) {
          return {
            frames,
            error: fail("FrameTooLarge", `frame of ${length} bytes exceeds the ${maxFrameSize}-byte limit`)
          }
        }
        header = { opcode, length }
      }
      if (total < header.length) break
      const body = take(header.length)
      let text: string
      try {
        text = utf8.decode(body)
      } catch {
        return { frames, error: fail("InvalidUtf8", `${opcodeName(header.opcode)} body is not valid UTF-8`) }
      }
      let payload: unknown
      try {
        payload = JSON.parse(text)
      } catch (e) {
        return {
          frames,
          error: fail("InvalidJson", `${opcodeName(header.opcode)} body is not valid JSON: ${(e as Error).message}`)
        }
      }
      frames.push({ opcode: header.opcode, payload })
      header = undefined
    }
    return { frames, error: undefined }
  }

  return { push, buffered: () => total + (header ? HEADER_SIZE : 0) }
}
