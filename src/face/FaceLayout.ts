/**
 * The pure core of the renderer: where every part of a face goes at a size (glyph, text
 * lines, badge, value bar, overlays), as boxes. `FaceSvg` draws those boxes. Tests check the
 * boxes: the overlays never cover the glyph or the text, and text stays readable.
 *
 * @since 0.1.0
 */
import type { Face, PixelSize } from "./Face.ts"
import { isHexColor, TONE_COLORS } from "./Palette.ts"
import {
  familyList,
  type FittedText,
  fitLabel,
  fitText,
  type Fonts,
  fontsUsed,
  REPLACEMENT_CHAR,
  sanitizeText
} from "./TextLayout.ts"

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
export const VALUE_STEPS = 1000

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
