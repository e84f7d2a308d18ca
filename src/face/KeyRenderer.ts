/**
 * Face → pixels, as a service. A face becomes one SVG document (`FaceLayout` places its parts,
 * `FaceSvg` draws them, `TextLayout` fits its text) which resvg rasterises at the control's
 * exact size with the bundled fonts, plus a system font found through fontconfig for
 * characters none of them has (CJK). Renders are cached by (face, size) in a bounded LRU: a
 * key's face is a pure function of state, so most renders after the first are repeats (a
 * mute toggling back, a replug redrawing every key).
 *
 * @since 0.1.0
 */
import type { Resvg, ResvgRenderOptions } from "@resvg/resvg-js"
import { Context, Effect, Layer } from "effect"
import { createRequire } from "node:module"
import { type Face, MAX_FACE_AVATARS, type PixelSize } from "./Face.ts"
import { type FaceLayout, VALUE_STEPS } from "./FaceLayout.ts"
import { facePictures } from "./FacePictures.ts"
import { faceSvg, layoutSvg } from "./FaceSvg.ts"
import { fontconfigLookup, type SystemFontLookup } from "./SystemFonts.ts"
import { FONT_FAMILY, FONT_FILES, type FontFiles, type FontLoadError, loadFonts } from "./TextLayout.ts"

// the renderer's parts, where callers have always found them
export { IMAGE_CACHE_MAX_ENTRIES, MAX_IMAGE_BYTES } from "./FacePictures.ts"
export { type Box, type FaceLayout, faceLayout, intersects, type PlacedLine } from "./FaceLayout.ts"
export { faceSvg, layoutSvg } from "./FaceSvg.ts"
export {
  chainWidth,
  escapeXml,
  type FittedText,
  fitLabel,
  fitText,
  FONT_FAMILY,
  FONT_FILES,
  type FontChain,
  type FontFiles,
  FontLoadError,
  type Fonts,
  fontFor,
  type LoadedFont,
  loadFonts,
  REPLACEMENT_CHAR,
  sanitizeText
} from "./TextLayout.ts"

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
    face.avatars?.slice(0, MAX_FACE_AVATARS).map((a) => [a.initials, a.tint, a.image, a.speaking === true]),
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
    const pictures = facePictures(fonts)
    const layoutOf = (face: Face, size: PixelSize) => pictures.layoutOf(face, checkSize(size))
    const rasterize = (layout: FaceLayout) => new (loadResvg())(layoutSvg(layout), optionsFor(layout)).render()
    const tell = pictures.warnOnce

    return KeyRenderer.of({
      render: (face, size) =>
        Effect.suspend(() => {
          // a picture's file may change under the same path (an avatar's may appear or be evicted): its stamp is part of the key
          const key = faceKey(face, size) + pictures.stamps(face)
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
