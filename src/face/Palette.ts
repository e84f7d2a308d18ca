/**
 * The colours of key faces, apart from the renderer so that code which only needs a tone's
 * colour (an RGB-only key's light) does not load resvg and the fonts.
 *
 * The look follows the usual Stream Deck key art: black keys, one big glyph, and state
 * carried by the glyph's colour (red and slashed for muted, green for on) over a faint tint
 * of the same colour, so mute, deafen and push-to-talk read from across a desk. Every text
 * colour has at least 4.5:1 contrast (WCAG AA) on its background; `test/KeyRenderer.test.ts`
 * computes it.
 *
 * @since 0.2.0
 */
import type { Tone } from "./Face.ts"

/** The colours of one tone. */
export interface ToneColors {
  /** The key's background. */
  readonly background: string
  /** The glyph, the label and the decorations. */
  readonly foreground: string
  /** The smaller second line: quieter than the label, still ≥ 4.5:1 on the background. */
  readonly secondary: string
  /** What an RGB-only key (Neo touch keys) lights up in: off for calm tones, the signal colour otherwise. */
  readonly lamp: string
}

/** An empty key: off, like a key nothing is bound to on Elgato's own software. */
export const BLANK_BACKGROUND = "#000000"

/** One colour set per tone. */
export const TONE_COLORS: { readonly [T in Tone]: ToneColors } = {
  neutral: { background: "#000000", foreground: "#FFFFFF", secondary: "#B5BAC1", lamp: "#000000" },
  active: { background: "#0F3A1F", foreground: "#4BE08A", secondary: "#B4F0CA", lamp: "#23A55A" },
  muted: { background: "#4A0F13", foreground: "#FF7A7E", secondary: "#FFC2C4", lamp: "#ED4245" },
  warning: { background: "#3D2C05", foreground: "#F7C85A", secondary: "#FAE2AA", lamp: "#F0B232" },
  offline: { background: "#000000", foreground: "#9BA1A9", secondary: "#9BA1A9", lamp: "#000000" }
}

/** The "someone is speaking" ring: Discord's speaking green. */
export const SPEAKING_RING = "#23A55A"
/** A command is waiting: Discord's blurple. */
export const PENDING_COLOR = "#7984F5"
/** A command failed: the amber of a Stream Deck alert, with a black edge so it shows on amber too. */
export const ALERT_COLOR = "#F5C04A"
export const ALERT_EDGE = "#000000"

/**
 * The discs behind a person's initials: the colours of Discord's six default avatars, in
 * their order (docs/discord-rpc.md#avatars), each with the ink that reads on it.
 */
export const AVATAR_TINTS: ReadonlyArray<{ readonly fill: string; readonly ink: string }> = [
  { fill: "#5865F2", ink: "#FFFFFF" },
  { fill: "#757E8A", ink: "#000000" },
  { fill: "#3BA55C", ink: "#000000" },
  { fill: "#FAA61A", ink: "#000000" },
  { fill: "#ED4245", ink: "#000000" },
  { fill: "#EB459F", ink: "#000000" }
]

/** The scale mark of a value bar (e.g. 100 on a 0–200 volume). */
export const SCALE_MARK = "#FFFFFF"

// ---------------------------------------------------------------------------------------------
// contrast (WCAG 2.x)
// ---------------------------------------------------------------------------------------------

const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/

/** "#rgb" or "#rrggbb" (anything else could break an SVG document). */
export const isHexColor = (color: string | undefined): color is string => color !== undefined && HEX_COLOR.test(color)

/** "#rgb"/"#rrggbb" → [r, g, b] in 0..255, or undefined for anything else. */
export const hexToRgb = (hex: string | undefined): readonly [number, number, number] | undefined => {
  if (!isHexColor(hex)) return undefined
  const digits = hex.length === 4 ? [...hex.slice(1)].map((c) => c + c).join("") : hex.slice(1)
  return [parseInt(digits.slice(0, 2), 16), parseInt(digits.slice(2, 4), 16), parseInt(digits.slice(4, 6), 16)]
}

const linear = (channel: number) => {
  const c = channel / 255
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
}

/** WCAG relative luminance of an sRGB colour, 0 (black) .. 1 (white). */
export const relativeLuminance = (hex: string): number => {
  const rgb = hexToRgb(hex)
  if (rgb === undefined) throw new RangeError(`not a #rgb/#rrggbb colour: ${hex}`)
  return 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

/** WCAG contrast ratio of two colours, 1 .. 21. Text wants ≥ 4.5, large shapes ≥ 3. */
export const contrastRatio = (a: string, b: string): number => {
  const la = relativeLuminance(a)
  const lb = relativeLuminance(b)
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
}
