/**
 * Face → pixels. (Interface first; the resvg implementation lands with the deck surface.)
 *
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
import type { Face, PixelSize } from "./Face.ts"

/** RGBA pixels, `width * height * 4` bytes, row-major, top-left first. */
export interface RenderedFace {
  readonly width: number
  readonly height: number
  readonly rgba: Uint8Array
}

export class KeyRenderer extends Context.Service<KeyRenderer, {
  /** Render a face at a size; cached by (face, size). */
  readonly render: (face: Face, size: PixelSize) => Effect.Effect<RenderedFace>
}>()("deckcord/KeyRenderer") {}
