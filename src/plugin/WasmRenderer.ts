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
import type { Face, PixelSize } from "../services/Face.ts"
import { parseFontMetrics } from "../services/FontMetrics.ts"
import { FONT_FAMILY, faceSvg, KeyRenderer, type RenderedFace } from "../services/KeyRenderer.ts"

/** What the plugin folder holds for rendering; the build puts them there. */
export interface WasmRendererFiles {
  readonly wasm: string
  readonly bold: string
  readonly regular: string
}

/** Where the build puts them, relative to the plugin folder. */
export const rendererFilesIn = (pluginDir: string): WasmRendererFiles => ({
  wasm: NodePath.join(pluginDir, "bin", "resvg.wasm"),
  bold: NodePath.join(pluginDir, "fonts", "DejaVuSans-Bold.ttf"),
  regular: NodePath.join(pluginDir, "fonts", "DejaVuSans.ttf")
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

const load = (files: WasmRendererFiles) =>
  Effect.tryPromise({
    try: async () => {
      const bold = readFileSync(files.bold)
      const regular = readFileSync(files.regular)
      await ensureWasm(files.wasm)
      return { bold, regular }
    },
    catch: (cause) =>
      new RendererLoadError({
        message: `cannot load the face renderer (${String(cause)}); the plugin folder is incomplete: install the plugin again`
      })
  })


export const wasmRendererLayer = (files: WasmRendererFiles): Layer.Layer<KeyRenderer, RendererLoadError> =>
  Layer.effect(
    KeyRenderer,
    Effect.gen(function*() {
      const bytes = yield* load(files)
      const fonts = { bold: parseFontMetrics(bytes.bold), regular: parseFontMetrics(bytes.regular) }
      const fontBuffers = [new Uint8Array(bytes.bold), new Uint8Array(bytes.regular)]
      /** WebAssembly memory is not garbage-collected: free every object once read. */
      const rasterize = <A>(face: Face, size: PixelSize, read: (image: ReturnType<InstanceType<typeof Resvg>["render"]>) => A): A => {
        const resvg = new Resvg(faceSvg(fonts, face, size), {
          font: { fontBuffers, defaultFontFamily: FONT_FAMILY }
        })
        try {
          const image = resvg.render()
          try {
            return read(image)
          } finally {
            image.free()
          }
        } finally {
          resvg.free()
        }
      }
      return KeyRenderer.of({
        render: (face, size) =>
          Effect.sync(() =>
            rasterize(face, size, (image): RenderedFace => ({
              width: image.width,
              height: image.height,
              rgba: Uint8Array.from(image.pixels)
            }))
          ),
        renderPng: (face, size) => Effect.sync(() => Uint8Array.from(rasterize(face, size, (image) => image.asPng()))),
        svg: (face, size) => Effect.sync(() => faceSvg(fonts, face, size))
      })
    })
  )
