/**
 * deckcord's own icon set, drawn here in one style: a 24×24 grid, 2 px strokes with round caps
 * and joins, no fills except small solid dots, and the colour taken from `currentColor`.
 * The "-off" variants are their base icon crossed by one diagonal slash, which the renderer
 * draws with a gap cut in the background colour so the slash reads at 72 px.
 *
 * @since 0.1.0
 */
import type { IconName } from "./Face.ts"

/** The icons' drawing grid (a `viewBox` of 0 0 24 24). */
export const ICON_GRID = 24
/** Stroke width on the grid; ~1/12 of the icon so lines stay visible when scaled to 30 px. */
export const ICON_STROKE = 2

export interface Icon {
  /** SVG elements on the 24×24 grid; stroked with currentColor, `fill="none"` unless set. */
  readonly body: string
  /** Cross the icon out (the "-off" variants). */
  readonly slash?: boolean
}

/** The slash of the "-off" icons, top-left to bottom-right. */
export const SLASH_PATH = "M3.5 3.5l17 17"

/** A solid dot, e.g. the point of an exclamation mark: a zero-length line with a round cap. */
const dot = (x: number, y: number) => `<path d="M${x} ${y}h.01" stroke-width="2.6"/>`

const mic = [
  `<rect x="9" y="2.5" width="6" height="11" rx="3"/>`,
  `<path d="M5.5 10.5a6.5 6.5 0 0 0 13 0"/>`,
  `<path d="M12 17v4.5M8.5 21.5h7"/>`
].join("")

const headphones = [
  `<path d="M4 15v-3a8 8 0 0 1 16 0v3"/>`,
  `<rect x="3" y="14" width="4.5" height="7" rx="1.5"/>`,
  `<rect x="16.5" y="14" width="4.5" height="7" rx="1.5"/>`
].join("")

/** A loudspeaker cone, left of centre so sound marks fit on its right. */
const speaker = `<path d="M3 9.5h3.5L11 5.5v13l-4.5-4H3z"/>`

const camera = [
  `<rect x="2.5" y="6.5" width="13" height="11" rx="2.5"/>`,
  `<path d="M15.5 10.5l5.5-3v9l-5.5-3"/>`
].join("")

const screen = [
  `<rect x="2.5" y="3.5" width="19" height="13" rx="2"/>`,
  `<path d="M12 16.5v4M8 20.5h8"/>`
].join("")

const user = [
  `<circle cx="12" cy="8" r="4"/>`,
  `<path d="M4.5 21a7.5 7.5 0 0 1 15 0"/>`
].join("")

/** A gear outline: `teeth` flat-topped teeth around a ring, generated so it is exactly symmetric. */
const gear = (teeth: number, outer: number, inner: number): string => {
  const cx = 12
  const cy = 12
  const step = (Math.PI * 2) / teeth
  const points: Array<string> = []
  for (let i = 0; i < teeth; i++) {
    const a = i * step - Math.PI / 2
    // tooth: root, rise, top, top, fall (angles as fractions of one tooth step)
    const at = (r: number, f: number) => {
      const t = a + f * step
      return `${(cx + r * Math.cos(t)).toFixed(2)} ${(cy + r * Math.sin(t)).toFixed(2)}`
    }
    points.push(at(inner, -0.5), at(inner, -0.28), at(outer, -0.16), at(outer, 0.16), at(inner, 0.28))
  }
  return `<path d="M${points.join("L")}z"/><circle cx="12" cy="12" r="3"/>`
}

/** Every icon of `ICON_NAMES`, drawn for this project. */
export const ICONS: { readonly [K in IconName]: Icon } = {
  mic: { body: mic },
  "mic-off": { body: mic, slash: true },
  headphones: { body: headphones },
  "headphones-off": { body: headphones, slash: true },
  // A key being pressed, with a small mic on it: "hold to talk".
  "push-to-talk": {
    body: [
      `<rect x="10" y="2" width="4" height="7.5" rx="2"/>`,
      `<path d="M7.5 7.5a4.5 4.5 0 0 0 9 0M12 12v2"/>`,
      `<rect x="3" y="16" width="18" height="5.5" rx="2"/>`
    ].join("")
  },
  // A level meter: bars of a live waveform.
  "voice-activity": { body: `<path d="M3.5 10v4M7.75 7v10M12 3.5v17M16.25 7v10M20.5 10v4"/>` },
  // Discord draws voice channels as a speaker with sound waves.
  "voice-channel": {
    body: speaker + `<path d="M14.5 9a4 4 0 0 1 0 6M17.5 6a8 8 0 0 1 0 12"/>`
  },
  "text-channel": { body: `<path d="M9.5 3.5L7.5 20.5M16.5 3.5l-2 17M4.5 8.5h16M3.5 15.5h16"/>` },
  // A speaker with rising level bars: the output volume.
  volume: { body: speaker + `<path d="M14.5 14.5v3M17.5 11.5v6M20.5 8.5v9"/>` },
  "volume-off": { body: speaker + `<path d="M14.5 14.5v3M17.5 11.5v6M20.5 8.5v9"/>`, slash: true },
  camera: { body: camera },
  "camera-off": { body: camera, slash: true },
  // A screen with an arrow leaving it upwards.
  "screen-share": { body: screen + `<path d="M12 12.5v-6M9 9l3-3 3 3"/>` },
  "screen-share-off": { body: screen + `<path d="M12 12.5v-6M9 9l3-3 3 3"/>`, slash: true },
  // Four pads, one of them lit.
  soundboard: {
    body: [
      `<rect x="3" y="3" width="7.5" height="7.5" rx="2"/>`,
      `<rect x="13.5" y="3" width="7.5" height="7.5" rx="2"/>`,
      `<rect x="3" y="13.5" width="7.5" height="7.5" rx="2"/>`,
      `<rect x="13.5" y="13.5" width="7.5" height="7.5" rx="2" fill="currentColor"/>`
    ].join("")
  },
  bell: { body: `<path d="M6 16.5V11a6 6 0 0 1 12 0v5.5l2 2.5H4z"/><path d="M10 21a2 2 0 0 0 4 0M12 3.5V5"/>` },

  user: { body: user },
  "user-off": { body: user, slash: true },
  // A handset lying down: hang up.
  "leave-call": {
    body: `<path d="M2.5 14.5c0-3 4.25-5.5 9.5-5.5s9.5 2.5 9.5 5.5v1a1.5 1.5 0 0 1-1.5 1.5h-3a1.5 1.5 0 0 1-1.5-1.5v-2.25c-2.25-.75-4.75-.75-7 0v2.25a1.5 1.5 0 0 1-1.5 1.5h-3a1.5 1.5 0 0 1-1.5-1.5z"/>`
  },
  // Connection quality: four rising bars.
  signal: { body: `<path d="M4.5 20.5v-3M9.5 20.5v-7M14.5 20.5v-11M19.5 20.5v-16"/>` },
  // Three sliders: audio processing (noise suppression, echo cancellation, gain).
  "voice-processing": {
    body: [
      `<path d="M6 3.5v17M12 3.5v17M18 3.5v17"/>`,
      `<circle cx="6" cy="15" r="2.25" fill="currentColor"/>`,
      `<circle cx="12" cy="8" r="2.25" fill="currentColor"/>`,
      `<circle cx="18" cy="13" r="2.25" fill="currentColor"/>`
    ].join("")
  },
  // A plug pulled out of its socket, with sparks in the gap.
  // A folder: a page of more keys.
  folder: {
    body: `<path d="M2.5 6.5A1.5 1.5 0 0 1 4 5h5l2 2.5h9a1.5 1.5 0 0 1 1.5 1.5v9.5a1.5 1.5 0 0 1-1.5 1.5H4a1.5 1.5 0 0 1-1.5-1.5z"/>`
  },
  // A return arrow: back to the first page.
  back: { body: `<path d="M8.5 5l-5 5 5 5"/><path d="M3.5 10h11a5 5 0 0 1 0 10h-4"/>` },
  disconnected: {
    body: [
      `<path d="M2 12h3"/>`,
      `<rect x="5" y="8" width="4.5" height="8" rx="1.5"/>`,
      `<path d="M9.5 10h2.5M9.5 14h2.5"/>`,
      `<path d="M19 7.5h-1.5a1.5 1.5 0 0 0-1.5 1.5v6a1.5 1.5 0 0 0 1.5 1.5H19z"/>`,
      `<path d="M19 12h3"/>`,
      `<path d="M13.5 3.5l.75 2.5M13.5 20.5l.75-2.5"/>`
    ].join("")
  },
  // A padlock: the app is not authorized.
  unauthorized: {
    body: [
      `<path d="M8 11V7.5a4 4 0 0 1 8 0V11"/>`,
      `<rect x="4.5" y="11" width="15" height="10" rx="2"/>`,
      `<path d="M12 15v2"/>`
    ].join("")
  },
  setup: { body: gear(8, 9.5, 7) },
  error: { body: `<circle cx="12" cy="12" r="9.5"/><path d="M12 7v6.5"/>${dot(12, 17)}` },
  warning: { body: `<path d="M12 3.5L21.5 20h-19z"/><path d="M12 9.5v5"/>${dot(12, 17.25)}` }
}
