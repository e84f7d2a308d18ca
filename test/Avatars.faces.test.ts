import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem } from "effect"
import { writeFileSync } from "node:fs"
import * as Path from "node:path"
import { AVATAR_TINTS, contrastRatio, type Face, type FaceAvatar, hexToRgb, initialsOf, MAX_FACE_AVATARS, type PixelSize } from "../src/index.ts"
import { solidPng } from "../src/testing/index.ts"
import { type Box, faceLayout, FONT_FILES, intersects, loadFonts, makeKeyRenderer, type RenderedFace } from "../src/face/KeyRenderer.ts"
import { noSystemFonts } from "../src/face/SystemFonts.ts"

const fonts = Effect.runSync(loadFonts(FONT_FILES, noSystemFonts))
const KEY: PixelSize = { width: 72, height: 72 }
const DIAL: PixelSize = { width: 200, height: 100 }
const MAGENTA = [255, 0, 255] as const

const peopleOf = (face: Face, size: PixelSize) => {
  const glyph = faceLayout(fonts, face, size).glyph
  assert.strictEqual(glyph?._tag, "Avatars")
  return glyph?._tag === "Avatars" ? glyph.people : []
}

const pixel = (r: RenderedFace, x: number, y: number) => {
  const i = (Math.round(y) * r.width + Math.round(x)) * 4
  return [r.rgba[i]!, r.rgba[i + 1]!, r.rgba[i + 2]!] as const
}
const near = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.every((v, i) => Math.abs(v - b[i]!) <= 8)
/** Inside a disc, above where initials sit. */
const probe = (box: Box) => ({ x: box.x + box.width / 2, y: box.y + box.height * 0.18 })

const channelKey = (avatars: ReadonlyArray<FaceAvatar>): Face => ({
  icon: "voice-channel",
  tone: "active",
  label: "Lounge",
  sublabel: "Stream Deck Lab",
  badge: "5",
  highlight: true,
  avatars
})

describe("faces with people", () => {
  it("initials: first letters of two words, upper case, '?' for a name without letters", () => {
    assert.deepStrictEqual(
      ["Ada Lovelace", "blair", "drew_bot", "Alex (mod)", "𝓐𝓵𝓮𝔁", "🦆Duck", "🦆🦆", "  "].map(initialsOf),
      ["AL", "B", "DB", "A", "A", "D", "?", "?"]
    )
  })

  it("every initials disc colour carries its ink at 4.5:1", () => {
    for (const tint of AVATAR_TINTS) assert.isAtLeast(contrastRatio(tint.fill, tint.ink), 4.5, tint.fill)
  })

  it("places up to four people where the glyph goes, clear of the text, the badge and each other's centres", () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ initials: `P${i}`, tint: i }))
    for (const size of [KEY, { width: 96, height: 96 }, { width: 144, height: 112 }, DIAL]) {
      const layout = faceLayout(fonts, channelKey(many), size)
      const people = peopleOf(channelKey(many), size)
      assert.strictEqual(people.length, MAX_FACE_AVATARS)
      for (const person of people) {
        const { box } = person
        assert.isAbove(box.width, Math.min(size.width, size.height) * 0.15, `a disc readable at ${size.width}×${size.height}`)
        assert.isTrue(box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width && box.y + box.height <= size.height)
        for (const line of layout.lines) assert.isFalse(intersects(box, line.box), `${line.text} is not covered`)
        if (layout.badge !== undefined) assert.isFalse(intersects(box, layout.badge.box), "the badge is not covered")
      }
      // overlapping a little is the point of a row; hiding someone is not
      const centres = people.map((p) => p.box.x + p.box.width / 2)
      assert.strictEqual(new Set(centres.map((c, i) => `${Math.round(c)}/${Math.round(people[i]!.box.y)}`)).size, people.length)
    }
  })

  it.effect("draws a person's picture in their disc, and their initials' colour while the file is missing", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-faces-" })
      const file = Path.join(dir, "100000000000000001-0123456789abcdef0123456789abcdef.png")
      const renderer = yield* makeKeyRenderer(FONT_FILES, noSystemFonts)
      const face = channelKey([{ initials: "AL", tint: 0, image: file }, { initials: "B", tint: 3 }])
      const [ada, blair] = peopleOf(face, KEY)

      // not fetched yet (offline, 404, avatars off): the disc and initials, nothing logged
      const before = yield* renderer.render(face, KEY)
      assert.isTrue(near(pixel(before, probe(ada!.box).x, probe(ada!.box).y), hexToRgb(AVATAR_TINTS[0]!.fill)!))

      // the picture arrives: the same face now shows it (the cache keys on the file), the other disc is unchanged
      writeFileSync(file, solidPng(MAGENTA, 64))
      const after = yield* renderer.render(face, KEY)
      assert.isTrue(near(pixel(after, probe(ada!.box).x, probe(ada!.box).y), MAGENTA), "the picture fills the disc")
      assert.isTrue(near(pixel(after, probe(blair!.box).x, probe(blair!.box).y), hexToRgb(AVATAR_TINTS[3]!.fill)!))

      // evicted from the cache directory: back to initials
      yield* fs.remove(file)
      const evicted = yield* renderer.render(face, KEY)
      assert.deepStrictEqual(evicted.rgba, before.rgba)

      // a file that is no picture is initials too
      writeFileSync(file, "<html>captive portal</html>")
      assert.deepStrictEqual((yield* renderer.render(face, KEY)).rgba, before.rgba)
    }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)))

  it.effect("the user-volume dial shows its user's picture, and speaking rings both the person and the strip", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-faces-" })
      const file = Path.join(dir, "picture.png")
      writeFileSync(file, solidPng(MAGENTA, 64))
      const renderer = yield* makeKeyRenderer(FONT_FILES, noSystemFonts)
      const dial: Face = { tone: "neutral", label: "Blair", sublabel: "100%", value: 0.5, mark: 0.5, avatars: [{ initials: "B", image: file }] }
      const [person] = peopleOf(dial, DIAL)
      const quiet = yield* renderer.render(dial, DIAL)
      const { x } = probe(person!.box)
      assert.isTrue(near(pixel(quiet, person!.box.x + person!.box.width / 2, person!.box.y + person!.box.height / 2), MAGENTA))
      const speaking = yield* renderer.render({ ...dial, highlight: true, avatars: [{ initials: "B", image: file, speaking: true }] }, DIAL)
      const green = hexToRgb("#23A55A")!
      // the ring sits just inside the disc's edge; the strip's ring along the control's edge
      const ringY = person!.box.y + person!.box.height * 0.06
      assert.isTrue(near(pixel(speaking, x, ringY), green), "a ring around the person")
      assert.isTrue(near(pixel(speaking, DIAL.width / 2, 1), green), "the strip's speaking ring stays")
      assert.isFalse(near(pixel(quiet, x, ringY), green))
    }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)))
})
