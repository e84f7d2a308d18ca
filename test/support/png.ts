/**
 * Reading the pixels of the PNGs deckcord sends (resvg's: 8-bit RGBA, not interlaced), so a
 * test can look at what a host would show. Not a general decoder: anything else throws.
 */
import { inflateSync } from "node:zlib"

export interface Pixels {
  readonly width: number
  readonly height: number
  /** RGBA, row-major. */
  readonly rgba: Uint8Array
}

const paeth = (a: number, b: number, c: number) => {
  const p = a + b - c
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)]
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

export const decodePng = (png: Uint8Array): Pixels => {
  const bytes = Buffer.from(png)
  let width = 0
  let height = 0
  const data: Array<Buffer> = []
  for (let at = 8; at < bytes.length;) {
    const length = bytes.readUInt32BE(at)
    const type = bytes.toString("latin1", at + 4, at + 8)
    const body = bytes.subarray(at + 8, at + 8 + length)
    if (type === "IHDR") {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      if (body[8] !== 8 || body[9] !== 6 || body[12] !== 0) throw new Error("decodePng: only 8-bit RGBA, not interlaced")
    } else if (type === "IDAT") data.push(body)
    at += 12 + length
  }
  const raw = inflateSync(Buffer.concat(data))
  const stride = width * 4
  const rgba = new Uint8Array(height * stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x]!
      const left = x >= 4 ? rgba[y * stride + x - 4]! : 0
      const up = y > 0 ? rgba[(y - 1) * stride + x]! : 0
      const upLeft = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0
      const predicted = filter === 0 ? 0 : filter === 1 ? left : filter === 2 ? up : filter === 3 ? (left + up) >> 1 : paeth(left, up, upLeft)
      rgba[y * stride + x] = (value + predicted) & 0xff
    }
  }
  return { width, height, rgba }
}

/** How many pixels satisfy `ok` (r, g, b). */
export const countPixels = (pixels: Pixels, ok: (r: number, g: number, b: number) => boolean): number => {
  let n = 0
  for (let i = 0; i < pixels.rgba.length; i += 4) if (ok(pixels.rgba[i]!, pixels.rgba[i + 1]!, pixels.rgba[i + 2]!)) n++
  return n
}
