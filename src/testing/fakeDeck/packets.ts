/**
 * The fake deck's side of the USB image protocol: image packets reassembled into whole
 * payloads per target (gen2 keys `02 07`, LCD regions `02 0c`, the Neo strip `02 0b`, gen1
 * keys `02 01` with BMP payloads), and their pixels in wire order.
 *
 * @since 0.2.0
 */

/** What an image was drawn on. */
export type ImageTarget =
  | { readonly kind: "key"; readonly hidIndex: number }
  | { readonly kind: "lcd"; readonly x: number; readonly y: number; readonly width?: number; readonly height?: number }

export interface ImagePayload {
  readonly target: ImageTarget
  readonly payload: Uint8Array
}

/** Packet size of the gen1 "original" writer, which splits an image into two equal halves. */
const ORIGINAL_PACKET_SIZE = 8191
const GEN1_HEADER = 16

const u16 = (p: Uint8Array, at: number) => (p[at] ?? 0) | ((p[at + 1] ?? 0) << 8)
const concat = (parts: ReadonlyArray<Uint8Array>) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Reassembles image packets into whole payloads, one in-progress image per target. */
export class PacketAssembler {
  readonly #parts = new Map<string, { target: ImageTarget; bodies: Array<Uint8Array>; gen1Original: boolean }>()

  /** Feed one packet; returns the finished image when this was its last packet. */
  push(p: Uint8Array): ImagePayload | undefined {
    if (p[0] !== 0x02) return undefined
    let target: ImageTarget
    let last: boolean
    let body: Uint8Array
    switch (p[1]) {
      case 0x07: // gen2 key: 02 07 key last len16 part16
        target = { kind: "key", hidIndex: p[2] ?? 0 }
        last = p[3] === 1
        body = p.subarray(8, 8 + u16(p, 4))
        break
      case 0x01: // gen1 key: 02 01 part 00 last key+1 (no length: padded to the packet)
        target = { kind: "key", hidIndex: (p[5] ?? 1) - 1 }
        last = p[4] === 1
        body = p.subarray(GEN1_HEADER)
        break
      case 0x0c: // LCD region: 02 0c x16 y16 w16 h16 last part16 len16
        target = { kind: "lcd", x: u16(p, 2), y: u16(p, 4), width: u16(p, 6), height: u16(p, 8) }
        last = p[10] === 1
        body = p.subarray(16, 16 + u16(p, 13))
        break
      case 0x0b: // Neo strip: 02 0b 00 last len16 part16
        target = { kind: "lcd", x: 0, y: 0 }
        last = p[3] === 1
        body = p.subarray(8, 8 + u16(p, 4))
        break
      default:
        return undefined
    }
    const key = target.kind === "key" ? `key:${target.hidIndex}` : `lcd:${target.x},${target.y}`
    const entry = this.#parts.get(key) ?? { target, bodies: [], gen1Original: p.length === ORIGINAL_PACKET_SIZE }
    entry.bodies.push(body.slice())
    this.#parts.set(key, entry)
    if (!last) return undefined
    this.#parts.delete(key)
    return { target: entry.target, payload: joinBodies(entry.bodies, entry.gen1Original) }
  }
}

/** Gen1 payloads are BMPs whose own header gives the length; the "original" splits it in halves. */
const joinBodies = (bodies: ReadonlyArray<Uint8Array>, gen1Original: boolean): Uint8Array => {
  const first = bodies[0]
  if (first === undefined || first[0] !== 0x42 || first[1] !== 0x4d) return concat(bodies)
  const size = new DataView(first.buffer, first.byteOffset, first.byteLength).getUint32(2, true)
  if (gen1Original) return concat(bodies.map((b) => b.subarray(0, size / bodies.length)))
  return concat(bodies).subarray(0, size)
}

/** An image payload as RGB triples in wire order (before undoing the model's transform). */
export const wirePixels = (payload: Uint8Array, pixelCount: number): Uint8Array => {
  const out = new Uint8Array(pixelCount * 3)
  if (payload[0] === 0x42 && payload[1] === 0x4d) {
    // BMP (gen1): 54-byte header, then BGR
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
    const start = view.getUint32(10, true)
    for (let i = 0; i < pixelCount; i++) {
      out[i * 3] = payload[start + i * 3 + 2] ?? 0
      out[i * 3 + 1] = payload[start + i * 3 + 1] ?? 0
      out[i * 3 + 2] = payload[start + i * 3] ?? 0
    }
    return out
  }
  // gen2: the fake's encodeJPEG passes the transformed RGBA through
  for (let i = 0; i < pixelCount; i++) {
    out[i * 3] = payload[i * 4] ?? 0
    out[i * 3 + 1] = payload[i * 4 + 1] ?? 0
    out[i * 3 + 2] = payload[i * 4 + 2] ?? 0
  }
  return out
}

/** The fake's "JPEG encoder": keep the library's transformed pixels as they are. */
export const passThroughJpeg = async (buffer: Uint8Array) => buffer.slice()
