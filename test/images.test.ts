/**
 * Custom key pictures: `image` and `images: { on, off }` in the layout, resolved relative to
 * the config file, drawn by the renderer scaled to the key; a bad file is logged with its
 * path and the key keeps its own face.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Resvg } from "@resvg/resvg-js"
import { Effect, Result } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
// white-box: a face needs the mute action's own initial state
import { mute } from "../src/control/actions/index.ts"
import {
  type Binding,
  bindingFace,
  decodeLayout,
  type Face,
  KeyRenderer,
  type RenderedFace,
  type VoiceModel
} from "../src/index.ts"
import { captureLogs } from "./support/effects.ts"

const folder = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-images-"))
const solidSvg = (colour: string, w = 10, h = 10) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="${colour}"/></svg>`
const write = (name: string, data: string | Uint8Array) => {
  const file = Path.join(folder, name)
  Fs.writeFileSync(file, data)
  return file
}
const RED_PNG = write("red.png", new Resvg(solidSvg("#ff0000")).render().asPng())
const BLUE_SVG = write("blue.svg", solidSvg("#0000ff"))
/** Twice as wide as tall: scaled to fit a square key, with the key's background above and below. */
const WIDE_SVG = write("wide.svg", solidSvg("#00ff00", 20, 10))
const NOT_AN_IMAGE = write("notes.png", "these are my notes")
const MISSING = Path.join(folder, "missing.png")

const KEY = { width: 72, height: 72 }
const pixel = (r: RenderedFace, x: number, y: number) => [...r.rgba.slice((y * r.width + x) * 4, (y * r.width + x) * 4 + 3)]
const OWN: Face = { icon: "mic", tone: "neutral", label: "Mic on" }

const withRenderer = <A, E>(f: (renderer: KeyRenderer["Service"], logs: ReadonlyArray<string>) => Effect.Effect<A, E>) => {
  const logs = captureLogs()
  return Effect.gen(function*() {
    return yield* f(yield* KeyRenderer, logs.lines)
  }).pipe(
    Effect.provide(KeyRenderer.layer),
    Effect.provide(logs.layer)
  )
}

describe("key pictures in the renderer", () => {
  it.effect("a PNG or SVG fills the key, scaled to it, instead of the icon and text", () =>
    withRenderer((renderer) =>
      Effect.gen(function*() {
        const png = yield* renderer.render({ ...OWN, image: RED_PNG }, KEY)
        for (const [x, y] of [[1, 1], [36, 36], [70, 70], [36, 65]] as const) expect(pixel(png, x, y)).toEqual([255, 0, 0])
        const svg = yield* renderer.render({ ...OWN, image: BLUE_SVG }, KEY)
        for (const [x, y] of [[1, 1], [36, 36], [70, 70]] as const) expect(pixel(svg, x, y)).toEqual([0, 0, 255])
        const wide = yield* renderer.render({ ...OWN, image: WIDE_SVG }, KEY)
        expect(pixel(wide, 36, 36)).toEqual([0, 255, 0])
        expect(pixel(wide, 36, 5)).toEqual([0, 0, 0]) // letterboxed: aspect kept
        // cached like every face
        assert.strictEqual(yield* renderer.render({ ...OWN, image: RED_PNG }, KEY), png)
      })
    ))

  it.effect("an error overlay still shows over a picture", () =>
    withRenderer((renderer) =>
      Effect.gen(function*() {
        const plain = yield* renderer.render({ ...OWN, image: RED_PNG }, KEY)
        const failed = yield* renderer.render({ ...OWN, image: RED_PNG, overlay: "error" }, KEY)
        expect(pixel(failed, 1, 36)).not.toEqual(pixel(plain, 1, 36))
        expect(pixel(failed, 36, 36)).toEqual([255, 0, 0])
      })
    ))

  it.effect("a missing or non-image file is logged once with its path, and the key keeps its own face", () =>
    withRenderer((renderer, logs) =>
      Effect.gen(function*() {
        const own = yield* renderer.render(OWN, KEY)
        for (const [file, why] of [[MISSING, "no such file"], [NOT_AN_IMAGE, "not a PNG, JPEG or SVG file"]] as const) {
          const shown = yield* renderer.render({ ...OWN, image: file }, KEY)
          expect([...shown.rgba]).toEqual([...own.rgba])
          yield* renderer.render({ ...OWN, image: file }, KEY)
          expect(logs.filter((l) => l.includes(`image ${file}: ${why}; the key shows its own face instead`))).toHaveLength(1)
        }
      })
    ))

  it.effect("a fixed or edited file shows at the next render, under the same path", () =>
    withRenderer((renderer) =>
      Effect.gen(function*() {
        const file = Path.join(folder, "later.svg")
        Fs.rmSync(file, { force: true })
        const before = yield* renderer.render({ ...OWN, image: file }, KEY)
        expect(pixel(before, 36, 5)).toEqual([0, 0, 0])
        Fs.writeFileSync(file, solidSvg("#0000ff"))
        expect(pixel(yield* renderer.render({ ...OWN, image: file }, KEY), 36, 5)).toEqual([0, 0, 255])
        Fs.writeFileSync(file, solidSvg("#ff00ff", 10, 11)) // another size: another stamp
        expect(pixel(yield* renderer.render({ ...OWN, image: file }, KEY), 36, 36)).toEqual([255, 0, 255])
      })
    ))
})

describe("key pictures in the layout", () => {
  const binding = (raw: unknown): Binding => {
    const result = decodeLayout({ "*": { keys: { "0": raw } } })
    assert.isTrue(Result.isSuccess(result), Result.isFailure(result) ? result.failure.message : "")
    return Result.isSuccess(result) ? result.success.decks.get("*")!.keys.get(0)! : (undefined as never)
  }
  const problems = (raw: unknown) => {
    const result = decodeLayout({ "*": { keys: { "0": raw } } })
    return Result.isFailure(result) ? result.failure.problems : []
  }

  it("decodes image and images, and names the path of a mistake", () => {
    expect(binding({ action: "mute", image: "keys/afk.PNG", images: { on: "muted.svg" } })).toMatchObject({
      image: "keys/afk.PNG",
      images: { on: "muted.svg" }
    })
    const at = `at ["decks"]["*"]["keys"]["0"]`
    expect(problems({ action: "mute", image: "afk.gif" })).toEqual([
      `${at}["image"]: expected a .png, .jpg or .svg file (relative to the config file's folder), got "afk.gif"`
    ])
    expect(problems({ action: "mute", images: { muted: "a.png", off: 3 } })).toEqual([
      `${at}["images"]["muted"]: unknown state; "on" and "off" are allowed here`,
      `${at}["images"]["off"]: expected a .png, .jpg or .svg file (relative to the config file's folder), got 3`
    ])
    expect(problems({ action: "multi", steps: [{ action: "mute", image: "a.png" }] })).toEqual([
      `${at}["steps"][0]["image"]: a step has no face of its own; put "image" on the multi-action itself`
    ])
  })

  it("a key shows its on or off picture by its state, resolved from the config file's folder", () => {
    const live = (muted: boolean) =>
      ({ connection: { _tag: "Ready" }, synced: true, muted, deafened: false }) as unknown as VoiceModel
    const b = binding({ action: "mute", image: "live.png", images: { on: "muted.png" } })
    const face = (muted: boolean, configured = true) =>
      bindingFace(live(muted), b, "key", { local: mute.initial({}), overlay: undefined }, configured, "/home/me/.config/deckcord")
    expect(face(true).image).toBe("/home/me/.config/deckcord/muted.png")
    expect(face(false).image).toBe("/home/me/.config/deckcord/live.png") // no "off": the binding's image
    expect(face(false).label).toBe("Mic on") // the own face stays underneath, for a bad file
    // while Discord cannot be used the key says why, picture or not
    expect(face(true, false).image).toBeUndefined()
    const absolute = binding({ action: "mute", image: "/srv/keys/afk.svg" })
    expect(bindingFace(live(false), absolute, "key", { local: mute.initial({}), overlay: undefined }, true, "/etc").image)
      .toBe("/srv/keys/afk.svg")
  })
})
