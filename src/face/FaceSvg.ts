/**
 * A face's layout drawn as one SVG document: background, the glyph from our own icon set or
 * a text glyph, text, the value bar, rings and marks. Pure: resvg (`KeyRenderer`, or the
 * plugin's WebAssembly build) rasterises it.
 *
 * @since 0.1.0
 */
import type { Face, PixelSize } from "./Face.ts"
import { type Box, type FaceLayout, faceLayout, type PlacedAvatar, type PlacedLine } from "./FaceLayout.ts"
import { ICON_GRID, ICON_STROKE, ICONS, SLASH_PATH } from "./icons.ts"
import { ALERT_COLOR, ALERT_EDGE, PENDING_COLOR, SCALE_MARK, SPEAKING_RING } from "./Palette.ts"
import { escapeXml, type Fonts } from "./TextLayout.ts"

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

/**
 * One person: a disc with their initials, or their picture cut to a circle, edged in the
 * background colour so overlapping discs stay apart; a speaking ring inside the edge.
 */
const avatarElement = (person: PlacedAvatar, index: number, bg: string): string => {
  const { x, y, width: d } = person.box
  const r = d / 2
  const cx = n(x + r)
  const cy = n(y + r)
  const edge = Math.max(1, d * 0.05)
  const disc = `<circle cx="${cx}" cy="${cy}" r="${n(r)}" fill="${person.fill}" stroke="${bg}" stroke-width="${n(edge)}"/>`
  const face = person.href === undefined
    ? person.initials === undefined ? "" : textElement(person.initials)
    : `<clipPath id="avatar${index}"><circle cx="${cx}" cy="${cy}" r="${n(r - edge / 2)}"/></clipPath>` +
      `<image x="${n(x)}" y="${n(y)}" width="${n(d)}" height="${n(d)}" preserveAspectRatio="xMidYMid slice" ` +
      `clip-path="url(#avatar${index})" href="${escapeXml(person.href)}"/>`
  const ringWidth = Math.max(1.5, d * 0.09)
  const ring = person.speaking
    ? `<circle cx="${cx}" cy="${cy}" r="${n(r - edge / 2 - ringWidth / 2)}" fill="none" stroke="${SPEAKING_RING}" stroke-width="${n(ringWidth)}"/>`
    : ""
  return disc + face + ring
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
  else if (glyph?._tag === "Avatars") glyph.people.forEach((person, i) => parts.push(avatarElement(person, i, bg)))
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
