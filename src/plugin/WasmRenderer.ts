/**
 * The plugin's `KeyRenderer`: the daemon's own face SVG (`faceSvg`, same fonts, same layout),
 * rasterised by resvg compiled to WebAssembly instead of the native addon. One `.wasm` file
 * runs on every platform and Node a host gives plugins, so the plugin folder ships no
 * per-platform binaries (and Elgato's `--no-addons` hosts could load it too).
 *
 * @since 0.1.0
 */
import { initWasm, Resvg } from "@resvg/resvg-wasm"
import { Effect, Layer, Schema } from "effect"
import { readFileSync } from "node:fs"
import * as NodePath from "node:path"
import type { Face, PixelSize } from "../face/Face.ts"
import { facePictures } from "../face/FacePictures.ts"
import {
  FONT_FAMILY,
  faceLayout,
  type FontFiles,
  KeyRenderer,
  layoutSvg,
  loadFonts,
  type RenderedFace
} from "../face/KeyRenderer.ts"
import { noSystemFonts } from "../face/SystemFonts.ts"

/** What the plugin folder holds for rendering; the build puts them there. */
export interface WasmRendererFiles {
  readonly wasm: string
  readonly fonts: FontFiles
}

/** The bundled font files by role, under `fonts/` of the plugin folder (the names of assets/fonts). */
export const FONT_FILE_NAMES: FontFiles = {
  label: "RobotoCondensed-Bold.ttf",
  sublabel: "RobotoCondensed-Medium.ttf",
  fallbackBold: "DejaVuSans-Bold.ttf",
  fallback: "DejaVuSans.ttf",
  emoji: "NotoEmoji-Bold.ttf"
}

const fontsIn = (dir: string): FontFiles => ({
  label: NodePath.join(dir, FONT_FILE_NAMES.label),
  sublabel: NodePath.join(dir, FONT_FILE_NAMES.sublabel),
  fallbackBold: NodePath.join(dir, FONT_FILE_NAMES.fallbackBold),
  fallback: NodePath.join(dir, FONT_FILE_NAMES.fallback),
  emoji: NodePath.join(dir, FONT_FILE_NAMES.emoji)
})

/** Where the build puts them, relative to the plugin folder. */
export const rendererFilesIn = (pluginDir: string): WasmRendererFiles => ({
  wasm: NodePath.join(pluginDir, "bin", "resvg.wasm"),
  fonts: fontsIn(NodePath.join(pluginDir, "fonts"))
})

/** The repository's own copies (the build renders the plugin's icons with them). */
export const rendererFilesOfRepo = (root: string): WasmRendererFiles => ({
  wasm: NodePath.join(root, "node_modules", "@resvg", "resvg-wasm", "index_bg.wasm"),
  fonts: fontsIn(NodePath.join(root, "assets", "fonts"))
})

export class RendererLoadError extends Schema.TaggedError<RendererLoadError>()("RendererLoadError", {
  message: Schema.String
}) {}

/** The WebAssembly module can be initialised once per process. */
let initialised: Promise<void> | undefined

/** Initialise resvg's WebAssembly module from a file (once; later calls wait for the first). */
export const ensureWasm = (wasmFile: string): Promise<void> => (initialised ??= initWasm(readFileSync(wasmFile)))

/** Any SVG document to PNG bytes, with the given fonts (icons for the plugin folder). */
export const svgToPng = (svg: string, fontBuffers: ReadonlyArray<Uint8Array> = []): Uint8Array => {
  const resvg = new Resvg(svg, { font: { fontBuffers: [...fontBuffers], defaultFontFamily: FONT_FAMILY } })
  try {
    const image = resvg.render()
    try {
      return Uint8Array.from(image.asPng())
    } finally {
      image.free()
    }
  } finally {
    resvg.free()
  }
}

const loadWasm = (files: WasmRendererFiles) =>
  Effect.tryPromise({
    try: () => ensureWasm(files.wasm),
    catch: (cause) =>
      new RendererLoadError({
        message: `cannot load the face renderer (${String(cause)}); the plugin folder is incomplete: install the plugin again`
      })
  })

/**
 * The daemon's face layout, rasterised by resvg's WebAssembly build with the bundled fonts
 * only (no system font lookup: hosts run on machines without fontconfig).
 */
export const wasmRendererLayer = (files: WasmRendererFiles): Layer.Layer<KeyRenderer, RendererLoadError> =>
  Layer.effect(
    KeyRenderer,
    Effect.gen(function*() {
      yield* loadWasm(files)
      const fonts = yield* loadFonts(files.fonts, noSystemFonts).pipe(
        Effect.mapError((e) => new RendererLoadError({ message: `${e.message}; install the plugin again` }))
      )
      const buffers = new Map<string, Uint8Array>()
      const bufferOf = (file: string) => {
        let buffer = buffers.get(file)
        if (buffer === undefined) {
          buffer = new Uint8Array(readFileSync(file))
          buffers.set(file, buffer)
        }
        return buffer
      }
      // custom images and people's avatars, as the native renderer draws them
      const pictures = facePictures(fonts)
      /** WebAssembly memory is not garbage-collected: free every object once read. */
      const rasterize = <A>(face: Face, size: PixelSize, read: (image: ReturnType<InstanceType<typeof Resvg>["render"]>) => A) => {
        const { imageProblem, layout } = pictures.layoutOf(face, size)
        const resvg = new Resvg(layoutSvg(layout), {
          font: { fontBuffers: layout.fontFiles.map(bufferOf), defaultFontFamily: FONT_FAMILY }
        })
        try {
          const image = resvg.render()
          try {
            return Effect.as(pictures.warnOnce(imageProblem), read(image))
          } finally {
            image.free()
          }
        } finally {
          resvg.free()
        }
      }
      return KeyRenderer.of({
        render: (face, size) =>
          Effect.suspend(() =>
            rasterize(face, size, (image): RenderedFace => ({
              width: image.width,
              height: image.height,
              rgba: Uint8Array.from(image.pixels)
            }))
          ),
        renderPng: (face, size) => Effect.suspend(() => rasterize(face, size, (image) => Uint8Array.from(image.asPng()))),
        svg: (face, size) => Effect.sync(() => layoutSvg(faceLayout(fonts, face, size)))
      })
    })
  )
