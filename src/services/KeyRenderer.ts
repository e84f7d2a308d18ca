/**
 * Face → pixels. A face becomes one SVG document (background, icon from our own set, text,
 * decorations) which resvg rasterises at the control's exact size with only the bundled
 * DejaVu fonts, so a face renders identically on every machine. Renders are cached by
 * (face, size) in a bounded LRU: a key's face is a pure function of state, so most renders
 * after the first are repeats (a mute toggling back, a replug redrawing every key).
 *
 * @since 0.1.0
 */
import type { Resvg, ResvgRenderOptions } from "@resvg/resvg-js"
import { Context, Effect, Layer, Schema } from "effect"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import type { Face, PixelSize, Tone } from "./Face.ts"
import { type FontMetrics, hasGlyph, parseFontMetrics, textWidth } from "./FontMetrics.ts"
import { ICON_GRID, ICON_STROKE, ICONS, SLASH_PATH } from "./icons.ts"

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

export class KeyRenderer extends Context.Service<KeyRenderer, {
  /** Render a face at a size; cached by (face, size). */
  readonly render: (face: Face, size: PixelSize) => Effect.Effect<RenderedFace>
  /** Render a face as a PNG file's bytes (previews, docs). Not cached. */
  readonly renderPng: (face: Face, size: PixelSize) => Effect.Effect<Uint8Array>
  /** The SVG document a face renders from (previews, debugging). */
  readonly svg: (face: Face, size: PixelSize) => Effect.Effect<string>
}>()("deckcord/KeyRenderer") {
  /** The resvg renderer with the bundled DejaVu fonts and a bounded render cache. */
  static readonly layer: Layer.Layer<KeyRenderer> = Layer.effect(
    KeyRenderer,
    Effect.suspend(() => makeKeyRenderer(FONT_FILES)).pipe(Effect.orDie)
  )
}

// ---------------------------------------------------------------------------------------------
// fonts
// ---------------------------------------------------------------------------------------------

/** The family name inside the bundled TTFs. */
export const FONT_FAMILY = "DejaVu Sans"

/**
 * The bundled fonts. Both src/services (tests) and dist/services (built) sit two levels below
 * the package root, where `assets/` lives.
 */
export const FONT_FILES = {
  bold: fileURLToPath(new URL("../../assets/fonts/DejaVuSans-Bold.ttf", import.meta.url)),
  regular: fileURLToPath(new URL("../../assets/fonts/DejaVuSans.ttf", import.meta.url))
} as const

interface Fonts {
  readonly bold: FontMetrics
  readonly regular: FontMetrics
}

const loadFont = (path: string) =>
  Effect.try({
    try: () => parseFontMetrics(readFileSync(path)),
    catch: (cause) =>
      new FontLoadError({
        path,
        message: `cannot load the bundled font ${path} (${String(cause)}); reinstall deckcord so assets/fonts is present`
      })
  })

// ---------------------------------------------------------------------------------------------
// text
// ---------------------------------------------------------------------------------------------

/** Shown in place of a character the font cannot draw (instead of a tofu box). */
export const REPLACEMENT_CHAR = "?"
const ELLIPSIS = "…"

/** Code points that only modify their neighbour (emoji joiners, variation selectors, skin tones, tags). */
const isInvisibleModifier = (cp: number) =>
  cp === 0x200c || cp === 0x200d || cp === 0x20e3 || (cp >= 0xfe00 && cp <= 0xfe0f) ||
  (cp >= 0x1f3fb && cp <= 0x1f3ff) || (cp >= 0xe0000 && cp <= 0xe01ef)

const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u
const COMBINING_MARK = /\p{M}/u

/**
 * Make `text` drawable with `font`: NFKC first (Discord's "fancy" letters such as 𝓐 or
 * fullwidth Ａ become plain A), then emoji are dropped (decoration), accented letters the
 * font lacks lose their accent, and any other missing character becomes `REPLACEMENT_CHAR`.
 * Text that had visible characters never comes back empty.
 */
export const sanitizeText = (font: FontMetrics, text: string): string => {
  const normal = text.normalize("NFKC").replace(/\s+/g, " ")
  let out = ""
  for (const ch of normal) {
    const cp = ch.codePointAt(0) ?? 0
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue // control characters
    if (hasGlyph(font, cp)) {
      out += ch
    } else if (isInvisibleModifier(cp) || COMBINING_MARK.test(ch)) {
      continue
    } else if (PICTOGRAPHIC.test(ch)) {
      out += " "
    } else {
      const base = ch.normalize("NFD").replace(/\p{M}/gu, "")
      out += base.length > 0 && [...base].every((b) => hasGlyph(font, b.codePointAt(0) ?? 0)) ? base : REPLACEMENT_CHAR
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

/**
 * Fit one line: the largest font size ≤ `maxSize` at which it fits `maxWidth`; below
 * `minSize` it stays at `minSize` and is cut with "…".
 */
export const fitText = (
  font: FontMetrics,
  text: string,
  maxWidth: number,
  maxSize: number,
  minSize: number
): FittedText => {
  const unit = textWidth(font, text)
  if (unit === 0) return { text, fontSize: maxSize, width: 0 }
  const fitting = Math.floor((maxWidth / unit) * 4) / 4 // quarter-pixel steps keep cache keys few
  if (fitting >= minSize) {
    const fontSize = Math.min(maxSize, fitting)
    return { text, fontSize, width: unit * fontSize }
  }
  const chars = [...text]
  let lo = 0
  let hi = chars.length
  // longest prefix p with width(p + "…") ≤ maxWidth
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    const candidate = chars.slice(0, mid).join("").trimEnd() + ELLIPSIS
    if (textWidth(font, candidate) * minSize <= maxWidth) lo = mid
    else hi = mid - 1
  }
  const cut = chars.slice(0, lo).join("").trimEnd() + ELLIPSIS
  return { text: cut, fontSize: minSize, width: textWidth(font, cut) * minSize }
}

/** Escape the five XML special characters for text content and attribute values. */
export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "\"" ? "&quot;" : "&apos;"
  )

// ---------------------------------------------------------------------------------------------
// colours
// ---------------------------------------------------------------------------------------------

/** Discord's palette, one background/foreground pair per tone. */
export const TONE_COLORS: { readonly [T in Tone]: { readonly background: string; readonly foreground: string } } = {
  neutral: { background: "#313338", foreground: "#F2F3F5" },
  active: { background: "#3BA55C", foreground: "#FFFFFF" },
  muted: { background: "#ED4245", foreground: "#FFFFFF" },
  warning: { background: "#F0B232", foreground: "#1E1F22" },
  offline: { background: "#1E1F22", foreground: "#80848E" }
}
/** The "someone is speaking" ring: Discord's green, white where the face itself is green. */
const SPEAKING_RING = "#3BA55C"
const SPEAKING_RING_ON_GREEN = "#FFFFFF"
const ERROR_RED = "#ED4245"
const BLURPLE = "#5865F2"

const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/
/** A user's colour override, if it is a valid "#rgb"/"#rrggbb" (anything else could break the SVG). */
const validColor = (color: string | undefined): string | undefined =>
  color !== undefined && HEX_COLOR.test(color) ? color : undefined

// ---------------------------------------------------------------------------------------------
// layout
// ---------------------------------------------------------------------------------------------

/** Faces at least this much wider than tall (LCD strip regions) put the icon left of the text. */
const WIDE_ASPECT = 1.6
/** Smallest label size in px: DejaVu Bold stays readable on a 72 px key down to about 8 px. */
const MIN_LABEL_PX = 8
const MIN_SUBLABEL_PX = 7
/** A value is drawn to 1/1000: finer steps cannot differ in pixels and would only fill the cache. */
const VALUE_STEPS = 1000
/** Wide faces have short lines of big text: it shrinks to about half (of the short side, this fraction) before "…". */
const WIDE_MIN_LABEL = 0.17
const WIDE_MIN_SUBLABEL = 0.13

const n = (v: number) => (Math.round(v * 100) / 100).toString()

interface TextLine {
  readonly fitted: FittedText
  readonly bold: boolean
  readonly opacity: number
}

const textElement = (line: TextLine, x: number, baseline: number, anchor: "start" | "middle", fill: string) =>
  `<text x="${n(x)}" y="${n(baseline)}" font-family="${FONT_FAMILY}" font-weight="${line.bold ? "bold" : "normal"}" ` +
  `font-size="${n(line.fitted.fontSize)}" fill="${fill}"${line.opacity < 1 ? ` fill-opacity="${line.opacity}"` : ""} ` +
  `text-anchor="${anchor}">${escapeXml(line.fitted.text)}</text>`

const iconElement = (face: Face, x: number, y: number, size: number, fg: string, bg: string): string => {
  if (face.icon === undefined) return ""
  const icon = ICONS[face.icon]
  const slash = icon.slash === true
    ? `<path d="${SLASH_PATH}" stroke="${bg}" stroke-width="${ICON_STROKE + 3}"/><path d="${SLASH_PATH}"/>`
    : ""
  return `<svg x="${n(x)}" y="${n(y)}" width="${n(size)}" height="${n(size)}" viewBox="0 0 ${ICON_GRID} ${ICON_GRID}">` +
    `<g color="${fg}" fill="none" stroke="currentColor" stroke-width="${ICON_STROKE}" stroke-linecap="round" stroke-linejoin="round">` +
    `${icon.body}${slash}</g></svg>`
}

/** The SVG document for a face at a size: the renderer's pure core. */
export const faceSvg = (fonts: Fonts, face: Face, size: PixelSize): string => {
  const W = size.width
  const H = size.height
  const s = Math.min(W, H)
  const tone = TONE_COLORS[face.tone ?? "neutral"]
  const bg = validColor(face.background) ?? tone.background
  const fg = validColor(face.foreground) ?? tone.foreground
  const pad = Math.max(3, s * 0.08)
  const parts: Array<string> = [`<rect width="${W}" height="${H}" fill="${bg}"/>`]

  // value bar along the bottom; the content sits above it
  let bottom = H - pad
  if (face.value !== undefined && Number.isFinite(face.value)) {
    const value = Math.min(1, Math.max(0, Math.round(face.value * VALUE_STEPS) / VALUE_STEPS))
    const barH = Math.max(3, s * 0.07)
    const barX = pad
    const barW = W - 2 * pad
    const barY = H - pad * 0.75 - barH
    parts.push(
      `<rect x="${n(barX)}" y="${n(barY)}" width="${n(barW)}" height="${n(barH)}" rx="${n(barH / 2)}" fill="${fg}" fill-opacity="0.25"/>`
    )
    if (value > 0) {
      const fillW = Math.max(barH, barW * value)
      parts.push(
        `<rect x="${n(barX)}" y="${n(barY)}" width="${n(fillW)}" height="${n(barH)}" rx="${n(barH / 2)}" fill="${fg}"/>`
      )
    }
    bottom = barY - pad * 0.5
  }
  const top = pad
  const contentH = bottom - top

  const label = face.label === undefined ? "" : sanitizeText(fonts.bold, face.label)
  const sublabel = face.sublabel === undefined ? "" : sanitizeText(fonts.regular, face.sublabel)
  const hasText = label.length > 0 || sublabel.length > 0
  const hasIcon = face.icon !== undefined
  const wide = W / H >= WIDE_ASPECT

  if (wide) {
    // LCD strip region: icon at the left, text stacked beside it (or centred without an icon)
    const iconSize = hasText ? Math.min(contentH, W * 0.3) : Math.min(contentH, W - 2 * pad)
    const iconX = hasText ? pad : (W - iconSize) / 2
    if (hasIcon) parts.push(iconElement(face, iconX, top + (contentH - iconSize) / 2, iconSize, fg, bg))
    if (hasText) {
      const textX = hasIcon ? iconX + iconSize + pad : W / 2
      const maxWidth = hasIcon ? W - textX - pad : W - 2 * pad
      const anchor = hasIcon ? "start" : "middle"
      const lines = layoutLines(fonts, label, sublabel, maxWidth, contentH, s, 0.34, 0.24, true)
      parts.push(...placeLines(fonts, lines, textX, top, contentH, anchor, fg))
    }
  } else if (!hasText) {
    if (hasIcon) {
      const iconSize = Math.min(contentH, W - 2 * pad, s * 0.6)
      parts.push(iconElement(face, (W - iconSize) / 2, top + (contentH - iconSize) / 2, iconSize, fg, bg))
    }
  } else if (!hasIcon) {
    const lines = layoutLines(fonts, label, sublabel, W - 2 * pad, contentH, s, 0.24, 0.16, false)
    parts.push(...placeLines(fonts, lines, W / 2, top, contentH, "middle", fg))
  } else {
    // icon above, text below; the block is centred vertically
    const lines = layoutLines(fonts, label, sublabel, W - 2 * pad, contentH, s, 0.17, 0.13, false)
    const textH = linesHeight(fonts, lines)
    const gap = s * 0.07
    const iconSize = Math.max(s * 0.25, Math.min(s * (sublabel.length > 0 ? 0.4 : 0.46), contentH - textH - gap))
    const blockTop = top + Math.max(0, (contentH - (iconSize + gap + textH)) / 2)
    parts.push(iconElement(face, (W - iconSize) / 2, blockTop, iconSize, fg, bg))
    parts.push(...placeLines(fonts, lines, W / 2, blockTop + iconSize + gap, textH, "middle", fg))
  }

  if (face.badge !== undefined) parts.push(badgeElement(fonts, face.badge, W, s * (wide ? 1.4 : 1), pad, fg, bg))

  if (face.highlight === true) {
    const ringW = Math.max(3, s * 0.06)
    const ring = face.tone === "active" && face.background === undefined ? SPEAKING_RING_ON_GREEN : SPEAKING_RING
    parts.push(
      `<rect x="${n(ringW / 2)}" y="${n(ringW / 2)}" width="${n(W - ringW)}" height="${n(H - ringW)}" rx="${n(s * 0.12)}" ` +
        `fill="none" stroke="${ring}" stroke-width="${n(ringW)}"/>`
    )
  }

  if (face.overlay === "pending") parts.push(pendingOverlay(W, H, s, wide))
  else if (face.overlay === "error") parts.push(errorOverlay(W, H, s))

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join("")}</svg>`
}

/** Fit label and sublabel; sizes are fractions of the face's short side (and of the content height). */
const layoutLines = (
  fonts: Fonts,
  label: string,
  sublabel: string,
  maxWidth: number,
  contentH: number,
  s: number,
  labelFraction: number,
  sublabelFraction: number,
  wide: boolean
): Array<TextLine> => {
  const lines: Array<TextLine> = []
  const both = label.length > 0 && sublabel.length > 0
  // a line box is about 1.25 em: both lines together must fit the content height
  const heightCap = contentH / (both ? 2.3 : 1.25)
  if (label.length > 0) {
    const max = Math.max(MIN_LABEL_PX, Math.min(s * labelFraction, heightCap))
    const min = Math.min(max, Math.max(MIN_LABEL_PX, s * (wide ? WIDE_MIN_LABEL : 0.115)))
    lines.push({ fitted: fitText(fonts.bold, label, maxWidth, max, min), bold: true, opacity: 1 })
  }
  if (sublabel.length > 0) {
    const max = Math.max(MIN_SUBLABEL_PX, Math.min(s * sublabelFraction, heightCap * 0.8))
    const min = Math.min(max, Math.max(MIN_SUBLABEL_PX, s * (wide ? WIDE_MIN_SUBLABEL : 0.1)))
    lines.push({ fitted: fitText(fonts.regular, sublabel, maxWidth, max, min), bold: false, opacity: label.length > 0 ? 0.8 : 1 })
  }
  return lines
}

/** Line spacing between two stacked lines, as a fraction of the upper line's size. */
const LINE_GAP = 0.4

const linesHeight = (fonts: Fonts, lines: ReadonlyArray<TextLine>): number => {
  let h = 0
  lines.forEach((line, i) => {
    const font = line.bold ? fonts.bold : fonts.regular
    h += line.fitted.fontSize * font.capHeight + (i > 0 ? (lines[i - 1]?.fitted.fontSize ?? 0) * LINE_GAP : 0)
  })
  return h
}

/** Stack lines centred in a box by their cap heights (descenders hang into the padding). */
const placeLines = (
  fonts: Fonts,
  lines: ReadonlyArray<TextLine>,
  x: number,
  boxTop: number,
  boxH: number,
  anchor: "start" | "middle",
  fg: string
): Array<string> => {
  let y = boxTop + (boxH - linesHeight(fonts, lines)) / 2
  return lines.map((line, i) => {
    const font = line.bold ? fonts.bold : fonts.regular
    if (i > 0) y += (lines[i - 1]?.fitted.fontSize ?? 0) * LINE_GAP
    y += line.fitted.fontSize * font.capHeight
    return textElement(line, x, y, anchor, fg)
  })
}

/** A pill in the top-right corner, in inverted colours so it reads on any tone. */
const badgeElement = (fonts: Fonts, badge: string, W: number, s: number, pad: number, fg: string, bg: string): string => {
  const text = sanitizeText(fonts.bold, badge)
  if (text.length === 0) return ""
  const fitted = fitText(fonts.bold, text, W * 0.45, Math.max(MIN_SUBLABEL_PX, s * 0.15), MIN_SUBLABEL_PX)
  const h = fitted.fontSize * 1.45
  const w = Math.max(h, fitted.width + fitted.fontSize * 0.8)
  const x = W - pad * 0.5 - w
  const y = pad * 0.5
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" rx="${n(h / 2)}" fill="${fg}"/>` +
    textElement({ fitted, bold: true, opacity: 1 }, x + w / 2, y + (h + fitted.fontSize * fonts.bold.capHeight) / 2, "middle", bg)
}

/** A command is waiting: the face dims and three dots sit in a pill in the middle. */
const pendingOverlay = (W: number, H: number, s: number, wide: boolean): string => {
  const r = Math.max(2, s * 0.045)
  const step = r * 3.2
  const pillW = step * 2 + r * 5
  // on a strip the middle is text: the dots go to the right end instead
  const cx = wide ? W - s * 0.08 - pillW / 2 : W / 2
  const cy = H / 2
  const pillH = r * 5
  const dots = [-1, 0, 1].map((i) => `<circle cx="${n(cx + i * step)}" cy="${n(cy)}" r="${n(r)}" fill="#FFFFFF"/>`)
  return `<rect width="${W}" height="${H}" fill="#000000" fill-opacity="0.55"/>` +
    `<rect x="${n(cx - pillW / 2)}" y="${n(cy - pillH / 2)}" width="${n(pillW)}" height="${n(pillH)}" rx="${n(pillH / 2)}" fill="${BLURPLE}"/>` +
    dots.join("")
}

/** A command failed: a red frame and a "!" disc in the top-left corner (white-edged, so it shows on red too). */
const errorOverlay = (W: number, H: number, s: number): string => {
  const frame = Math.max(4, s * 0.08)
  const r = Math.max(7, s * 0.15)
  const cx = frame + r * 0.8
  const cy = frame + r * 0.8
  const mark = Math.max(2, r * 0.28)
  return `<rect x="${n(frame / 2)}" y="${n(frame / 2)}" width="${n(W - frame)}" height="${n(H - frame)}" fill="none" ` +
    `stroke="${ERROR_RED}" stroke-width="${n(frame)}"/>` +
    `<rect x="${n(frame)}" y="${n(frame)}" width="${n(W - 2 * frame)}" height="${n(H - 2 * frame)}" fill="none" ` +
    `stroke="#FFFFFF" stroke-opacity="0.6" stroke-width="1"/>` +
    `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(r)}" fill="${ERROR_RED}" stroke="#FFFFFF" stroke-width="${n(Math.max(1.5, s * 0.02))}"/>` +
    `<path d="M${n(cx)} ${n(cy - r * 0.5)}V${n(cy + r * 0.12)}" stroke="#FFFFFF" stroke-width="${n(mark)}" stroke-linecap="round"/>` +
    `<path d="M${n(cx)} ${n(cy + r * 0.5)}h.01" stroke="#FFFFFF" stroke-width="${n(mark * 1.15)}" stroke-linecap="round"/>`
}

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
    face.tone,
    face.label,
    face.sublabel,
    face.badge,
    face.value === undefined ? undefined : Math.round(face.value * VALUE_STEPS),
    face.highlight === true,
    face.overlay,
    face.background,
    face.foreground,
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

/** Build a renderer from font files (the bundled ones for `KeyRenderer.layer`). */
export const makeKeyRenderer = (files: { readonly bold: string; readonly regular: string }) =>
  Effect.gen(function*() {
    const fonts: Fonts = { bold: yield* loadFont(files.bold), regular: yield* loadFont(files.regular) }
    // resvg reads and parses every font file on each render (it has no font-buffer option), which
    // is most of a render's cost: load only the fonts a document uses.
    const withFonts = (fontFiles: Array<string>): ResvgRenderOptions => ({
      font: { loadSystemFonts: false, fontFiles, defaultFontFamily: FONT_FAMILY },
      logLevel: "off"
    })
    const noText = withFonts([])
    const boldOnly = withFonts([files.bold])
    const both = withFonts([files.bold, files.regular])
    const optionsFor = (svg: string) =>
      !svg.includes("<text") ? noText : svg.includes(`font-weight="normal"`) ? both : boldOnly
    const cache = new RenderCache()
    const rasterize = (face: Face, size: PixelSize) => {
      const svg = faceSvg(fonts, face, checkSize(size))
      return new (loadResvg())(svg, optionsFor(svg)).render()
    }

    return KeyRenderer.of({
      render: (face, size) =>
        Effect.sync(() => {
          const key = faceKey(face, size)
          const hit = cache.get(key)
          if (hit !== undefined) return hit
          const image = rasterize(face, size)
          const pixels = image.pixels
          const rendered: RenderedFace = {
            width: image.width,
            height: image.height,
            rgba: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)
          }
          cache.set(key, rendered)
          return rendered
        }),
      renderPng: (face, size) =>
        Effect.sync(() => {
          const png = rasterize(face, size).asPng()
          return new Uint8Array(png.buffer, png.byteOffset, png.byteLength)
        }),
      svg: (face, size) => Effect.sync(() => faceSvg(fonts, face, checkSize(size)))
    })
  })
