import { describe, expect, it, layer } from "@effect/vitest"
import { NodeServices } from "@effect/platform-node"
import { Effect, FileSystem, Layer, Path } from "effect"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import {
  ALERT_COLOR,
  ALERT_EDGE,
  contrastRatio,
  type Face,
  faceColor,
  ICON_NAMES,
  KeyRenderer,
  PENDING_COLOR,
  type PixelSize,
  type RenderedFace,
  SPEAKING_RING,
  TONE_COLORS
} from "../src/index.ts"
import { PREVIEW_FACES, PREVIEW_SIZES, renderPreviews, renderSheet, SHEET_FACES } from "../src/cli/render.ts"
// white-box: font metrics, text fitting, the SVG document and the font lookup are the renderer's
// internals, tested here one by one
import { FontParseError, hasGlyph, parseFontMetrics, textWidth } from "../src/face/FontMetrics.ts"
import {
  type Box,
  escapeXml,
  faceKey,
  faceLayout,
  fitText,
  FONT_FILES,
  intersects,
  loadFonts,
  makeKeyRenderer,
  RENDER_CACHE_MAX_ENTRIES,
  REPLACEMENT_CHAR,
  sanitizeText
} from "../src/face/KeyRenderer.ts"
import { fontconfigLookup, noSystemFonts, type SystemFontLookup } from "../src/face/SystemFonts.ts"

const bold = parseFontMetrics(readFileSync(FONT_FILES.label))
/** The bundled fonts only: what a machine without any system font draws. */
const fonts = Effect.runSync(loadFonts(FONT_FILES, noSystemFonts))
/** A CJK font cut to 田中さん, standing in for a system font fontconfig would find. */
const CJK_FIXTURE = fileURLToPath(new URL("./fixtures/fonts/DroidSansFallback-subset.ttf", import.meta.url))
const fixtureLookup: SystemFontLookup = () => ({ file: CJK_FIXTURE, family: "Droid Sans Fallback" })

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
    expect(hasGlyph(bold, "…".codePointAt(0)!)).toBe(true)
    expect(hasGlyph(bold, "田".codePointAt(0)!)).toBe(false)
  })

  it("rejects a file that is not a font with a typed error", () => {
    expect(() => parseFontMetrics(new Uint8Array([1, 2, 3]))).toThrow(FontParseError)
    expect(() => parseFontMetrics(new TextEncoder().encode("this is not a TrueType font at all"))).toThrow(FontParseError)
  })
})

describe("text", () => {
  it("keeps emoji (bundled emoji font), replaces what no font draws, never returns nothing for visible text", () => {
    const label = fonts.label
    expect(sanitizeText(label, "🎮 Gamer 田中")).toBe(`🎮 Gamer ${REPLACEMENT_CHAR}${REPLACEMENT_CHAR}`)
    expect(sanitizeText(label, "𝓐𝓵𝓲𝓬𝓮")).toBe("Alice") // Discord "fancy" letters fold to plain ones
    expect(sanitizeText(label, "Ｆｕｌｌ")).toBe("Full")
    expect(sanitizeText(label, "👍🏽 ok")).toBe("👍 ok") // the skin tone modifier goes, the emoji stays
    expect(sanitizeText(label, "Ünïcødé Ωμέγα Привет")).toBe("Ünïcødé Ωμέγα Привет")
    expect(sanitizeText(label, "line\nbreak\t tab")).toBe("line break tab")
    expect(sanitizeText(label, "\u{E000}\u{E001}")).toBe(`${REPLACEMENT_CHAR}${REPLACEMENT_CHAR}`)
    expect(sanitizeText(label, "   ")).toBe("")
  })

  it("draws CJK with a system font when one covers it, and only then", () => {
    const withCjk = Effect.runSync(loadFonts(FONT_FILES, fixtureLookup))
    expect(sanitizeText(withCjk.label, "田中さん")).toBe("田中さん")
    // a font fontconfig offers that lacks the character is no fallback
    expect(sanitizeText(withCjk.label, "鈴木")).toBe(`${REPLACEMENT_CHAR}${REPLACEMENT_CHAR}`)
    const layout = faceLayout(withCjk, { icon: "user", label: "田中さん" }, square(72))
    expect(layout.lines[0]?.text).toBe("田中さん")
    expect(layout.fontFiles).toContain(CJK_FIXTURE)
    expect(layout.lines[0]?.families).toContain("Droid Sans Fallback")
  })

  it("keeps a label that fits at the largest size", () => {
    const fitted = fitText(fonts.label, "Mute", 80, 16, 8)
    expect(fitted).toMatchObject({ text: "Mute", fontSize: 16 })
    expect(fitted.width).toBeLessThanOrEqual(80)
  })

  it("shrinks a longer label before cutting it", () => {
    const fitted = fitText(fonts.label, "Voice Channel", 80, 16, 8)
    expect(fitted.text).toBe("Voice Channel")
    expect(fitted.fontSize).toBeLessThan(16)
    expect(fitted.fontSize).toBeGreaterThanOrEqual(8)
    expect(fitted.width).toBeLessThanOrEqual(80)
  })

  it("ellipsizes at the minimum size when shrinking is not enough", () => {
    const fitted = fitText(fonts.label, "The Extremely Long Voice Channel Name", 60, 16, 9)
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

layer(Layer.orDie(KeyRenderer.layer))("KeyRenderer", (it) => {
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

  it.effect("draws emoji and CJK names as glyphs, not as ?? (emoji font bundled, CJK from a system font)", () =>
    Effect.gen(function*() {
      const bare = yield* makeKeyRenderer(FONT_FILES, noSystemFonts)
      const withCjk = yield* makeKeyRenderer(FONT_FILES, fixtureLookup)
      const blank = yield* bare.render({ foreground: "#FF00FF" }, square(96))
      expect(countColour(blank, MAGENTA)).toBe(0)
      // emoji: drawn by the bundled font on any machine
      const emoji = yield* bare.render({ label: "🎮🔥", foreground: "#FF00FF" }, square(96))
      expect(countMagentaTint(emoji)).toBeGreaterThan(150)
      expect(yield* bare.svg({ label: "🎮🔥" }, square(96))).toContain("🎮🔥")
      // CJK: drawn with the font fontconfig would find; without one it is "?", never an empty box
      const cjk = yield* withCjk.render({ label: "田中", foreground: "#FF00FF" }, square(96))
      const question = yield* bare.render({ label: "??", foreground: "#FF00FF" }, square(96))
      expect(countMagentaTint(cjk)).toBeGreaterThan(countMagentaTint(question) * 1.5)
      expect(yield* withCjk.svg({ label: "田中" }, square(96))).toContain("田中")
      expect(yield* bare.svg({ label: "田中 ok" }, square(96))).toContain(`${REPLACEMENT_CHAR}${REPLACEMENT_CHAR} ok`)
      // a sound's emoji as the big glyph
      const glyph = yield* bare.render({ icon: "soundboard", glyph: "🎺", foreground: "#FF00FF" }, square(72))
      const icon = yield* bare.render({ icon: "soundboard", foreground: "#FF00FF" }, square(72))
      expect(countMagentaTint(glyph)).toBeGreaterThan(150)
      expect(sha256(glyph)).not.toBe(sha256(icon))
    }))

  it.effect("fails with a typed FontLoadError (not a defect) when a bundled font is missing", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(makeKeyRenderer({ ...FONT_FILES, label: "/nonexistent/RobotoCondensed-Bold.ttf" }, noSystemFonts))
      expect(error._tag).toBe("FontLoadError")
      expect(error.message).toContain("reinstall deckcord")
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
      expect(countColour(muted, [0x4a, 0x0f, 0x13], 2)).toBeGreaterThan(96 * 96 / 2) // TONE_COLORS.muted.background
      expect(countColour(muted, [0xff, 0x7a, 0x7e], 24)).toBeGreaterThan(200) // its red glyph and label
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

layer(NodeServices.layer)("deckcord render", (it) => {
  it.effect("refuses an --out that is a file with a clear error, not a stack trace", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-render-" })
      const file = path.join(dir, "existing.png")
      yield* fs.writeFileString(file, "not a directory")
      const error = yield* Effect.flip(renderPreviews(file))
      expect(error._tag).toBe("RenderOutputError")
      expect(error.message).toContain(`--out ${file} is a file, not a directory`)
      expect(yield* fs.readFileString(file)).toBe("not a directory") // untouched
      const sheetError = yield* Effect.flip(renderSheet(dir))
      expect(sheetError.message).toContain("is a directory")
    }))

  it.effect("writes the README's contact sheet", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-sheet-" })
      const file = path.join(dir, "docs", "faces.png")
      const { faces } = yield* renderSheet(file)
      expect(faces).toBe(SHEET_FACES.length)
      const png = yield* fs.readFile(file)
      expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47])
    }))

  it.effect("keeps the README's picture current (run `npm run faces` after changing a face)", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-sheet-" })
      const fresh = path.join(dir, "faces.png")
      yield* renderSheet(fresh)
      const committed = yield* fs.readFile(fileURLToPath(new URL("../docs/faces.png", import.meta.url)))
      const same = Buffer.from(yield* fs.readFile(fresh)).equals(Buffer.from(committed))
      expect(same, "docs/faces.png is out of date: run `npm run faces` and commit it").toBe(true)
    }))

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

// ---------------------------------------------------------------------------------------------
// layout: what is where, and whether it can be read
// ---------------------------------------------------------------------------------------------

const KEY_SIZES: ReadonlyArray<PixelSize> = [72, 80, 96, 120, 160].map(square)
const ALL_SIZES: ReadonlyArray<PixelSize> = [...KEY_SIZES, { width: 144, height: 112 }, { width: 200, height: 100 }, { width: 248, height: 58 }]
/** Faces of every shape the actions produce. */
const SHAPES: ReadonlyArray<Face> = [
  { icon: "mic-off", label: "Muted", tone: "muted" },
  { icon: "headphones-off", label: "Deafened", tone: "muted" },
  { icon: "voice-activity", label: "Voice activity" },
  { icon: "push-to-talk", label: "PTT", sublabel: "voice activity", tone: "offline" },
  { icon: "voice-channel", label: "General", sublabel: "My Server", badge: "3", tone: "active", highlight: true },
  { icon: "text-channel", badge: "99+" },
  { icon: "volume", label: "Output +10", sublabel: "100%", value: 0.5, mark: 0.5 },
  { icon: "soundboard", glyph: "🎺", label: "Airhorn" },
  { icon: "mic" },
  { label: "Lobby", sublabel: "4 in channel" },
  { icon: "voice-channel", label: "The Extremely Long Voice Channel Name", sublabel: "A Server With A Long Name", badge: "12" }
]
const within = (inner: Box, outer: Box) =>
  inner.x >= outer.x - 0.01 && inner.y >= outer.y - 0.01 &&
  inner.x + inner.width <= outer.x + outer.width + 0.01 && inner.y + inner.height <= outer.y + outer.height + 0.01

describe("face layout", () => {
  it("has ≥ 4.5:1 contrast for all text in every tone (WCAG relative luminance), ≥ 3:1 for rings and marks", () => {
    for (const [tone, c] of Object.entries(TONE_COLORS)) {
      expect(contrastRatio(c.foreground, c.background), `${tone} label`).toBeGreaterThanOrEqual(4.5)
      expect(contrastRatio(c.secondary, c.background), `${tone} sublabel`).toBeGreaterThanOrEqual(4.5)
      expect(contrastRatio(c.background, c.foreground), `${tone} badge text`).toBeGreaterThanOrEqual(4.5)
      for (const [name, colour] of [["speaking", SPEAKING_RING], ["pending", PENDING_COLOR]] as const) {
        expect(contrastRatio(colour, c.background), `${tone} ${name} ring`).toBeGreaterThanOrEqual(3)
      }
      // the error frame is amber edged in black: one of the two always stands out, red keys included
      expect(Math.max(contrastRatio(ALERT_COLOR, c.background), contrastRatio(ALERT_EDGE, c.background)), `${tone} error frame`)
        .toBeGreaterThanOrEqual(3)
      expect(contrastRatio(ALERT_COLOR, c.background), `${tone} error frame`).toBeGreaterThanOrEqual(3)
    }
    expect(contrastRatio("#FFFFFF", "#000000")).toBeCloseTo(21, 5)
    expect(contrastRatio("#FFFFFF", "#3BA55C")).toBeLessThan(4.5) // the old white-on-green: why the palette changed
  })

  it("draws text large enough to read at 72 px: capitals ≥ 10 px for a short label, ≥ 9 px for any, ≥ 7.4 px for sublabels", () => {
    for (const face of SHAPES) {
      const layout = faceLayout(fonts, face, square(72))
      for (const line of layout.lines) {
        const min = line.role === "label" ? 9 : 7.4
        expect(line.capHeight, `${line.text} in ${JSON.stringify(face)}`).toBeGreaterThanOrEqual(min)
      }
    }
    const muted = faceLayout(fonts, { icon: "mic-off", label: "Muted", tone: "muted" }, square(72))
    expect(muted.lines[0]!.capHeight).toBeGreaterThanOrEqual(10)
  })

  it("keeps \"Voice activity\" whole at every key size (two lines where one does not fit)", () => {
    for (const size of ALL_SIZES) {
      const layout = faceLayout(fonts, { icon: "voice-activity", label: "Voice activity" }, size)
      expect(layout.lines.map((l) => l.text).join(" "), `${size.width}×${size.height}`).toBe("Voice activity")
      expect(layout.glyph?.box.width ?? 0).toBeGreaterThanOrEqual(Math.min(size.width, size.height) * 0.32)
    }
    expect(faceLayout(fonts, { icon: "voice-activity", label: "Voice activity" }, square(120)).lines).toHaveLength(1)
  })

  it("breaks a long label at a word and cuts only what is left; centres text that has no glyph beside it", () => {
    const long = faceLayout(fonts, { icon: "voice-channel", label: "The Extremely Long Voice Channel Name" }, square(72))
    expect(long.lines.map((l) => l.text)).toEqual(["The", "Extremely…"])
    const strip = faceLayout(fonts, { label: "Lobby" }, { width: 200, height: 100 })
    const line = strip.lines[0]!
    expect(line.anchor).toBe("middle")
    expect(Math.abs(line.box.x + line.box.width / 2 - 100)).toBeLessThan(15)
    // a badge on the Neo's 58 px strip is still its number, not "…"
    expect(faceLayout(fonts, { icon: "voice-channel", label: "General", badge: "3" }, { width: 248, height: 58 }).badge?.line.text).toBe("3")
  })

  it("gives the glyph most of the key", () => {
    for (const size of KEY_SIZES) {
      const s = size.width
      expect(faceLayout(fonts, { icon: "mic" }, size).glyph!.box.width).toBeGreaterThanOrEqual(s * 0.55)
      expect(faceLayout(fonts, { icon: "mic-off", label: "Muted" }, size).glyph!.box.width).toBeGreaterThanOrEqual(s * 0.5)
    }
  })

  it("never covers the glyph or the text with a badge, the pending ring or the error mark, at any size", () => {
    for (const size of ALL_SIZES) {
      const keyBox: Box = { x: 0, y: 0, width: size.width, height: size.height }
      for (const shape of SHAPES) {
        for (const overlay of [undefined, "pending", "error"] as const) {
          const face: Face = overlay === undefined ? shape : { ...shape, overlay }
          const layout = faceLayout(fonts, face, size)
          const what = `${JSON.stringify(face)} at ${size.width}×${size.height}`
          const content = [...(layout.glyph ? [layout.glyph.box] : []), ...layout.lines.map((l) => l.box)]
          if (shape.icon !== undefined) expect(layout.glyph, what).toBeDefined()
          // the rings run inside the edge: content starts past them
          const ring = layout.ring?.width ?? 0
          const inside: Box = { x: ring, y: ring, width: size.width - 2 * ring, height: size.height - 2 * ring }
          for (const box of content) {
            expect(within(box, keyBox), what).toBe(true)
            expect(within(box, inside), `${what}: inside the ring`).toBe(true)
            if (layout.alert !== undefined) expect(intersects(box, layout.alert), `${what}: error mark`).toBe(false)
            if (layout.badge !== undefined) expect(intersects(box, layout.badge.box), `${what}: badge`).toBe(false)
          }
          if (layout.bar !== undefined) for (const box of content) expect(intersects(box, layout.bar.box), `${what}: bar`).toBe(false)
          if (overlay === "pending") expect(layout.ring?.kind).toBe("pending")
          if (overlay === "error") expect([layout.ring?.kind, layout.alert !== undefined]).toEqual(["error", true])
        }
      }
    }
  })

  it("draws a volume bar on its real scale, with the mark where normal is", () => {
    const output = faceLayout(fonts, { icon: "volume", label: "Output", sublabel: "100%", value: 0.5, mark: 0.5 }, square(72))
    expect(output.bar).toMatchObject({ value: 0.5, mark: 0.5 })
    const svg = Effect.runSync(Effect.gen(function*() {
      const r = yield* makeKeyRenderer(FONT_FILES, noSystemFonts)
      return yield* r.svg({ icon: "volume", value: 0.5, mark: 0.5 }, square(72))
    }))
    const bar = output.bar!.box
    const markX = bar.x + bar.width * 0.5
    expect(svg).toContain(`M${Math.round(markX * 100) / 100} `)
    const input = faceLayout(fonts, { icon: "mic", label: "Mic", sublabel: "100%", value: 1 }, square(72))
    expect(input.bar?.mark).toBeUndefined()
    expect(faceKey({ value: 0.5, mark: 0.5 }, square(72))).not.toBe(faceKey({ value: 0.5 }, square(72)))
  })

  it("draws an unbound key black", () =>
    Effect.runPromise(Effect.gen(function*() {
      const r = yield* makeKeyRenderer(FONT_FILES, noSystemFonts)
      const blank = yield* r.render({}, square(72))
      expect(countColour(blank, [0, 0, 0], 0)).toBe(72 * 72)
      // and an RGB-only key (Neo touch keys) is off for a calm face, red when muted
      expect(faceColor({})).toEqual([0, 0, 0])
      expect(faceColor({ icon: "mic", tone: "neutral" })).toEqual([0, 0, 0])
      expect(faceColor({ tone: "muted" })).toEqual([0xed, 0x42, 0x45])
    })))
})

describe("system fonts", () => {
  it("asks fc-match for a code point and reads its answer; no fontconfig means no fallback", () => {
    const calls: Array<ReadonlyArray<string>> = []
    const lookup = fontconfigLookup((args) => {
      calls.push(args)
      return "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc\nNoto Sans CJK JP\n"
    })
    expect(lookup(0x7530)).toEqual({ file: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", family: "Noto Sans CJK JP" })
    expect(calls[0]).toContain(":charset=7530")
    const missing = fontconfigLookup(() => {
      throw Object.assign(new Error("spawn fc-match ENOENT"), { code: "ENOENT" })
    })
    expect(missing(0x7530)).toBeUndefined()
    expect(fontconfigLookup(() => "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf\nNoto Color Emoji\n")(0x1f3ae)).toBeUndefined()
  })

  it("reads the first font of a TrueType collection (.ttc, how CJK fonts ship)", () => {
    const font = readFileSync(CJK_FIXTURE)
    // a collection header pointing at one font placed after it; the font's table offsets shift by the header
    const header = 16
    const collection = new Uint8Array(header + font.length)
    const view = new DataView(collection.buffer)
    view.setUint32(0, 0x74746366) // "ttcf"
    view.setUint32(4, 0x00010000)
    view.setUint32(8, 1)
    view.setUint32(12, header)
    collection.set(font, header)
    const numTables = view.getUint16(header + 4)
    for (let i = 0; i < numTables; i++) {
      const at = header + 12 + i * 16 + 8
      view.setUint32(at, view.getUint32(at) + header)
    }
    expect(hasGlyph(parseFontMetrics(collection), 0x7530)).toBe(true)
  })
})
