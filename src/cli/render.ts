/**
 * `deckcord render --out DIR`: write PNG previews of representative faces (every icon, each
 * tone, overlays, long labels, value bars, badges) at the common key sizes, a contact sheet
 * per size and an index.html, so a person can judge the faces without a deck.
 *
 * @since 0.1.0
 */
import { Console, Effect, FileSystem, Path } from "effect"
import { Command, Flag } from "effect/cli"
import { type Face, ICON_NAMES, type PixelSize } from "../services/Face.ts"
import { escapeXml, FONT_FAMILY, FONT_FILES, KeyRenderer, loadResvg } from "../services/KeyRenderer.ts"

/** A named face for the previews. */
export interface PreviewFace {
  readonly name: string
  readonly face: Face
}

/** The faces every preview run draws. */
export const PREVIEW_FACES: ReadonlyArray<PreviewFace> = [
  ...ICON_NAMES.map((icon) => ({ name: `icon-${icon}`, face: { icon } })),
  { name: "tone-neutral", face: { icon: "mic", label: "Mic on", tone: "neutral" } },
  { name: "tone-active", face: { icon: "voice-channel", label: "General", tone: "active", badge: "3" } },
  { name: "tone-muted", face: { icon: "mic-off", label: "Muted", tone: "muted" } },
  { name: "tone-warning", face: { icon: "voice-activity", label: "Voice act.", tone: "warning" } },
  { name: "tone-offline", face: { icon: "disconnected", label: "Offline", tone: "offline" } },
  { name: "deafened", face: { icon: "headphones-off", label: "Deafened", tone: "muted" } },
  { name: "label-only", face: { label: "Lobby" } },
  { name: "label-sublabel", face: { label: "Gaming", sublabel: "4 in channel", tone: "active" } },
  { name: "icon-label-sublabel", face: { icon: "user", label: "Alice", sublabel: "speaking", highlight: true } },
  { name: "long-label", face: { icon: "voice-channel", label: "The Extremely Long Voice Channel Name" } },
  { name: "long-label-only", face: { label: "Supercalifragilisticexpialidocious", sublabel: "a very long sublabel too" } },
  { name: "unicode-label", face: { icon: "user", label: "🎮 𝓐𝓵𝓲𝓬𝓮 田中 Ünïcødé" } },
  { name: "xml-label", face: { label: "<b>&\"'</b>" } },
  { name: "volume-0", face: { icon: "volume", label: "Input", value: 0 } },
  { name: "volume-35", face: { icon: "volume", label: "Output", value: 0.35 } },
  { name: "volume-100", face: { icon: "volume", value: 1, tone: "active" } },
  { name: "volume-muted", face: { icon: "volume-off", label: "Bob", value: 0.6, tone: "muted" } },
  { name: "badge", face: { icon: "voice-channel", label: "Raid", badge: "12" } },
  { name: "badge-wide", face: { icon: "text-channel", badge: "99+" } },
  { name: "speaking", face: { icon: "user", label: "Carol", highlight: true, tone: "active" } },
  { name: "pending", face: { icon: "mic", label: "Mic on", overlay: "pending" } },
  { name: "error", face: { icon: "mic", label: "Mic on", overlay: "error" } },
  { name: "error-muted", face: { icon: "mic-off", label: "Muted", tone: "muted", overlay: "error" } },
  { name: "custom-colours", face: { icon: "soundboard", label: "Airhorn", background: "#5865F2", foreground: "#FFFFFF" } },
  { name: "unauthorized", face: { icon: "unauthorized", label: "Run auth", tone: "offline" } },
  { name: "setup", face: { icon: "setup", label: "Set up", tone: "warning" } }
]

/** The square key sizes previewed one sheet each: Mini (80 is close to 72), MK.2/XL, Neo/+ . */
export const PREVIEW_SIZES: ReadonlyArray<number> = [72, 96, 120]
/** Non-square controls: Studio keys and Stream Deck + LCD strip regions. */
export const PREVIEW_WIDE_SIZES: ReadonlyArray<PixelSize> = [
  { width: 144, height: 112 },
  { width: 200, height: 100 },
  { width: 248, height: 58 }
]
/** The wide sheet shows this subset (icons alone are not the point there). */
const WIDE_FACE_NAMES = new Set([
  "tone-active",
  "tone-muted",
  "label-only",
  "label-sublabel",
  "icon-label-sublabel",
  "long-label",
  "volume-35",
  "badge",
  "pending",
  "error",
  "icon-mic",
  "unicode-label"
])

/** Columns per contact sheet row. */
const SHEET_COLUMNS = 8
const CAPTION_PX = 11
/** Wide enough for the longest caption ("icon-screen-share-off") at CAPTION_PX. */
const MIN_CELL_WIDTH = 150

const sheetSvg = (cells: ReadonlyArray<{ name: string; svg: string; size: PixelSize }>, columns: number) => {
  const cellW = Math.max(MIN_CELL_WIDTH, ...cells.map((c) => c.size.width + 16))
  const cellH = Math.max(...cells.map((c) => c.size.height)) + CAPTION_PX + 18
  const rows = Math.ceil(cells.length / columns)
  const W = cellW * Math.min(columns, cells.length)
  const H = cellH * rows
  const body = cells.map((cell, i) => {
    const x = (i % columns) * cellW + (cellW - cell.size.width) / 2
    const y = Math.floor(i / columns) * cellH + 8
    // each face's document nests as-is: an <svg> child with its own viewport
    const nested = cell.svg.replace("<svg ", `<svg x="${x}" y="${y}" `)
    const caption = `<text x="${(i % columns) * cellW + cellW / 2}" y="${y + cell.size.height + CAPTION_PX + 3}" ` +
      `font-family="${FONT_FAMILY}" font-size="${CAPTION_PX}" fill="#B5BAC1" text-anchor="middle">${escapeXml(cell.name)}</text>`
    return nested + caption
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` +
    `<rect width="${W}" height="${H}" fill="#111214"/>${body.join("")}</svg>`
}

const rasterizeSheet = (svg: string): Uint8Array => {
  const png = new (loadResvg())(svg, {
    font: { loadSystemFonts: false, fontFiles: [FONT_FILES.bold, FONT_FILES.regular], defaultFontFamily: FONT_FAMILY }
  }).render().asPng()
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength)
}

/**
 * Write previews to `outDir`: `<size>/<face>.png` for each square size, `sheet-<size>.png`
 * contact sheets (plus `sheet-wide.png` for non-square controls) and `index.html`.
 */
export const renderPreviews = (outDir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const renderer = yield* KeyRenderer
    yield* fs.makeDirectory(outDir, { recursive: true })
    const sheets: Array<string> = []

    for (const px of PREVIEW_SIZES) {
      const size = { width: px, height: px }
      const dir = path.join(outDir, String(px))
      yield* fs.makeDirectory(dir, { recursive: true })
      const cells: Array<{ name: string; svg: string; size: PixelSize }> = []
      for (const { name, face } of PREVIEW_FACES) {
        yield* fs.writeFile(path.join(dir, `${name}.png`), yield* renderer.renderPng(face, size))
        cells.push({ name, svg: yield* renderer.svg(face, size), size })
      }
      const sheet = `sheet-${px}.png`
      yield* fs.writeFile(path.join(outDir, sheet), rasterizeSheet(sheetSvg(cells, SHEET_COLUMNS)))
      sheets.push(sheet)
    }

    const wideCells: Array<{ name: string; svg: string; size: PixelSize }> = []
    for (const { name, face } of PREVIEW_FACES.filter((f) => WIDE_FACE_NAMES.has(f.name))) {
      for (const size of PREVIEW_WIDE_SIZES) {
        wideCells.push({ name: `${name} ${size.width}×${size.height}`, svg: yield* renderer.svg(face, size), size })
      }
    }
    yield* fs.writeFile(path.join(outDir, "sheet-wide.png"), rasterizeSheet(sheetSvg(wideCells, PREVIEW_WIDE_SIZES.length)))
    sheets.push("sheet-wide.png")

    const html = [
      "<!doctype html>",
      "<meta charset=\"utf-8\"><title>deckcord faces</title>",
      "<body style=\"background:#111214;color:#dbdee1;font-family:sans-serif\">",
      "<h1>deckcord faces</h1>",
      ...sheets.map((s) => `<h2>${escapeXml(s)}</h2><img src="${escapeXml(s)}" alt="${escapeXml(s)}">`),
      "</body>"
    ].join("\n")
    yield* fs.writeFileString(path.join(outDir, "index.html"), html)
    return { files: PREVIEW_FACES.length * PREVIEW_SIZES.length, sheets }
  })

/** `deckcord render --out DIR` (wire into main.ts with `Command.withSubcommands`). */
export const renderCommand = Command.make(
  "render",
  {
    out: Flag.String("out").pipe(
      Flag.withDescription("directory to write preview PNGs, contact sheets and index.html into")
    )
  },
  ({ out }) =>
    renderPreviews(out).pipe(
      Effect.flatMap(({ files, sheets }) =>
        Console.log(`wrote ${files} face previews and ${sheets.length} contact sheets to ${out} (open index.html)`)
      ),
      Effect.provide(KeyRenderer.layer)
    )
).pipe(Command.withDescription("render preview PNGs of deckcord's key faces"))
