/**
 * Face → pixels. A face becomes one SVG document (background, one big glyph from our own icon
 * set or an emoji, text, decorations) which resvg rasterises at the control's exact size with
 * the bundled fonts, plus a system font found through fontconfig for characters none of them
 * has (CJK). Renders are cached by (face, size) in a bounded LRU: a key's face is a pure
 * function of state, so most renders after the first are repeats (a mute toggling back, a
 * replug redrawing every key).
 *
 * Layout first, pixels second: `faceLayout` places every part of a face in boxes (glyph, text
 * lines, badge, value bar, overlays), `layoutSvg` draws those boxes. Tests check the boxes:
 * the overlays never cover the glyph or the text, and text stays readable.
 *
 * @since 0.1.0
 */
import type { Resvg, ResvgRenderOptions } from "@resvg/resvg-js"
import { Context, Effect, Layer, Schema } from "effect"
import { readFileSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import type { Face, PixelSize } from "./Face.ts"
import { type FontMetrics, hasGlyph, parseFontMetrics } from "./FontMetrics.ts"
import { ICON_GRID, ICON_STROKE, ICONS, SLASH_PATH } from "./icons.ts"
import {
  ALERT_COLOR,
  ALERT_EDGE,
  isHexColor,
  PENDING_COLOR,
  SCALE_MARK,
  SPEAKING_RING,
  TONE_COLORS
} from "./Palette.ts"
import { fontconfigLookup, type SystemFontLookup } from "./SystemFonts.ts"

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/**
 * RGBA pixels, `width * height * 4` bytes, row-major, top-left first. Cached renders are
 * shared between callers: treat `rgba` as read-only.
 */
export interface RenderedFace {
  readonly width: number
  readonly height: number
  readonly rgba: Uint8Array
}

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
    const advance = font?.metrics.advances.get(ch.codePointAt(0) ?? 0)
    width += font === undefined || advance === undefined ? 0.6 : advance / font.metrics.unitsPerEm
  }
  return width
}

/** The files of the fonts that draw `text` (what resvg must load for it). */
const fontsUsed = (chain: FontChain, text: string, into: Set<string>) => {
  const primary = chain.fonts[0]
  if (primary !== undefined) into.add(primary.file)
  for (const ch of text) {
    const font = fontFor(chain, ch.codePointAt(0) ?? 0)
    if (font !== undefined) into.add(font.file)
  }
}

/** The font-family list for a line: the chain's families, then any system family the text uses. */
const familyList = (chain: FontChain, text: string): string => {
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

// ---------------------------------------------------------------------------------------------
// layout
// ---------------------------------------------------------------------------------------------

/** A rectangle in pixels, top-left origin. */
export interface Box {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** Do two boxes overlap (touching edges do not count)? */
export const intersects = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height

/** One line of text, placed. `box` spans its cap height and its width. */
export interface PlacedLine {
  readonly role: "label" | "sublabel"
  readonly text: string
  readonly fontSize: number
  /** Cap height in px: how tall capitals are drawn. */
  readonly capHeight: number
  readonly box: Box
  readonly anchor: "start" | "middle"
  readonly color: string
  readonly families: string
}

/** Everything a face draws, placed; `layoutSvg` turns it into a document. */
export interface FaceLayout {
  readonly width: number
  readonly height: number
  readonly background: string
  readonly foreground: string
  /** The big glyph: an icon of our set, or a text glyph (an emoji). */
  readonly glyph?: { readonly box: Box } & (
    | { readonly _tag: "Icon"; readonly icon: NonNullable<Face["icon"]> }
    | { readonly _tag: "Text"; readonly text: string; readonly fontSize: number; readonly families: string }
  )
  readonly lines: ReadonlyArray<PlacedLine>
  readonly badge?: { readonly box: Box; readonly line: PlacedLine }
  /** `value` and `mark` are fractions of the bar's width. */
  readonly bar?: { readonly box: Box; readonly value: number; readonly mark?: number }
  /** A ring along the edge: someone speaking, a command waiting, a command failed. */
  readonly ring?: { readonly width: number; readonly kind: "speaking" | "pending" | "error" }
  /** The "!" of a failed command, in its corner. */
  readonly alert?: Box
  /** A user's picture filling the control (then there is no glyph nor text), as a data URL. */
  readonly image?: { readonly box: Box; readonly href: string }
  /** The font files the document's text needs. */
  readonly fontFiles: ReadonlyArray<string>
}

/** Faces at least this much wider than tall (LCD strip regions) put the glyph left of the text. */
const WIDE_ASPECT = 1.6
/**
 * Text sizes, as fractions of the face's short side, with floors in px: on a 72 px key a label
 * is 14 px (capitals 10 px tall) and shrinks to 13 px before it breaks into two lines; a
 * sublabel is 12 px and never smaller than 10.5 px.
 */
const LABEL = { max: 0.2, min: 0.15, floor: 13 }
const LABEL_ALONE = { max: 0.26, min: 0.16, floor: 13 }
const SUBLABEL = { max: 0.165, min: 0.14, floor: 10.5 }
const WIDE_LABEL = { max: 0.3, min: 0.2, floor: 13 }
const WIDE_SUBLABEL = { max: 0.22, min: 0.16, floor: 10.5 }
/** The glyph's largest size: icon alone, with one line, with two or more. */
const GLYPH_ALONE = 0.6
const GLYPH_WITH_TEXT = 0.56
const GLYPH_WITH_LINES = 0.5
/** Below this the glyph is too small to read: a wrapped label goes back to one cut line. */
const GLYPH_MIN = 0.32
/** Space between stacked lines, as a fraction of the upper line's size. */
const LINE_GAP = 0.3
/** A value is drawn to 1/1000: finer steps cannot differ in pixels and would only fill the cache. */
const VALUE_STEPS = 1000

const sizes = (s: number, spec: { max: number; min: number; floor: number }) => {
  const max = Math.max(spec.floor, s * spec.max)
  return { max, min: Math.min(max, Math.max(spec.floor, s * spec.min)) }
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, Math.round(v * VALUE_STEPS) / VALUE_STEPS))

/** The glyph's box: as large as allowed, centred in `region`, clear of every box in `keepOut`. */
const placeGlyph = (region: Box, maxSize: number, keepOut: ReadonlyArray<Box>, gap: number): Box | undefined => {
  // corners are round-ish and so are most glyphs: half the usual gap is enough
  const centred = (r: Box, g: number): Box => ({ x: r.x + (r.width - g) / 2, y: r.y + (r.height - g) / 2, width: g, height: g })
  const grown = keepOut.map((k) => ({ x: k.x - gap, y: k.y - gap, width: k.width + 2 * gap, height: k.height + 2 * gap }))
  const clear = (b: Box) => grown.every((k) => !intersects(b, k))
  // in place, shrinking until clear
  let inPlace: Box | undefined
  for (let g = Math.min(maxSize, region.width, region.height); g > 0; g -= 0.5) {
    const b = centred(region, g)
    if (clear(b)) {
      inPlace = b
      break
    }
  }
  // or moved down below whatever it would touch
  const below = Math.max(region.y, ...grown.map((k) => k.y + k.height))
  const lower: Box = { x: region.x, y: below, width: region.width, height: region.y + region.height - below }
  let moved: Box | undefined
  for (let g = Math.min(maxSize, lower.width, lower.height); g > 0; g -= 0.5) {
    const b = centred(lower, g)
    if (clear(b)) {
      moved = b
      break
    }
  }
  if (inPlace === undefined) return moved
  if (moved === undefined) return inPlace
  return moved.width > inPlace.width ? moved : inPlace
}

/** The pure core of the renderer: where everything of a face goes at a size. */
export const faceLayout = (fonts: Fonts, face: Face, size: PixelSize): FaceLayout => {
  const W = size.width
  const H = size.height
  const s = Math.min(W, H)
  const tone = TONE_COLORS[face.tone ?? "neutral"]
  const background = isHexColor(face.background) ? face.background : tone.background
  const foreground = isHexColor(face.foreground) ? face.foreground : tone.foreground
  const secondary = isHexColor(face.foreground) ? face.foreground : tone.secondary
  const wide = W / H >= WIDE_ASPECT
  const edge = Math.max(2, s * 0.045)
  const pad = edge + Math.max(1.5, s * 0.035)
  const gap = s * 0.04
  const files = new Set<string>()

  const label = face.label === undefined ? "" : sanitizeText(fonts.label, face.label)
  const sublabel = face.sublabel === undefined ? "" : sanitizeText(fonts.sublabel, face.sublabel)
  const glyphText = face.glyph === undefined ? "" : sanitizeText(fonts.glyph, face.glyph)
  const textGlyph = glyphText.length > 0 && glyphText !== REPLACEMENT_CHAR
  const hasGlyph = textGlyph || face.icon !== undefined
  const hasText = label.length > 0 || sublabel.length > 0

  // the corners, sitting on the edge ring: a failed command's "!" top-left (top-right on
  // strips, whose left is the glyph) and a badge top-right; glyph and text keep clear of both
  // (never so small that the mark stops reading as one: the Neo's 58 px strip)
  const corner = Math.max(11, s * 0.16)
  const inset = edge * 0.5
  const alertBox: Box = wide
    ? { x: W - inset - corner, y: inset, width: corner, height: corner }
    : { x: inset, y: inset, width: corner, height: corner }
  const keepOut: Array<Box> = [alertBox]

  let badge: FaceLayout["badge"]
  if (face.badge !== undefined) {
    const text = sanitizeText(fonts.label, face.badge)
    if (text.length > 0) {
      const h = Math.max(12, s * 0.18)
      const maxSize = h * 0.74
      const inner = fitText(fonts.label, text, Math.max(h, s * 0.32) - h * 0.5, maxSize, Math.min(maxSize, Math.max(8, h * 0.55)))
      const w = Math.max(h, inner.width + h * 0.5)
      const box: Box = wide
        ? { x: alertBox.x - gap - w, y: inset, width: w, height: h }
        : { x: W - inset - w, y: inset, width: w, height: h }
      const capHeight = inner.fontSize * fonts.label.fonts[0]!.metrics.capHeight
      fontsUsed(fonts.label, inner.text, files)
      badge = {
        box,
        line: {
          role: "label",
          text: inner.text,
          fontSize: inner.fontSize,
          capHeight,
          box: { x: box.x + (w - inner.width) / 2, y: box.y + (h - capHeight) / 2, width: inner.width, height: capHeight },
          anchor: "middle",
          color: background,
          families: familyList(fonts.label, inner.text)
        }
      }
      keepOut.push(box)
    }
  }

  // the value bar along the bottom; everything else sits above it
  let bottom = H - pad
  let bar: FaceLayout["bar"]
  if (face.value !== undefined && Number.isFinite(face.value)) {
    const barH = Math.max(3, s * 0.065)
    const box: Box = { x: pad, y: bottom - barH, width: W - 2 * pad, height: barH }
    const mark = face.mark !== undefined && Number.isFinite(face.mark) ? clamp01(face.mark) : undefined
    bar = { box, value: clamp01(face.value), ...(mark === undefined ? {} : { mark }) }
    bottom = box.y - gap * 1.25
  }

  // text: fitted lines, stacked
  const fitLines = (maxWidth: number, allowTwoLines: boolean): Array<{ role: "label" | "sublabel"; fitted: FittedText }> => {
    const out: Array<{ role: "label" | "sublabel"; fitted: FittedText }> = []
    if (label.length > 0) {
      const spec = wide ? WIDE_LABEL : hasGlyph ? LABEL : LABEL_ALONE
      const { max, min } = sizes(s, spec)
      for (const fitted of fitLabel(fonts.label, label, maxWidth, max, min, allowTwoLines)) out.push({ role: "label", fitted })
    }
    if (sublabel.length > 0) {
      const { max, min } = sizes(s, wide ? WIDE_SUBLABEL : SUBLABEL)
      out.push({ role: "sublabel", fitted: fitText(fonts.sublabel, sublabel, maxWidth, max, min) })
    }
    return out
  }
  const capOf = (role: "label" | "sublabel") => (role === "label" ? fonts.label : fonts.sublabel).fonts[0]!.metrics.capHeight
  const stackHeight = (lines: ReadonlyArray<{ role: "label" | "sublabel"; fitted: FittedText }>) =>
    lines.reduce((h, l, i) => h + l.fitted.fontSize * capOf(l.role) + (i > 0 ? (lines[i - 1]!.fitted.fontSize * LINE_GAP) : 0), 0)
  const place = (
    lines: ReadonlyArray<{ role: "label" | "sublabel"; fitted: FittedText }>,
    x: number,
    top: number,
    anchor: "start" | "middle"
  ): Array<PlacedLine> => {
    let y = top
    return lines.map((l, i) => {
      if (i > 0) y += lines[i - 1]!.fitted.fontSize * LINE_GAP
      const chain = l.role === "label" ? fonts.label : fonts.sublabel
      const capHeight = l.fitted.fontSize * capOf(l.role)
      const box: Box = { x: anchor === "middle" ? x - l.fitted.width / 2 : x, y, width: l.fitted.width, height: capHeight }
      y += capHeight
      fontsUsed(chain, l.fitted.text, files)
      return {
        role: l.role,
        text: l.fitted.text,
        fontSize: l.fitted.fontSize,
        capHeight,
        box,
        anchor,
        color: l.role === "label" || label.length === 0 ? foreground : secondary,
        families: familyList(chain, l.fitted.text)
      }
    })
  }

  let glyphBox: Box | undefined
  let lines: Array<PlacedLine> = []
  const top = pad
  if (wide) {
    // strip region: glyph at the left, text stacked beside it, clear of the right-hand corner
    const contentH = bottom - top
    const rightLimit = Math.min(...keepOut.map((k) => k.x)) - gap
    if (hasGlyph) {
      const g = hasText ? Math.min(contentH, W * 0.3) : Math.min(contentH, rightLimit - pad)
      glyphBox = hasText
        ? { x: pad, y: top + (contentH - g) / 2, width: g, height: g }
        : { x: pad + (rightLimit - pad - g) / 2, y: top + (contentH - g) / 2, width: g, height: g }
    }
    if (hasText) {
      // beside the glyph, or centred without one
      const x = glyphBox === undefined ? pad : glyphBox.x + glyphBox.width + gap * 1.5
      const fitted = fitLines(rightLimit - x, true)
      const h = stackHeight(fitted)
      lines = glyphBox === undefined
        ? place(fitted, (pad + rightLimit) / 2, top + (contentH - h) / 2, "middle")
        : place(fitted, x, top + (contentH - h) / 2, "start")
    }
  } else if (!hasText) {
    if (hasGlyph) glyphBox = placeGlyph({ x: pad, y: top, width: W - 2 * pad, height: bottom - top }, s * GLYPH_ALONE, keepOut, gap / 2)
  } else {
    const maxWidth = W - 2 * pad
    let fitted = fitLines(maxWidth, true)
    if (!hasGlyph) {
      // text alone: centred, pushed down if it would reach into a corner
      const h = stackHeight(fitted)
      const cornerBottom = Math.max(...keepOut.map((k) => k.y + k.height)) + gap
      const y = Math.max(cornerBottom, top + (bottom - top - h) / 2)
      lines = place(fitted, W / 2, Math.min(y, bottom - h), "middle")
    } else {
      const arrange = (f: typeof fitted) => {
        const textTop = bottom - stackHeight(f)
        const region: Box = { x: pad, y: top, width: W - 2 * pad, height: textTop - gap - top }
        const max = s * (f.length > 1 ? GLYPH_WITH_LINES : GLYPH_WITH_TEXT)
        return { textTop, glyph: placeGlyph(region, max, keepOut, gap / 2) }
      }
      let arranged = arrange(fitted)
      if ((arranged.glyph?.width ?? 0) < s * GLYPH_MIN && fitted.filter((l) => l.role === "label").length > 1) {
        fitted = fitLines(maxWidth, false)
        arranged = arrange(fitted)
      }
      glyphBox = arranged.glyph
      lines = place(fitted, W / 2, arranged.textTop, "middle")
    }
  }

  let glyph: FaceLayout["glyph"]
  if (glyphBox !== undefined) {
    if (textGlyph) {
      fontsUsed(fonts.glyph, glyphText, files)
      glyph = { box: glyphBox, _tag: "Text", text: glyphText, fontSize: glyphBox.height * 0.86, families: familyList(fonts.glyph, glyphText) }
    } else if (face.icon !== undefined) {
      glyph = { box: glyphBox, _tag: "Icon", icon: face.icon }
    }
  }

  const ring: FaceLayout["ring"] = face.overlay === "error"
    ? { width: edge, kind: "error" }
    : face.overlay === "pending"
    ? { width: edge, kind: "pending" }
    : face.highlight === true
    ? { width: edge, kind: "speaking" }
    : undefined

  return {
    width: W,
    height: H,
    background,
    foreground,
    ...(glyph === undefined ? {} : { glyph }),
    lines,
    ...(badge === undefined ? {} : { badge }),
    ...(bar === undefined ? {} : { bar }),
    ...(ring === undefined ? {} : { ring }),
    ...(face.overlay === "error" ? { alert: alertBox } : {}),
    fontFiles: [...files]
  }
}

// ---------------------------------------------------------------------------------------------
// drawing
// ---------------------------------------------------------------------------------------------

const n = (v: number) => (Math.round(v * 100) / 100).toString()

const textElement = (line: PlacedLine) => {
  const x = line.anchor === "middle" ? line.box.x + line.box.width / 2 : line.box.x
  const weight = line.role === "label" ? "bold" : "500"
  return `<text x="${n(x)}" y="${n(line.box.y + line.box.height)}" font-family="${escapeXml(line.families)}" ` +
    `font-weight="${weight}" font-size="${n(line.fontSize)}" fill="${line.color}" text-anchor="${line.anchor}">` +
    `${escapeXml(line.text)}</text>`
}

const iconElement = (icon: NonNullable<Face["icon"]>, box: Box, fg: string, bg: string): string => {
  const def = ICONS[icon]
  const slash = def.slash === true
    ? `<path d="${SLASH_PATH}" stroke="${bg}" stroke-width="${ICON_STROKE + 3}"/><path d="${SLASH_PATH}"/>`
    : ""
  return `<svg x="${n(box.x)}" y="${n(box.y)}" width="${n(box.width)}" height="${n(box.height)}" viewBox="0 0 ${ICON_GRID} ${ICON_GRID}">` +
    `<g color="${fg}" fill="none" stroke="currentColor" stroke-width="${ICON_STROKE}" stroke-linecap="round" stroke-linejoin="round">` +
    `${def.body}${slash}</g></svg>`
}

/** Draw a layout. */
export const layoutSvg = (layout: FaceLayout): string => {
  const { width: W, height: H, background: bg, foreground: fg } = layout
  const s = Math.min(W, H)
  const parts: Array<string> = [`<rect width="${W}" height="${H}" fill="${bg}"/>`]
  if (layout.image !== undefined) {
    const { box, href } = layout.image
    parts.push(
      `<image x="${n(box.x)}" y="${n(box.y)}" width="${n(box.width)}" height="${n(box.height)}" ` +
        `preserveAspectRatio="xMidYMid meet" href="${escapeXml(href)}"/>`
    )
  }
  const glyph = layout.glyph
  if (glyph?._tag === "Icon") parts.push(iconElement(glyph.icon, glyph.box, fg, bg))
  else if (glyph?._tag === "Text") {
    // emoji sit on the baseline with a small descent: this centres them in the box
    parts.push(
      `<text x="${n(glyph.box.x + glyph.box.width / 2)}" y="${n(glyph.box.y + glyph.box.height * 0.82)}" ` +
        `font-family="${escapeXml(glyph.families)}" font-weight="bold" font-size="${n(glyph.fontSize)}" fill="${fg}" ` +
        `text-anchor="middle">${escapeXml(glyph.text)}</text>`
    )
  }
  for (const line of layout.lines) parts.push(textElement(line))

  if (layout.bar !== undefined) {
    const { box, value, mark } = layout.bar
    const r = box.height / 2
    parts.push(`<rect x="${n(box.x)}" y="${n(box.y)}" width="${n(box.width)}" height="${n(box.height)}" rx="${n(r)}" fill="${fg}" fill-opacity="0.3"/>`)
    if (value > 0) {
      parts.push(
        `<rect x="${n(box.x)}" y="${n(box.y)}" width="${n(Math.max(box.height, box.width * value))}" height="${n(box.height)}" rx="${n(r)}" fill="${fg}"/>`
      )
    }
    if (mark !== undefined) {
      // a tick taller than the bar, edged in the background colour so it shows over the fill too
      const x = box.x + box.width * mark
      const over = box.height * 0.45
      parts.push(
        `<path d="M${n(x)} ${n(box.y - over)}V${n(box.y + box.height + over)}" stroke="${bg}" stroke-width="${n(Math.max(3, s * 0.045))}"/>` +
          `<path d="M${n(x)} ${n(box.y - over)}V${n(box.y + box.height + over)}" stroke="${SCALE_MARK}" stroke-width="${n(Math.max(1.5, s * 0.02))}"/>`
      )
    }
  }

  if (layout.ring !== undefined) {
    const w = layout.ring.width
    const rect = `x="${n(w / 2)}" y="${n(w / 2)}" width="${n(W - w)}" height="${n(H - w)}" rx="${n(s * 0.1)}" fill="none"`
    if (layout.ring.kind === "speaking") {
      parts.push(`<rect ${rect} stroke="${SPEAKING_RING}" stroke-width="${n(w)}"/>`)
    } else if (layout.ring.kind === "pending") {
      const dash = s * 0.09
      parts.push(`<rect ${rect} stroke="${PENDING_COLOR}" stroke-width="${n(w)}" stroke-dasharray="${n(dash)} ${n(dash * 0.6)}"/>`)
    } else {
      parts.push(
        `<rect ${rect} stroke="${ALERT_COLOR}" stroke-width="${n(w)}"/>`,
        `<rect x="${n(w + 0.5)}" y="${n(w + 0.5)}" width="${n(W - 2 * w - 1)}" height="${n(H - 2 * w - 1)}" rx="${n(s * 0.08)}" ` +
          `fill="none" stroke="${ALERT_EDGE}" stroke-width="1"/>`
      )
    }
  }
  if (layout.badge !== undefined) {
    const { box, line } = layout.badge
    parts.push(
      `<rect x="${n(box.x)}" y="${n(box.y)}" width="${n(box.width)}" height="${n(box.height)}" rx="${n(box.height / 2)}" fill="${fg}"/>`,
      textElement(line)
    )
  }

  if (layout.alert !== undefined) parts.push(alertMark(layout.alert))

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join("")}</svg>`
}

/** The Stream Deck alert sign: an amber triangle with a black "!", edged in black so it shows on any key. */
const alertMark = (box: Box): string => {
  const { x, y, width: w, height: h } = box
  const stroke = Math.max(1, w * 0.08)
  const mark = Math.max(1.5, w * 0.12)
  const cx = x + w / 2
  return `<path d="M${n(cx)} ${n(y + stroke)}L${n(x + w - stroke)} ${n(y + h - stroke)}H${n(x + stroke)}Z" fill="${ALERT_COLOR}" ` +
    `stroke="${ALERT_EDGE}" stroke-width="${n(stroke)}" stroke-linejoin="round"/>` +
    `<path d="M${n(cx)} ${n(y + h * 0.38)}V${n(y + h * 0.64)}" stroke="${ALERT_EDGE}" stroke-width="${n(mark)}" stroke-linecap="round"/>` +
    `<path d="M${n(cx)} ${n(y + h * 0.8)}h.01" stroke="${ALERT_EDGE}" stroke-width="${n(mark * 1.1)}" stroke-linecap="round"/>`
}

/** The SVG document for a face at a size. */
export const faceSvg = (fonts: Fonts, face: Face, size: PixelSize): string => layoutSvg(faceLayout(fonts, face, size))

// ---------------------------------------------------------------------------------------------
// cache
// ---------------------------------------------------------------------------------------------

/**
 * At most this many renders are kept. A deck shows a few states per key (mute on/off,
 * pending, error) and volume keys step through values: 512 covers every state of several
 * 32-key decks plus recent volume steps, while a full cache of 96 px faces is ~18 MB.
 */
export const RENDER_CACHE_MAX_ENTRIES = 512
/** And at most this many bytes of pixels, since LCD regions are far larger than keys (200×100 = 80 kB). */
export const RENDER_CACHE_MAX_BYTES = 48 * 1024 * 1024

/**
 * A stable key for (face, size): the known fields in a fixed order, so property order and
 * unknown extra fields do not matter.
 */
export const faceKey = (face: Face, size: PixelSize): string =>
  JSON.stringify([
    face.icon,
    face.glyph,
    face.tone,
    face.label,
    face.sublabel,
    face.badge,
    face.value === undefined ? undefined : Math.round(face.value * VALUE_STEPS),
    face.mark === undefined ? undefined : Math.round(face.mark * VALUE_STEPS),
    face.highlight === true,
    face.overlay,
    face.background,
    face.foreground,
    face.image,
    size.width,
    size.height
  ])

/** A least-recently-used map bounded by entry count and total bytes (Map keeps insertion order). */
class RenderCache {
  private readonly entries = new Map<string, RenderedFace>()
  private bytes = 0
  get(key: string): RenderedFace | undefined {
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, hit)
    }
    return hit
  }
  set(key: string, value: RenderedFace): void {
    // replacing an entry must not count its bytes twice, or the cache would shrink to nothing
    this.bytes -= this.entries.get(key)?.rgba.byteLength ?? 0
    this.entries.delete(key)
    this.entries.set(key, value)
    this.bytes += value.rgba.byteLength
    while (this.entries.size > RENDER_CACHE_MAX_ENTRIES || this.bytes > RENDER_CACHE_MAX_BYTES) {
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      const evicted = this.entries.get(oldest.value)
      this.entries.delete(oldest.value)
      this.bytes -= evicted?.rgba.byteLength ?? 0
    }
  }
}

// ---------------------------------------------------------------------------------------------
// pictures from the user's files
// ---------------------------------------------------------------------------------------------

/** A picture larger than this is refused: a key is at most a few hundred pixels wide. */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024

const sniffImage = (bytes: Uint8Array): "image/png" | "image/jpeg" | "image/svg+xml" | undefined => {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return "image/png"
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg"
  const head = new TextDecoder().decode(bytes.subarray(0, 1024)).trimStart()
  if (/^(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!DOCTYPE[^>]*>\s*)?<svg[\s>]/i.test(head)) return "image/svg+xml"
  return undefined
}

/**
 * Picture files as data URLs, read when first drawn and again when the file changed (its
 * size or modification time), so an edited picture shows without a restart.
 */
class ImageFiles {
  private readonly entries = new Map<string, { readonly stamp: string; readonly href: string }>()
  /** What changes when the file does (for cache keys): its size and modification time. */
  stamp(path: string): string {
    try {
      const stat = statSync(path)
      return `${stat.size}/${stat.mtimeMs}`
    } catch {
      return "unreadable"
    }
  }
  load(path: string): string | { readonly problem: string } {
    let stamp: string
    try {
      const stat = statSync(path)
      if (!stat.isFile()) return { problem: `image ${path}: not a file` }
      if (stat.size > MAX_IMAGE_BYTES) return { problem: `image ${path}: ${stat.size} bytes is too large (at most ${MAX_IMAGE_BYTES})` }
      stamp = `${stat.size}/${stat.mtimeMs}`
    } catch (error) {
      const code = (error as { readonly code?: string }).code
      return { problem: code === "ENOENT" ? `image ${path}: no such file` : `image ${path}: cannot be read (${code ?? String(error)})` }
    }
    const known = this.entries.get(path)
    if (known !== undefined && known.stamp === stamp) return known.href
    let bytes: Uint8Array
    try {
      bytes = readFileSync(path)
    } catch (error) {
      return { problem: `image ${path}: cannot be read (${(error as { readonly code?: string }).code ?? String(error)})` }
    }
    const type = sniffImage(bytes)
    if (type === undefined) return { problem: `image ${path}: not a PNG, JPEG or SVG file` }
    const href = `data:${type};base64,${Buffer.from(bytes).toString("base64")}`
    this.entries.set(path, { stamp, href })
    return href
  }
}

/** The layout of a face with a picture: the picture fills it, only the overlays stay on top. */
const withImage = (layout: FaceLayout, href: string): FaceLayout => {
  const { badge: _badge, bar: _bar, glyph: _glyph, ...rest } = layout
  // the whole control, whatever the overlay: a ring coming and going must not resize it
  return { ...rest, lines: [], fontFiles: [], image: { box: { x: 0, y: 0, width: layout.width, height: layout.height }, href } }
}

// ---------------------------------------------------------------------------------------------
// constructors
// ---------------------------------------------------------------------------------------------

/** The largest control we draw (the Stream Deck + LCD strip is 800×100); anything past this is a bug. */
const MAX_DIMENSION = 4096

const checkSize = (size: PixelSize): PixelSize => {
  const ok = (v: number) => Number.isInteger(v) && v >= 1 && v <= MAX_DIMENSION
  if (!ok(size.width) || !ok(size.height)) {
    throw new RangeError(`KeyRenderer: size must be whole pixels in 1..${MAX_DIMENSION}, got ${size.width}×${size.height}`)
  }
  return size
}

const requireNative = createRequire(import.meta.url)
let resvgClass: typeof Resvg | undefined

/**
 * resvg's class, its native binding loaded on the first call: starting the daemon or
 * importing the library does not pay for it (~15 ms) until something is drawn.
 */
export const loadResvg = (): typeof Resvg =>
  resvgClass ??= (requireNative("@resvg/resvg-js") as typeof import("@resvg/resvg-js")).Resvg

/**
 * Build a renderer from font files (the bundled ones for `KeyRenderer.layer`); `lookup` finds
 * system fonts for characters those lack (fontconfig by default).
 */
export const makeKeyRenderer = (files: FontFiles, lookup: SystemFontLookup = fontconfigLookup()) =>
  Effect.gen(function*() {
    const fonts = yield* loadFonts(files, lookup)
    // resvg reads and parses every font file it is given on each render (it keeps no font
    // cache between documents), which is most of a render's cost: give it only the fonts
    // this document's text uses.
    const optionsFor = (layout: FaceLayout): ResvgRenderOptions => ({
      font: { loadSystemFonts: false, fontFiles: [...layout.fontFiles], defaultFontFamily: FONT_FAMILY },
      logLevel: "off"
    })
    const cache = new RenderCache()
    const images = new ImageFiles()
    /** The layout of a face, its picture in place when the file is good; else why not, to log. */
    const layoutOf = (face: Face, size: PixelSize): { layout: FaceLayout; imageProblem?: string } => {
      const checked = checkSize(size)
      if (face.image === undefined) return { layout: faceLayout(fonts, face, checked) }
      const loaded = images.load(face.image)
      const { image: _, ...own } = face
      const layout = faceLayout(fonts, own, checked)
      if (typeof loaded !== "string") return { layout, imageProblem: loaded.problem }
      return { layout: withImage(layout, loaded) }
    }
    const rasterize = (layout: FaceLayout) => new (loadResvg())(layoutSvg(layout), optionsFor(layout)).render()
    /** Each bad file is told once per problem, not on every render. */
    const told = new Set<string>()
    const tell = (problem: string | undefined) =>
      problem === undefined || told.has(problem)
        ? Effect.void
        : Effect.suspend(() => {
          told.add(problem)
          return Effect.logWarning(`${problem}; the key shows its own face instead`)
        })

    return KeyRenderer.of({
      render: (face, size) =>
        Effect.suspend(() => {
          // a picture's file may change under the same path: its stamp is part of the key
          const key = face.image === undefined ? faceKey(face, size) : `${faceKey(face, size)}${images.stamp(face.image)}`
          const hit = cache.get(key)
          if (hit !== undefined) return Effect.succeed(hit)
          const { imageProblem, layout } = layoutOf(face, size)
          const image = rasterize(layout)
          const pixels = image.pixels
          const rendered: RenderedFace = {
            width: image.width,
            height: image.height,
            rgba: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)
          }
          // a bad file is not cached: fixed, it shows at the next render
          if (imageProblem === undefined) cache.set(key, rendered)
          return Effect.as(tell(imageProblem), rendered)
        }),
      renderPng: (face, size) =>
        Effect.suspend(() => {
          const { imageProblem, layout } = layoutOf(face, size)
          const png = rasterize(layout).asPng()
          return Effect.as(tell(imageProblem), new Uint8Array(png.buffer, png.byteOffset, png.byteLength))
        }),
      svg: (face, size) => Effect.sync(() => faceSvg(fonts, face, checkSize(size)))
    })
  })

export class KeyRenderer extends Context.Service<KeyRenderer, {
  /** Render a face at a size; cached by (face, size). */
  readonly render: (face: Face, size: PixelSize) => Effect.Effect<RenderedFace>
  /** Render a face as a PNG file's bytes (previews, docs). Not cached. */
  readonly renderPng: (face: Face, size: PixelSize) => Effect.Effect<Uint8Array>
  /** The SVG document a face renders from (previews, debugging). */
  readonly svg: (face: Face, size: PixelSize) => Effect.Effect<string>
}>()("deckcord/KeyRenderer") {
  /**
   * The resvg renderer with the bundled fonts, fontconfig's fonts as a fallback, and a
   * bounded render cache. Fails with `FontLoadError` when a bundled font is missing.
   */
  static readonly layer: Layer.Layer<KeyRenderer, FontLoadError> = Layer.effect(
    KeyRenderer,
    makeKeyRenderer(FONT_FILES)
  )
}
