import { describe, expect, it, layer } from "@effect/vitest"
import { NodeServices } from "@effect/platform-node"
import { Effect, FileSystem, Layer, Path } from "effect"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { PREVIEW_FACES, PREVIEW_SIZES, renderPreviews } from "../src/cli/render.ts"
import { type Face, ICON_NAMES, type PixelSize } from "../src/services/Face.ts"
import { FontParseError, parseFontMetrics, textWidth } from "../src/services/FontMetrics.ts"
import {
  escapeXml,
  faceKey,
  fitText,
  FONT_FILES,
  KeyRenderer,
  RENDER_CACHE_MAX_ENTRIES,
  type RenderedFace,
  REPLACEMENT_CHAR,
  sanitizeText
} from "../src/services/KeyRenderer.ts"

const bold = parseFontMetrics(readFileSync(FONT_FILES.bold))

const square = (px: number): PixelSize => ({ width: px, height: px })
const sha256 = (r: RenderedFace) => createHash("sha256").update(r.rgba).digest("hex")

/** Pixels close to an exact colour (anti-aliased edges excluded). */
const countColour = (
  r: RenderedFace,
  [cr, cg, cb]: readonly [number, number, number],
  tolerance = 40,
  fromRow = 0
) => {
  let count = 0
  for (let i = fromRow * r.width * 4; i < r.rgba.length; i += 4) {
    if (
      Math.abs((r.rgba[i] ?? 0) - cr) <= tolerance &&
      Math.abs((r.rgba[i + 1] ?? 0) - cg) <= tolerance &&
      Math.abs((r.rgba[i + 2] ?? 0) - cb) <= tolerance
    ) count++
  }
  return count
}
const MAGENTA = [255, 0, 255] as const
/** Pixels with a magenta tint: label text, anti-aliased edges included (small text is mostly edges). */
const countMagentaTint = (r: RenderedFace, fromRow = 0) => {
  let count = 0
  for (let i = fromRow * r.width * 4; i < r.rgba.length; i += 4) {
    const red = r.rgba[i] ?? 0
    const green = r.rgba[i + 1] ?? 0
    const blue = r.rgba[i + 2] ?? 0
    if (red > green + 50 && blue > green + 50) count++
  }
  return count
}

describe("FontMetrics", () => {
  it("reads advances and cap height from the bundled font", () => {
    expect(bold.unitsPerEm).toBe(2048)
    expect(bold.capHeight).toBeGreaterThan(0.6)
    expect(bold.capHeight).toBeLessThan(0.8)
    // "W" is wider than "i" in any proportional font; "…" is in DejaVu
    expect(textWidth(bold, "W")).toBeGreaterThan(textWidth(bold, "i"))
    expect(bold.advances.has("…".codePointAt(0)!)).toBe(true)
    expect(bold.advances.has("田".codePointAt(0)!)).toBe(false)
  })

  it("rejects a file that is not a font with a typed error", () => {
    expect(() => parseFontMetrics(new Uint8Array([1, 2, 3]))).toThrow(FontParseError)
    expect(() => parseFontMetrics(new TextEncoder().encode("this is not a TrueType font at all"))).toThrow(FontParseError)
  })
})

describe("text", () => {
  it("replaces or drops what the font cannot draw, never returning nothing for visible text", () => {
    expect(sanitizeText(bold, "🎮 Gamer 田中")).toBe(`Gamer ${REPLACEMENT_CHAR}${REPLACEMENT_CHAR}`)
    expect(sanitizeText(bold, "𝓐𝓵𝓲𝓬𝓮")).toBe("Alice") // Discord "fancy" letters fold to plain ones
    expect(sanitizeText(bold, "Ｆｕｌｌ")).toBe("Full")
    expect(sanitizeText(bold, "👍🏽 ok")).toBe("ok") // skin tone modifier dropped with its emoji
    expect(sanitizeText(bold, "🎮🎮")).toBe(REPLACEMENT_CHAR)
    expect(sanitizeText(bold, "line\nbreak\t tab")).toBe("line break tab")
    expect(sanitizeText(bold, "Ünïcødé")).toBe("Ünïcødé")
    expect(sanitizeText(bold, "   ")).toBe("")
  })

  it("keeps a label that fits at the largest size", () => {
    const fitted = fitText(bold, "Mute", 80, 16, 8)
    expect(fitted).toMatchObject({ text: "Mute", fontSize: 16 })
    expect(fitted.width).toBeLessThanOrEqual(80)
  })

  it("shrinks a longer label before cutting it", () => {
    const fitted = fitText(bold, "Voice Channel", 80, 16, 8)
    expect(fitted.text).toBe("Voice Channel")
    expect(fitted.fontSize).toBeLessThan(16)
    expect(fitted.fontSize).toBeGreaterThanOrEqual(8)
    expect(fitted.width).toBeLessThanOrEqual(80)
  })

  it("ellipsizes at the minimum size when shrinking is not enough", () => {
    const fitted = fitText(bold, "The Extremely Long Voice Channel Name", 60, 16, 9)
    expect(fitted.fontSize).toBe(9)
    expect(fitted.text.endsWith("…")).toBe(true)
    expect(fitted.text.length).toBeGreaterThan(3)
    expect(fitted.width).toBeLessThanOrEqual(60)
    expect("The Extremely Long Voice Channel Name".startsWith(fitted.text.slice(0, -1))).toBe(true)
  })

  it("escapes the XML special characters", () => {
    expect(escapeXml(`<b>&"'</b>`)).toBe("&lt;b&gt;&amp;&quot;&apos;&lt;/b&gt;")
  })

  it("keys faces by content, not by property order or unknown fields", () => {
    const a: Face = { icon: "mic", label: "x", tone: "muted" }
    const b = { tone: "muted", label: "x", icon: "mic", extra: 1 } as Face
    expect(faceKey(a, square(96))).toBe(faceKey(b, square(96)))
    expect(faceKey(a, square(96))).not.toBe(faceKey(a, square(72)))
    expect(faceKey(a, square(96))).not.toBe(faceKey({ ...a, highlight: true }, square(96)))
  })
})

layer(KeyRenderer.layer)("KeyRenderer", (it) => {
  const GOLDEN: ReadonlyArray<readonly [string, Face]> = [
    ["icon only", { icon: "mic" }],
    ["muted with label", { icon: "mic-off", label: "Muted", tone: "muted" }],
    ["channel with badge and ring", { icon: "voice-channel", label: "General", badge: "3", tone: "active", highlight: true }],
    ["volume bar", { icon: "volume", label: "Output", value: 0.35 }],
    ["label and sublabel", { label: "Gaming", sublabel: "4 in channel" }],
    ["pending", { icon: "camera", label: "Camera", overlay: "pending" }],
    ["error", { icon: "leave-call", label: "Leave", overlay: "error", tone: "offline" }]
  ]

  for (const px of [72, 96, 120]) {
    it.effect(`renders the golden faces at ${px} px (pixel hashes)`, () =>
      Effect.gen(function*() {
        const renderer = yield* KeyRenderer
        const hashes: Record<string, string> = {}
        for (const [name, face] of GOLDEN) {
          const r = yield* renderer.render(face, square(px))
          expect(r.rgba.length).toBe(px * px * 4)
          hashes[name] = sha256(r)
        }
        expect(new Set(Object.values(hashes)).size).toBe(GOLDEN.length)
        expect(hashes).toMatchSnapshot()
      }))
  }

  it.effect("renders exactly the requested size, square or not", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const face: Face = { icon: "headphones", label: "Deafen", sublabel: "on", badge: "2", value: 0.5 }
      for (const [width, height] of [[72, 72], [80, 80], [96, 96], [112, 112], [120, 120], [144, 112], [160, 160], [200, 100], [248, 58]] as const) {
        const r = yield* renderer.render(face, { width, height })
        expect([r.width, r.height, r.rgba.length]).toEqual([width, height, width * height * 4])
        // opaque everywhere: the deck has no alpha channel
        for (let i = 3; i < r.rgba.length; i += 4) if (r.rgba[i] !== 255) throw new Error(`transparent pixel at ${i}`)
      }
    }))

  it.effect("draws a long label, shrunk and ellipsized rather than lost", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const long = "The Extremely Long Voice Channel Name That Never Ends"
      for (const px of [72, 96, 120]) {
        const face: Face = { icon: "voice-channel", label: long, foreground: "#FF00FF" }
        const labelled = yield* renderer.render(face, square(px))
        const svg = yield* renderer.svg(face, square(px))
        expect(svg).toContain("…")
        // rows below the icon hold only the label: label-coloured pixels there are text, not a stray dot
        const icon = /<svg x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/.exec(svg)
        expect(icon).not.toBeNull()
        const belowIcon = Math.ceil(Number(icon?.[1]) + Number(icon?.[2])) + 1
        expect(countMagentaTint(labelled, belowIcon)).toBeGreaterThan(px)
        const textOnly = yield* renderer.render({ label: long, foreground: "#FF00FF" }, square(px))
        expect(countMagentaTint(textOnly)).toBeGreaterThan(px * 2)
      }
    }))

  it.effect("draws labels made only of characters the font lacks as a visible replacement", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const blank = yield* renderer.render({ foreground: "#FF00FF" }, square(96))
      expect(countColour(blank, MAGENTA)).toBe(0)
      const emoji = yield* renderer.render({ label: "🎮🔥", foreground: "#FF00FF" }, square(96))
      expect(countColour(emoji, MAGENTA)).toBeGreaterThan(20)
      const svg = yield* renderer.svg({ label: "🎮 田中 ok" }, square(96))
      expect(svg).not.toMatch(/[\u{1F3AE}\u7530]/u)
      expect(svg).toContain(`${REPLACEMENT_CHAR}${REPLACEMENT_CHAR} ok`)
    }))

  it.effect("escapes XML in labels, sublabels and badges and still draws them", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const face: Face = { label: `<b>&"'</b>`, sublabel: "a < b", badge: "&", foreground: "#FF00FF" }
      const svg = yield* renderer.svg(face, square(96))
      expect(svg).toContain("&lt;b&gt;&amp;&quot;&apos;&lt;/b&gt;")
      expect(svg).toContain("a &lt; b")
      expect(svg).not.toContain("<b>")
      // the escaped label itself is drawn (the badge pill alone would also be magenta: leave it out)
      const r = yield* renderer.render({ label: `<b>&"'</b>`, foreground: "#FF00FF" }, square(96))
      expect(countMagentaTint(r)).toBeGreaterThan(100)
    }))

  it.effect("ignores colour overrides that are not #rgb/#rrggbb", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const plain = yield* renderer.render({ icon: "mic" }, square(72))
      const hostile = yield* renderer.render({ icon: "mic", background: `red"/><script/>`, foreground: "blue" }, square(72))
      expect(sha256(hostile)).toBe(sha256(plain))
      const custom = yield* renderer.render({ icon: "mic", background: "#5865F2" }, square(72))
      expect(countColour(custom, [0x58, 0x65, 0xf2], 2)).toBeGreaterThan(72 * 72 / 2)
    }))

  it.effect("draws every icon, each one different", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const hashes = new Set<string>()
      for (const icon of ICON_NAMES) {
        const r = yield* renderer.render({ icon, foreground: "#FF00FF" }, square(72))
        expect(countColour(r, MAGENTA), icon).toBeGreaterThan(80)
        hashes.add(sha256(r))
      }
      expect(hashes.size).toBe(ICON_NAMES.length)
    }))

  it.effect("shows state decorations: tone, ring, value bar, overlays change the pixels", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const base: Face = { icon: "mic", label: "Mic" }
      const variants: ReadonlyArray<Face> = [
        base,
        { ...base, tone: "muted" },
        { ...base, highlight: true },
        { ...base, value: 0.5 },
        { ...base, value: 0.9 },
        { ...base, badge: "1" },
        { ...base, overlay: "pending" },
        { ...base, overlay: "error" }
      ]
      const hashes = new Set<string>()
      for (const face of variants) hashes.add(sha256(yield* renderer.render(face, square(96))))
      expect(hashes.size).toBe(variants.length)
      const muted = yield* renderer.render({ ...base, tone: "muted" }, square(96))
      expect(countColour(muted, [0xed, 0x42, 0x45], 2)).toBeGreaterThan(96 * 96 / 2)
    }))

  it.effect("returns the cached buffer for equal faces and evicts the least recently used", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const first = yield* renderer.render({ icon: "mic", label: "cache" }, square(72))
      const again = yield* renderer.render({ label: "cache", icon: "mic" }, square(72))
      expect(again).toBe(first)
      const otherSize = yield* renderer.render({ icon: "mic", label: "cache" }, square(96))
      expect(otherSize).not.toBe(first)
      // fill the cache past its bound; `first` is the oldest entry, so it is evicted and re-rendered
      for (let i = 0; i < RENDER_CACHE_MAX_ENTRIES; i++) yield* renderer.render({ label: `fill ${i}` }, square(8))
      const recomputed = yield* renderer.render({ icon: "mic", label: "cache" }, square(72))
      expect(recomputed).not.toBe(first)
      expect(sha256(recomputed)).toBe(sha256(first))
    }))

  it.effect("renders PNG previews", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const png = yield* renderer.renderPng({ icon: "setup", label: "Set up" }, { width: 144, height: 112 })
      expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
      // IHDR width and height
      const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
      expect([view.getUint32(16), view.getUint32(20)]).toEqual([144, 112])
    }))

  it.effect("refuses sizes that are not whole pixels", () =>
    Effect.gen(function*() {
      const renderer = yield* KeyRenderer
      const exit = yield* Effect.exit(renderer.render({ icon: "mic" }, { width: 0, height: 72 }))
      expect(exit._tag).toBe("Failure")
    }))
})

layer(KeyRenderer.layer.pipe(Layer.merge(NodeServices.layer)))("deckcord render", (it) => {
  it.effect("writes a preview per face and size, contact sheets and an index", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-render-" })
      const { files, sheets } = yield* renderPreviews(dir)
      expect(files).toBe(PREVIEW_FACES.length * PREVIEW_SIZES.length)
      for (const px of PREVIEW_SIZES) {
        const written = yield* fs.readDirectory(path.join(dir, String(px)))
        expect(written.length).toBe(PREVIEW_FACES.length)
      }
      // every icon is among the previews
      for (const icon of ICON_NAMES) expect(PREVIEW_FACES.some((p) => p.face.icon === icon)).toBe(true)
      const index = yield* fs.readFileString(path.join(dir, "index.html"))
      for (const sheet of sheets) {
        expect(index).toContain(sheet)
        const png = yield* fs.readFile(path.join(dir, sheet))
        expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]) // "PNG"
      }
    }))
})
