/**
 * The plugin's WebAssembly renderer draws pictures as the daemon's does: a custom image fills
 * the key, people's avatars sit in their discs, and a file that cannot be read leaves the
 * key's own face (initials for a person).
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Layer } from "effect"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { type Face, KeyRenderer, type RenderedFace } from "../../src/index.ts"
import { rendererFilesOfRepo, wasmRendererLayer } from "../../src/plugin/WasmRenderer.ts"
import { solidPng } from "../../src/testing/index.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))
const SIZE = { width: 144, height: 144 }
const magentaPixels = (face: RenderedFace) => {
  let n = 0
  for (let i = 0; i < face.rgba.length; i += 4) {
    if (face.rgba[i]! > 230 && face.rgba[i + 1]! < 30 && face.rgba[i + 2]! > 230) n++
  }
  return n
}

const renderer = wasmRendererLayer(rendererFilesOfRepo(root)).pipe(Layer.orDie)

describe("WasmRenderer", () => {
  it.effect("draws a custom image over the key and a person's picture in their disc; a missing file leaves the own face", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-wasm-" })
      const picture = Path.join(dir, "magenta.png")
      yield* fs.writeFile(picture, solidPng([255, 0, 255], 64))
      const render = (face: Face) => KeyRenderer.use((r) => r.render(face, SIZE))

      const person = { initials: "BL", tint: 0 }
      const withPicture = yield* render({ icon: "voice-channel", label: "Lounge", avatars: [{ ...person, image: picture }] })
      const withInitials = yield* render({ icon: "voice-channel", label: "Lounge", avatars: [person] })
      const missing = yield* render({ icon: "voice-channel", label: "Lounge", avatars: [{ ...person, image: Path.join(dir, "gone.png") }] })
      const image = yield* render({ icon: "mic", label: "Mute", image: picture })

      assert.isAbove(magentaPixels(withPicture), 100, "the picture is in the disc")
      assert.isBelow(magentaPixels(withPicture), (SIZE.width * SIZE.height) / 4, "in a disc, not over the key")
      assert.strictEqual(magentaPixels(withInitials), 0)
      assert.strictEqual(magentaPixels(missing), 0, "initials while the file is missing")
      assert.isAbove(magentaPixels(image), SIZE.width * SIZE.height * 0.9, "a custom image fills the key")
    }).pipe(Effect.provide(Layer.mergeAll(renderer, NodeServices.layer))))
})
