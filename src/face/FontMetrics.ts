/**
 * A small TrueType reader: just enough of `cmap`, `hmtx`, `hhea`, `head` and `OS/2` to know
 * which code points a font draws and how wide a line of text is, without asking the
 * rasteriser. `KeyRenderer` uses it to fit labels (shrink, then ellipsize) in microseconds.
 *
 * Pure: bytes in, plain data out. Widths are advance sums without kerning, so they slightly
 * over-estimate, which is the safe side for fitting. The cmap is kept as its segments and
 * searched per code point: expanding it into a map of every code point cost start-up ~10 ms
 * and ~2 MiB of heap for the bundled fonts, while a face measures a few dozen characters.
 *
 * @since 0.1.0
 */

/** What `KeyRenderer` needs to know about one font face. */
export interface FontMetrics {
  /** Font units per em (from `head`). */
  readonly unitsPerEm: number
  /** Cap height as a fraction of the em, used to centre a line of capitals vertically. */
  readonly capHeight: number
  /** Advance width in font units of the glyph for a code point; `undefined` when the font has none. */
  readonly advance: (codePoint: number) => number | undefined
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

/** Code point → glyph id (0: none). */
type GlyphLookup = (codePoint: number) => number

/** The index of the first of `count` sorted values (read by `at`) that is ≥ `value`. */
const lowerBound = (count: number, at: (i: number) => number, value: number): number => {
  let lo = 0
  let hi = count
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (at(mid) < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Format 12 (full Unicode range): sorted groups of consecutive code points. */
const format12Lookup = (view: DataView, at: number): GlyphLookup => {
  const count = view.getUint32(at + 12)
  const groups = new Uint32Array(count * 3)
  for (let g = 0; g < count; g++) {
    const record = at + 16 + g * 12
    groups[g * 3] = view.getUint32(record)
    groups[g * 3 + 1] = view.getUint32(record + 4)
    groups[g * 3 + 2] = view.getUint32(record + 8)
  }
  return (cp) => {
    const g = lowerBound(count, (i) => groups[i * 3 + 1]!, cp)
    if (g === count || groups[g * 3]! > cp) return 0
    return groups[g * 3 + 2]! + (cp - groups[g * 3]!)
  }
}

/** Format 4 (BMP): segments sorted by end code; its bytes are copied so the file can go. */
const format4Lookup = (view: DataView, at: number): GlyphLookup => {
  const length = Math.min(view.getUint16(at + 2), view.byteLength - at)
  const table = new DataView(view.buffer.slice(view.byteOffset + at, view.byteOffset + at + length))
  const segCount = table.getUint16(6) / 2
  const endCodes = 14
  const startCodes = endCodes + segCount * 2 + 2
  const idDeltas = startCodes + segCount * 2
  const idRangeOffsets = idDeltas + segCount * 2
  return (cp) => {
    if (cp > 0xfffe) return 0
    const s = lowerBound(segCount, (i) => table.getUint16(endCodes + i * 2), cp)
    if (s === segCount) return 0
    const start = table.getUint16(startCodes + s * 2)
    if (start > cp) return 0
    const delta = table.getInt16(idDeltas + s * 2)
    const rangeOffsetAt = idRangeOffsets + s * 2
    const rangeOffset = table.getUint16(rangeOffsetAt)
    if (rangeOffset === 0) return (cp + delta) & 0xffff
    const glyphAt = rangeOffsetAt + rangeOffset + (cp - start) * 2
    if (glyphAt + 2 > table.byteLength) return 0
    const glyph = table.getUint16(glyphAt)
    return glyph === 0 ? 0 : (glyph + delta) & 0xffff
  }
}

/** The best Unicode subtable of `cmap`: format 12 (full range), else format 4 (BMP). */
const readCmap = (view: DataView, cmapOffset: number): GlyphLookup => {
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
  if (format12 !== undefined) return format12Lookup(view, format12)
  if (format4 === undefined) throw new FontParseError("font has no Unicode cmap subtable (format 4 or 12)")
  return format4Lookup(view, format4)
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
    const glyphOf = readCmap(view, requireTable(tables, "cmap").offset)

    const os2 = tables["OS/2"]
    let capHeight = FALLBACK_CAP_HEIGHT
    if (os2 !== undefined && os2.length >= 90 && view.getUint16(os2.offset) >= 2) {
      const value = view.getInt16(os2.offset + 88)
      if (value > 0) capHeight = value / unitsPerEm
    }

    // Glyphs past numberOfHMetrics share the last advance (the hmtx "monospaced tail").
    const advances = new Uint16Array(numberOfHMetrics)
    for (let g = 0; g < numberOfHMetrics; g++) advances[g] = view.getUint16(hmtx + g * 4)
    const lastAdvance = advances[numberOfHMetrics - 1]!
    const advance = (codePoint: number): number | undefined => {
      const glyph = glyphOf(codePoint)
      return glyph === 0 ? undefined : glyph < numberOfHMetrics ? advances[glyph] : lastAdvance
    }
    return { unitsPerEm, capHeight, advance }
  } catch (error) {
    if (error instanceof FontParseError) throw error
    // A DataView RangeError: an offset inside a table pointed outside the file.
    throw new FontParseError(`malformed font: ${String(error)}`)
  }
}

/** Does the font draw this code point? */
export const hasGlyph = (font: FontMetrics, codePoint: number): boolean => font.advance(codePoint) !== undefined

/** Advance width of `text` at font size 1 (so multiply by the pixel size). Unknown code points count as 0.6 em. */
export const textWidth = (font: FontMetrics, text: string): number => {
  let units = 0
  for (const ch of text) {
    const advance = font.advance(ch.codePointAt(0) ?? 0)
    units += advance ?? font.unitsPerEm * 0.6
  }
  return units / font.unitsPerEm
}
