/**
 * The font reader looks glyphs up in the cmap's own segments instead of expanding it into a
 * map of every code point. This checks the lookup against a plain expansion of the same
 * subtables, code point by code point, for every bundled font.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import { fileURLToPath } from "node:url"
import { parseFontMetrics } from "../src/face/FontMetrics.ts"
import { FONT_FILES } from "../src/face/TextLayout.ts"

/** Code point → advance, by walking every segment (the straightforward reading of the spec). */
const expandedAdvances = (bytes: Uint8Array): Map<number, number> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const tables = new Map<string, number>()
  for (let i = 0; i < view.getUint16(4); i++) {
    const record = 12 + i * 16
    tables.set(String.fromCharCode(...bytes.subarray(record, record + 4)), view.getUint32(record + 8))
  }
  const cmap = tables.get("cmap")!
  const glyphs = new Map<number, number>()
  let format4: number | undefined
  let format12: number | undefined
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const record = cmap + 4 + i * 8
    const platform = view.getUint16(record)
    const encoding = view.getUint16(record + 2)
    const offset = cmap + view.getUint32(record + 4)
    if (!(platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10)))) continue
    if (view.getUint16(offset) === 12) format12 = offset
    else if (view.getUint16(offset) === 4) format4 ??= offset
  }
  if (format12 !== undefined) {
    for (let g = 0; g < view.getUint32(format12 + 12); g++) {
      const at = format12 + 16 + g * 12
      for (let cp = view.getUint32(at); cp <= view.getUint32(at + 4); cp++) {
        glyphs.set(cp, view.getUint32(at + 8) + cp - view.getUint32(at))
      }
    }
  } else {
    const segCount = view.getUint16(format4! + 6) / 2
    const ends = format4! + 14
    const starts = ends + segCount * 2 + 2
    const deltas = starts + segCount * 2
    const rangeOffsets = deltas + segCount * 2
    for (let s = 0; s < segCount; s++) {
      const delta = view.getInt16(deltas + s * 2)
      const rangeOffset = view.getUint16(rangeOffsets + s * 2)
      for (let cp = view.getUint16(starts + s * 2); cp <= view.getUint16(ends + s * 2) && cp !== 0xffff; cp++) {
        let glyph = rangeOffset === 0
          ? (cp + delta) & 0xffff
          : view.getUint16(rangeOffsets + s * 2 + rangeOffset + (cp - view.getUint16(starts + s * 2)) * 2)
        if (rangeOffset !== 0 && glyph !== 0) glyph = (glyph + delta) & 0xffff
        if (glyph !== 0) glyphs.set(cp, glyph)
      }
    }
  }
  const hmtx = tables.get("hmtx")!
  const numberOfHMetrics = view.getUint16(tables.get("hhea")! + 34)
  const advances = new Map<number, number>()
  for (const [cp, glyph] of glyphs) {
    advances.set(cp, view.getUint16(hmtx + Math.min(glyph, numberOfHMetrics - 1) * 4))
  }
  return advances
}

describe("FontMetrics", () => {
  for (const [name, path] of Object.entries(FONT_FILES)) {
    it(`${name}: the segment lookup gives every code point's advance as the expanded cmap does`, () => {
      const bytes = Fs.readFileSync(path.startsWith("file:") ? fileURLToPath(path) : path)
      const expected = expandedAdvances(bytes)
      const font = parseFontMetrics(bytes)
      assert.isAbove(expected.size, 100)
      const wrong: Array<number> = []
      for (let cp = 0; cp <= 0x1ffff; cp++) {
        if (font.advance(cp) !== expected.get(cp)) wrong.push(cp)
      }
      assert.deepStrictEqual(wrong.slice(0, 10), [])
      assert.strictEqual(font.advance(0x10ffff), expected.get(0x10ffff))
    })
  }
})
