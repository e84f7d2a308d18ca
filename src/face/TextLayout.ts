/**
 * Fonts and text for faces: the bundled fonts and the system fallbacks for what they lack,
 * measuring text in the font that draws each character, making text drawable (NFKC, dropped
 * modifiers, a replacement for what no font has), and fitting a line or two into a width.
 * Pure functions of the loaded fonts; `FaceLayout` places their results.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { type FontMetrics, hasGlyph, parseFontMetrics } from "./FontMetrics.ts"
import type { SystemFontLookup } from "./SystemFonts.ts"

/** The bundled fonts could not be read or parsed: the installation is incomplete. */
export class FontLoadError extends Schema.TaggedError<FontLoadError>()("FontLoadError", {
  path: Schema.String,
  message: Schema.String
}) {}

// ---------------------------------------------------------------------------------------------
// fonts
// ---------------------------------------------------------------------------------------------

/** The family names inside the bundled font files. */
export const FONT_FAMILY = "Roboto Condensed"
const DEJAVU_FAMILY = "DejaVu Sans"
const EMOJI_FAMILY = "Noto Emoji"

/**
 * The bundled fonts. Both src/face (tests) and dist/face (built) sit two levels below
 * the package root, where `assets/` lives. Roboto Condensed carries the text (narrow, so
 * labels can be large on a 72 px key), DejaVu Sans covers the scripts and symbols Roboto
 * lacks, Noto Emoji draws emoji as one-colour glyphs in the face's colour.
 */
export const FONT_FILES = {
  label: fileURLToPath(new URL("../../assets/fonts/RobotoCondensed-Bold.ttf", import.meta.url)),
  sublabel: fileURLToPath(new URL("../../assets/fonts/RobotoCondensed-Medium.ttf", import.meta.url)),
  fallbackBold: fileURLToPath(new URL("../../assets/fonts/DejaVuSans-Bold.ttf", import.meta.url)),
  fallback: fileURLToPath(new URL("../../assets/fonts/DejaVuSans.ttf", import.meta.url)),
  emoji: fileURLToPath(new URL("../../assets/fonts/NotoEmoji-Bold.ttf", import.meta.url))
} as const
export type FontFiles = { readonly [K in keyof typeof FONT_FILES]: string }

/** One loaded font file. */
export interface LoadedFont {
  readonly file: string
  readonly family: string
  readonly metrics: FontMetrics
}

/** The fonts one kind of text is drawn with, first choice first, then a system font per code point. */
export interface FontChain {
  readonly fonts: ReadonlyArray<LoadedFont>
  readonly system: (codePoint: number) => LoadedFont | undefined
}

/** The three kinds of text a face has. */
export interface Fonts {
  readonly label: FontChain
  readonly sublabel: FontChain
  /** A face's `glyph` (an emoji in place of the icon): emoji font first. */
  readonly glyph: FontChain
}

const loadFont = (path: string, family: string) =>
  Effect.try({
    try: (): LoadedFont => ({ file: path, family, metrics: parseFontMetrics(readFileSync(path)) }),
    catch: (cause) =>
      new FontLoadError({
        path,
        message: `cannot load the bundled font ${path} (${String(cause)}); reinstall deckcord so assets/fonts is present`
      })
  })

/**
 * System fallback fonts, looked up once per code point and parsed once per file. A font
 * fontconfig offers that does not actually draw the code point is no fallback.
 */
const systemFallbacks = (lookup: SystemFontLookup): ((codePoint: number) => LoadedFont | undefined) => {
  const byCodePoint = new Map<number, LoadedFont | undefined>()
  const byFile = new Map<string, LoadedFont | undefined>()
  return (codePoint) => {
    if (byCodePoint.has(codePoint)) return byCodePoint.get(codePoint)
    // a font found for a neighbour usually covers this one too (the rest of a CJK name)
    for (const font of byFile.values()) {
      if (font !== undefined && hasGlyph(font.metrics, codePoint)) {
        byCodePoint.set(codePoint, font)
        return font
      }
    }
    const found = lookup(codePoint)
    let font: LoadedFont | undefined
    if (found !== undefined) {
      if (!byFile.has(found.file)) {
        try {
          byFile.set(found.file, { file: found.file, family: found.family, metrics: parseFontMetrics(readFileSync(found.file)) })
        } catch {
          byFile.set(found.file, undefined) // unreadable or not a font we can measure: not a fallback
        }
      }
      const candidate = byFile.get(found.file)
      if (candidate !== undefined && hasGlyph(candidate.metrics, codePoint)) font = candidate
    }
    byCodePoint.set(codePoint, font)
    return font
  }
}

/** Load the bundled fonts; `lookup` finds system fonts for what they lack. */
export const loadFonts = (files: FontFiles, lookup: SystemFontLookup) =>
  Effect.gen(function*() {
    const label = yield* loadFont(files.label, FONT_FAMILY)
    const sublabel = yield* loadFont(files.sublabel, FONT_FAMILY)
    const fallbackBold = yield* loadFont(files.fallbackBold, DEJAVU_FAMILY)
    const fallback = yield* loadFont(files.fallback, DEJAVU_FAMILY)
    const emoji = yield* loadFont(files.emoji, EMOJI_FAMILY)
    const system = systemFallbacks(lookup)
    const fonts: Fonts = {
      label: { fonts: [label, fallbackBold, emoji], system },
      sublabel: { fonts: [sublabel, fallback, emoji], system },
      glyph: { fonts: [emoji, fallbackBold, label], system }
    }
    return fonts
  })

/** The font that draws a code point, if any. */
export const fontFor = (chain: FontChain, codePoint: number): LoadedFont | undefined =>
  chain.fonts.find((f) => hasGlyph(f.metrics, codePoint)) ?? chain.system(codePoint)

/** Advance width of `text` at font size 1, each character measured in the font that draws it. */
export const chainWidth = (chain: FontChain, text: string): number => {
  let width = 0
  for (const ch of text) {
    const font = fontFor(chain, ch.codePointAt(0) ?? 0)
    const advance = font?.metrics.advance(ch.codePointAt(0) ?? 0)
    width += font === undefined || advance === undefined ? 0.6 : advance / font.metrics.unitsPerEm
  }
  return width
}

/** The files of the fonts that draw `text` (what resvg must load for it). */
export const fontsUsed = (chain: FontChain, text: string, into: Set<string>) => {
  const primary = chain.fonts[0]
  if (primary !== undefined) into.add(primary.file)
  for (const ch of text) {
    const font = fontFor(chain, ch.codePointAt(0) ?? 0)
    if (font !== undefined) into.add(font.file)
  }
}

/** The font-family list for a line: the chain's families, then any system family the text uses. */
export const familyList = (chain: FontChain, text: string): string => {
  const families: Array<string> = []
  const add = (family: string) => {
    if (!families.includes(family)) families.push(family)
  }
  for (const font of chain.fonts) add(font.family)
  for (const ch of text) {
    const font = fontFor(chain, ch.codePointAt(0) ?? 0)
    if (font !== undefined) add(font.family)
  }
  return families.map((f) => `'${f.replace(/'/g, "")}'`).join(", ")
}

// ---------------------------------------------------------------------------------------------
// text
// ---------------------------------------------------------------------------------------------

/** Shown in place of a character no font can draw (instead of a tofu box). */
export const REPLACEMENT_CHAR = "?"
const ELLIPSIS = "…"

/** Code points that only modify their neighbour (emoji joiners, variation selectors, skin tones, tags). */
const isInvisibleModifier = (cp: number) =>
  cp === 0x200c || cp === 0x200d || cp === 0x20e3 || (cp >= 0xfe00 && cp <= 0xfe0f) ||
  (cp >= 0x1f3fb && cp <= 0x1f3ff) || (cp >= 0xe0000 && cp <= 0xe01ef)

const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u
const COMBINING_MARK = /\p{M}/u

/**
 * Make `text` drawable with `chain`: NFKC first (Discord's "fancy" letters such as 𝓐 or
 * fullwidth Ａ become plain A), modifiers that only join or tint emoji are dropped, a
 * character no font draws loses its accent if that helps, an emoji no font draws is dropped,
 * and anything else missing becomes `REPLACEMENT_CHAR`. Text that had visible characters
 * never comes back empty.
 */
export const sanitizeText = (chain: FontChain, text: string): string => {
  const normal = text.normalize("NFKC").replace(/\s+/g, " ")
  const drawable = (c: string) => fontFor(chain, c.codePointAt(0) ?? 0) !== undefined
  let out = ""
  for (const ch of normal) {
    const cp = ch.codePointAt(0) ?? 0
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue // control characters
    if (isInvisibleModifier(cp)) continue
    if (drawable(ch)) {
      out += ch
    } else if (COMBINING_MARK.test(ch)) {
      continue
    } else if (PICTOGRAPHIC.test(ch)) {
      out += " "
    } else {
      const base = ch.normalize("NFD").replace(/\p{M}/gu, "")
      out += base.length > 0 && [...base].every(drawable) ? base : REPLACEMENT_CHAR
    }
  }
  out = out.replace(/ {2,}/g, " ").trim()
  return out.length === 0 && normal.trim().length > 0 ? REPLACEMENT_CHAR : out
}

/** A line of text fitted into a width: its (possibly ellipsized) text, font size and width in px. */
export interface FittedText {
  readonly text: string
  readonly fontSize: number
  readonly width: number
}

/** The largest size ≤ `maxSize` at which `text` fits `maxWidth` (quarter-pixel steps keep cache keys few). */
const sizeToFit = (chain: FontChain, text: string, maxWidth: number, maxSize: number): number => {
  const unit = chainWidth(chain, text)
  return unit === 0 ? maxSize : Math.min(maxSize, Math.floor((maxWidth / unit) * 4) / 4)
}

/** `text` cut to fit `maxWidth` at `size`, ending in "…". */
const ellipsize = (chain: FontChain, text: string, maxWidth: number, size: number): FittedText => {
  const chars = [...text]
  let lo = 0
  let hi = chars.length
  // longest prefix p with width(p + "…") ≤ maxWidth
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    const candidate = chars.slice(0, mid).join("").trimEnd() + ELLIPSIS
    if (chainWidth(chain, candidate) * size <= maxWidth) lo = mid
    else hi = mid - 1
  }
  const cut = chars.slice(0, lo).join("").trimEnd() + ELLIPSIS
  return { text: cut, fontSize: size, width: chainWidth(chain, cut) * size }
}

/**
 * Fit one line: the largest font size ≤ `maxSize` at which it fits `maxWidth`; below
 * `minSize` it stays at `minSize` and is cut with "…".
 */
export const fitText = (
  chain: FontChain,
  text: string,
  maxWidth: number,
  maxSize: number,
  minSize: number
): FittedText => {
  const size = sizeToFit(chain, text, maxWidth, maxSize)
  if (size >= minSize) return { text, fontSize: size, width: chainWidth(chain, text) * size }
  return ellipsize(chain, text, maxWidth, minSize)
}

/**
 * Fit a label on one line, or on two broken at a space when one line would have to go below
 * `minSize` ("Voice activity" on a 72 px key). Both lines share one size; a second line that
 * still does not fit is cut with "…".
 */
export const fitLabel = (
  chain: FontChain,
  text: string,
  maxWidth: number,
  maxSize: number,
  minSize: number,
  allowTwoLines: boolean
): ReadonlyArray<FittedText> => {
  const one = fitText(chain, text, maxWidth, maxSize, minSize)
  if (!one.text.endsWith(ELLIPSIS) || one.text === text || !allowTwoLines) return [one]
  const words = text.split(" ")
  if (words.length < 2) return [one]
  const splits = words.slice(1).map((_, i) => ({ first: words.slice(0, i + 1).join(" "), second: words.slice(i + 1).join(" ") }))
  const sizeOf = (split: { first: string; second: string }) =>
    Math.min(sizeToFit(chain, split.first, maxWidth, maxSize), sizeToFit(chain, split.second, maxWidth, maxSize))
  // the break that lets both lines be largest; if none fits both, the longest first line that
  // fits, with the rest cut ("The Extremely" / "Long Voice Ch…")
  const whole = splits.filter((sp) => sizeOf(sp) >= minSize).sort((x, y) => sizeOf(y) - sizeOf(x))[0]
  const split = whole ?? splits.filter((sp) => chainWidth(chain, sp.first) * minSize <= maxWidth).at(-1)
  if (split === undefined) return [one]
  const size = Math.max(minSize, sizeOf(split))
  const line = (t: string): FittedText =>
    chainWidth(chain, t) * size <= maxWidth + 0.01 ? { text: t, fontSize: size, width: chainWidth(chain, t) * size } : ellipsize(chain, t, maxWidth, size)
  return [line(split.first), line(split.second)]
}

/** Escape the five XML special characters for text content and attribute values. */
export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "\"" ? "&quot;" : "&apos;"
  )
