/**
 * The pure core of the renderer: where every part of a face goes at a size (glyph, text
 * lines, badge, value bar, overlays), as boxes. `FaceSvg` draws those boxes. Tests check the
 * boxes: the overlays never cover the glyph or the text, and text stays readable.
 * Over 400 lines because every part is placed against the others (corners, bar, text, glyph
 * or people); split, each piece would need all the others' boxes.
 *
 * @since 0.1.0
 */
import { type Face, type FaceAvatar, MAX_FACE_AVATARS, type PixelSize } from "./Face.ts"
import { AVATAR_TINTS, isHexColor, TONE_COLORS } from "./Palette.ts"
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

/** One person, placed: a disc in `box` (a square), their picture over it once the renderer has read it. */
export interface PlacedAvatar {
  readonly box: Box
  /** The disc and the initials' colour. */
  readonly fill: string
  readonly initials: PlacedLine | undefined
  /** Their picture's file, as the face names it. */
  readonly image?: string
  /** The picture as a data URL, filled in by the renderer when the file could be read. */
  readonly href?: string
  readonly speaking: boolean
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
    | { readonly _tag: "Avatars"; readonly people: ReadonlyArray<PlacedAvatar> }
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

/**
 * The glyph's box: as large as allowed, centred in `region`, clear of every box in `keepOut`.
 * `aspect` is its width over its height (a row of people is wider than tall).
 */
const placeGlyph = (region: Box, maxSize: number, keepOut: ReadonlyArray<Box>, gap: number, aspect = 1): Box | undefined => {
  // corners are round-ish and so are most glyphs: half the usual gap is enough
  const centred = (r: Box, g: number): Box => ({
    x: r.x + (r.width - g * aspect) / 2,
    y: r.y + (r.height - g) / 2,
    width: g * aspect,
    height: g
  })
  const grown = keepOut.map((k) => ({ x: k.x - gap, y: k.y - gap, width: k.width + 2 * gap, height: k.height + 2 * gap }))
  const clear = (b: Box) => grown.every((k) => !intersects(b, k))
  /** The largest box centred in `r` that is clear, shrinking half a pixel at a time. */
  const largestClear = (r: Box): Box | undefined => {
    for (let g = Math.min(maxSize, r.width / aspect, r.height); g > 0; g -= 0.5) {
      const b = centred(r, g)
      if (clear(b)) return b
    }
    return undefined
  }
  // in place, shrinking until clear
  const inPlace = largestClear(region)
  // or moved down below whatever it would touch
  const below = Math.max(region.y, ...grown.map((k) => k.y + k.height))
  const moved = largestClear({ x: region.x, y: below, width: region.width, height: region.y + region.height - below })
  if (inPlace === undefined) return moved
  if (moved === undefined) return inPlace
  return moved.height > inPlace.height ? moved : inPlace
}

/** How much of a disc the next one in a row covers. */
const AVATAR_OVERLAP = 0.25
/** A row of `n` people is this many discs wide. */
const rowAspect = (n: number) => 1 + (n - 1) * (1 - AVATAR_OVERLAP)

/**
 * People in the glyph's place: a row of overlapping discs, or for three or four a 2×2 grid
 * when that makes each larger. Returns the box they take and the discs.
 */
const placeAvatars = (
  fonts: Fonts,
  people: ReadonlyArray<FaceAvatar>,
  place: (aspect: number) => Box | undefined,
  files: Set<string>
): { readonly box: Box; readonly people: ReadonlyArray<PlacedAvatar> } | undefined => {
  const n = people.length
  const row = place(rowAspect(n))
  const grid = n >= 3 ? place(1) : undefined
  const rowDisc = row?.height ?? 0
  const gridDisc = grid === undefined ? 0 : grid.height * 0.48
  const useGrid = grid !== undefined && gridDisc > rowDisc
  const box = useGrid ? grid : row
  if (box === undefined) return undefined
  const d = useGrid ? gridDisc : rowDisc
  const at = (i: number): { x: number; y: number } => {
    if (!useGrid) return { x: box.x + i * d * (1 - AVATAR_OVERLAP), y: box.y }
    const col = i % 2
    const line = Math.floor(i / 2)
    // three: two above, one centred below
    const x = n === 3 && line === 1 ? box.x + (box.width - d) / 2 : col === 0 ? box.x : box.x + box.width - d
    return { x, y: line === 0 ? box.y : box.y + box.height - d }
  }
  const placed = people.map((person, i): PlacedAvatar => {
    const { x, y } = at(i)
    const tint = AVATAR_TINTS[Number.isInteger(person.tint) ? Math.abs(person.tint!) % AVATAR_TINTS.length : 0]!
    const text = sanitizeText(fonts.label, person.initials)
    let initials: PlacedLine | undefined
    if (text.length > 0) {
      const fitted = fitText(fonts.label, text, d * 0.72, d * 0.46, Math.min(d * 0.46, Math.max(6, d * 0.3)))
      const capHeight = fitted.fontSize * fonts.label.fonts[0]!.metrics.capHeight
      fontsUsed(fonts.label, fitted.text, files)
      initials = {
        role: "label",
        text: fitted.text,
        fontSize: fitted.fontSize,
        capHeight,
        box: { x: x + (d - fitted.width) / 2, y: y + (d - capHeight) / 2, width: fitted.width, height: capHeight },
        anchor: "middle",
        color: tint.ink,
        families: familyList(fonts.label, fitted.text)
      }
    }
    return {
      box: { x, y, width: d, height: d },
      fill: tint.fill,
      initials,
      ...(person.image === undefined ? {} : { image: person.image }),
      speaking: person.speaking === true
    }
  })
  return { box, people: placed }
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
  const people = (face.avatars ?? []).slice(0, MAX_FACE_AVATARS)
  const hasGlyph = textGlyph || face.icon !== undefined || people.length > 0
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
  let placedPeople: ReadonlyArray<PlacedAvatar> | undefined
  /** The glyph's box from a placer of boxes of an aspect; people choose their own aspect. */
  const glyphFrom = (placer: (aspect: number) => Box | undefined): Box | undefined => {
    if (people.length === 0) return placer(1)
    const placed = placeAvatars(fonts, people, placer, files)
    placedPeople = placed?.people
    return placed?.box
  }
  let lines: Array<PlacedLine> = []
  const top = pad
  if (wide) {
    // strip region: glyph at the left, text stacked beside it, clear of the right-hand corner
    const contentH = bottom - top
    const rightLimit = Math.min(...keepOut.map((k) => k.x)) - gap
    if (hasGlyph) {
      glyphBox = glyphFrom((aspect) => {
        // a row of people may take a little more of the strip than one glyph
        const g = hasText
          ? Math.min(contentH, (W * (aspect > 1 ? 0.42 : 0.3)) / aspect)
          : Math.min(contentH, (rightLimit - pad) / aspect)
        return hasText
          ? { x: pad, y: top + (contentH - g) / 2, width: g * aspect, height: g }
          : { x: pad + (rightLimit - pad - g * aspect) / 2, y: top + (contentH - g) / 2, width: g * aspect, height: g }
      })
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
    if (hasGlyph) {
      const region: Box = { x: pad, y: top, width: W - 2 * pad, height: bottom - top }
      glyphBox = glyphFrom((aspect) => placeGlyph(region, s * GLYPH_ALONE, keepOut, gap / 2, aspect))
    }
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
        return { textTop, glyph: glyphFrom((aspect) => placeGlyph(region, max, keepOut, gap / 2, aspect)) }
      }
      let arranged = arrange(fitted)
      if ((arranged.glyph?.height ?? 0) < s * GLYPH_MIN && fitted.filter((l) => l.role === "label").length > 1) {
        fitted = fitLines(maxWidth, false)
        arranged = arrange(fitted)
      }
      glyphBox = arranged.glyph
      lines = place(fitted, W / 2, arranged.textTop, "middle")
    }
  }

  let glyph: FaceLayout["glyph"]
  if (glyphBox !== undefined) {
    if (placedPeople !== undefined) {
      glyph = { box: glyphBox, _tag: "Avatars", people: placedPeople }
    } else if (textGlyph) {
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
