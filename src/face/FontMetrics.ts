/**
 * A small TrueType reader: just enough of `cmap`, `hmtx`, `hhea`, `head` and `OS/2` to know
 * which code points a font draws and how wide a line of text is, without asking the
 * rasteriser. `KeyRenderer` uses it to fit labels (shrink, then ellipsize) in microseconds.
 *
 * Pure: bytes in, plain data out. Widths are advance sums without kerning, so they slightly
 * over-estimate, which is the safe side for fitting.
 *
 * @since 0.1.0
 */

/** What `KeyRenderer` needs to know about one font face. */
export interface FontMetrics {
  /** Font units per em (from `head`). */
  readonly unitsPerEm: number
  /** Cap height as a fraction of the em, used to centre a line of capitals vertically. */
  readonly capHeight: number
  /** Code point → advance width in font units, for every code point the font maps to a glyph. */
  readonly advances: ReadonlyMap<number, number>
}

/** A font file that is not a TrueType/OpenType font with the tables we read. */
export class FontParseError extends Error {
  override readonly name = "FontParseError"
}

/** DejaVu's cap height (0.729 em); used when a font has no OS/2 v2 `sCapHeight`. */
const FALLBACK_CAP_HEIGHT = 0.729

interface TableDirectory {
  readonly [tag: string]: { readonly offset: number; readonly length: number } | undefined
}

/** A TrueType collection ("ttcf", e.g. the Noto CJK fonts): its first font's table directory offset. */
const firstFontOffset = (view: DataView): number => {
  if (view.byteLength < 16 || view.getUint32(0) !== 0x74746366) return 0
  if (view.getUint32(8) === 0) throw new FontParseError("font collection holds no fonts")
  return view.getUint32(12)
}

const readTables = (view: DataView, base: number): TableDirectory => {
  if (view.byteLength < base + 12) throw new FontParseError("font file is too short for an sfnt header")
  const version = view.getUint32(base)
  // 0x00010000 = TrueType outlines, "OTTO" = CFF outlines; both carry the same metric tables.
  if (version !== 0x00010000 && version !== 0x4f54544f) {
    throw new FontParseError(`not a TrueType/OpenType font (sfnt version 0x${version.toString(16)})`)
  }
  const numTables = view.getUint16(base + 4)
  const tables: Record<string, { offset: number; length: number }> = {}
  for (let i = 0; i < numTables; i++) {
    const record = base + 12 + i * 16
    const tag = String.fromCharCode(
      view.getUint8(record),
      view.getUint8(record + 1),
      view.getUint8(record + 2),
      view.getUint8(record + 3)
    )
    const offset = view.getUint32(record + 8)
    const length = view.getUint32(record + 12)
    if (offset + length > view.byteLength) throw new FontParseError(`table ${tag} runs past the end of the file`)
    tables[tag] = { offset, length }
  }
  return tables
}

const requireTable = (tables: TableDirectory, tag: string) => {
  const table = tables[tag]
  if (table === undefined) throw new FontParseError(`font has no '${tag}' table`)
  return table
}

/** Code point → glyph id, from the best Unicode subtable (format 12 full range, else format 4 BMP). */
const readCmap = (view: DataView, cmapOffset: number): Map<number, number> => {
  const numSubtables = view.getUint16(cmapOffset + 2)
  let format4: number | undefined
  let format12: number | undefined
  for (let i = 0; i < numSubtables; i++) {
    const record = cmapOffset + 4 + i * 8
    const platform = view.getUint16(record)
    const encoding = view.getUint16(record + 2)
    const offset = cmapOffset + view.getUint32(record + 4)
    const format = view.getUint16(offset)
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10))
    if (!unicode) continue
    if (format === 12) format12 = offset
    else if (format === 4) format4 ??= offset
  }
  const map = new Map<number, number>()
  if (format12 !== undefined) {
    const groups = view.getUint32(format12 + 12)
    for (let g = 0; g < groups; g++) {
      const at = format12 + 16 + g * 12
      const start = view.getUint32(at)
      const end = view.getUint32(at + 4)
      const glyph = view.getUint32(at + 8)
      for (let cp = start; cp <= end; cp++) map.set(cp, glyph + (cp - start))
    }
    return map
  }
  if (format4 === undefined) throw new FontParseError("font has no Unicode cmap subtable (format 4 or 12)")
  const segCount = view.getUint16(format4 + 6) / 2
  const endCodes = format4 + 14
  const startCodes = endCodes + segCount * 2 + 2
  const idDeltas = startCodes + segCount * 2
  const idRangeOffsets = idDeltas + segCount * 2
  for (let s = 0; s < segCount; s++) {
    const end = view.getUint16(endCodes + s * 2)
    const start = view.getUint16(startCodes + s * 2)
    const delta = view.getInt16(idDeltas + s * 2)
    const rangeOffsetAt = idRangeOffsets + s * 2
    const rangeOffset = view.getUint16(rangeOffsetAt)
    for (let cp = start; cp <= end && cp !== 0xffff; cp++) {
      let glyph: number
      if (rangeOffset === 0) {
        glyph = (cp + delta) & 0xffff
      } else {
        const glyphAt = rangeOffsetAt + rangeOffset + (cp - start) * 2
        glyph = view.getUint16(glyphAt)
        if (glyph !== 0) glyph = (glyph + delta) & 0xffff
      }
      if (glyph !== 0) map.set(cp, glyph)
    }
  }
  return map
}

/**
 * Parse a TrueType/OpenType font's metric tables (the first font of a collection). Throws
 * `FontParseError` on a malformed file.
 */
export const parseFontMetrics = (bytes: Uint8Array): FontMetrics => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  try {
    const tables = readTables(view, firstFontOffset(view))
    const unitsPerEm = view.getUint16(requireTable(tables, "head").offset + 18)
    const numberOfHMetrics = view.getUint16(requireTable(tables, "hhea").offset + 34)
    const hmtx = requireTable(tables, "hmtx").offset
    const glyphs = readCmap(view, requireTable(tables, "cmap").offset)

    const os2 = tables["OS/2"]
    let capHeight = FALLBACK_CAP_HEIGHT
    if (os2 !== undefined && os2.length >= 90 && view.getUint16(os2.offset) >= 2) {
      const value = view.getInt16(os2.offset + 88)
      if (value > 0) capHeight = value / unitsPerEm
    }

    // Glyphs past numberOfHMetrics share the last advance (the hmtx "monospaced tail").
    const lastAdvance = view.getUint16(hmtx + (numberOfHMetrics - 1) * 4)
    const advances = new Map<number, number>()
    for (const [cp, glyph] of glyphs) {
      advances.set(cp, glyph < numberOfHMetrics ? view.getUint16(hmtx + glyph * 4) : lastAdvance)
    }
    return { unitsPerEm, capHeight, advances }
  } catch (error) {
    if (error instanceof FontParseError) throw error
    // A DataView RangeError: an offset inside a table pointed outside the file.
    throw new FontParseError(`malformed font: ${String(error)}`)
  }
}

/** Does the font draw this code point? */
export const hasGlyph = (font: FontMetrics, codePoint: number): boolean => font.advances.has(codePoint)

/** Advance width of `text` at font size 1 (so multiply by the pixel size). Unknown code points count as 0.6 em. */
export const textWidth = (font: FontMetrics, text: string): number => {
  let units = 0
  for (const ch of text) {
    const advance = font.advances.get(ch.codePointAt(0) ?? 0)
    units += advance ?? font.unitsPerEm * 0.6
  }
  return units / font.unitsPerEm
}
