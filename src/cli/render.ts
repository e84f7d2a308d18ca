/**
 * `deckcord render`: pictures of the key faces without a deck.
 * - `--out DIR` writes PNG previews of representative faces (every icon, each tone, overlays,
 *   long labels, value bars, badges, emoji and CJK names) at the common key sizes, a contact
 *   sheet per size and an index.html.
 * - `--sheet FILE` writes one contact sheet of what the actions' keys look like in their
 *   states, drawn at a real 72 px key's size and shown pixel-doubled: the README's picture
 *   (`npm run faces` regenerates docs/faces.png).
 *
 * @since 0.1.0
 */
import { Console, Effect, FileSystem, Option, Path, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { type Face, ICON_NAMES, type PixelSize } from "../face/Face.ts"
import {
  escapeXml,
  faceLayout,
  FONT_FAMILY,
  FONT_FILES,
  type Fonts,
  layoutSvg,
  loadFonts,
  loadResvg
} from "../face/KeyRenderer.ts"
import { fontconfigLookup } from "../face/SystemFonts.ts"

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
  { name: "tone-warning", face: { icon: "setup", label: "Set up", sublabel: "deckcord auth", tone: "warning" } },
  { name: "tone-offline", face: { icon: "disconnected", label: "Offline", tone: "offline" } },
  { name: "deafened", face: { icon: "headphones-off", label: "Deafened", tone: "muted" } },
  { name: "voice-activity", face: { icon: "voice-activity", label: "Voice activity" } },
  { name: "label-only", face: { label: "Lobby" } },
  { name: "label-sublabel", face: { label: "Gaming", sublabel: "4 in channel", tone: "active" } },
  { name: "icon-label-sublabel", face: { icon: "user", label: "Alice", sublabel: "speaking", highlight: true } },
  { name: "long-label", face: { icon: "voice-channel", label: "The Extremely Long Voice Channel Name" } },
  { name: "long-label-only", face: { label: "Supercalifragilisticexpialidocious", sublabel: "a very long sublabel too" } },
  { name: "unicode-label", face: { icon: "user", label: "🎮 𝓐𝓵𝓲𝓬𝓮 Ünïcødé" } },
  { name: "cjk-label", face: { icon: "user", label: "田中さん" } },
  { name: "emoji-glyph", face: { icon: "soundboard", glyph: "🎺", label: "Airhorn" } },
  { name: "xml-label", face: { label: "<b>&\"'</b>" } },
  { name: "volume-0", face: { icon: "mic", label: "Mic", sublabel: "0%", value: 0 } },
  { name: "volume-input-100", face: { icon: "mic", label: "Mic", sublabel: "100%", value: 1 } },
  { name: "volume-output-100", face: { icon: "volume", label: "Output", sublabel: "100%", value: 0.5, mark: 0.5 } },
  { name: "volume-output-200", face: { icon: "volume", label: "Output", sublabel: "200%", value: 1, mark: 0.5 } },
  { name: "volume-muted", face: { icon: "user-off", label: "Bob", sublabel: "muted", value: 0.6, mark: 0.5, tone: "muted" } },
  { name: "badge", face: { icon: "voice-channel", label: "Raid", badge: "12" } },
  { name: "badge-wide", face: { icon: "text-channel", badge: "99+" } },
  { name: "speaking", face: { icon: "user", label: "Carol", highlight: true, tone: "active" } },
  { name: "pending", face: { icon: "mic", label: "Mic on", overlay: "pending" } },
  { name: "error", face: { icon: "mic", label: "Mic on", overlay: "error" } },
  { name: "error-muted", face: { icon: "mic-off", label: "Muted", tone: "muted", overlay: "error" } },
  { name: "custom-colours", face: { icon: "soundboard", label: "Airhorn", background: "#5865F2", foreground: "#FFFFFF" } },
  { name: "unauthorized", face: { icon: "unauthorized", label: "Sign in", sublabel: "deckcord auth", tone: "offline" } },
  { name: "blank", face: {} }
]

/**
 * The README's contact sheet: the default keys and the common actions in their states, as
 * the actions' `face` functions draw them (test/actions.test.ts keeps these in step).
 */
export const SHEET_FACES: ReadonlyArray<PreviewFace> = [
  { name: "Mute", face: { icon: "mic", tone: "neutral", label: "Mic on" } },
  { name: "Mute: muted", face: { icon: "mic-off", tone: "muted", label: "Muted" } },
  { name: "Deafen", face: { icon: "headphones", tone: "neutral", label: "Sound on" } },
  { name: "Deafen: deafened", face: { icon: "headphones-off", tone: "muted", label: "Deafened" } },
  { name: "PTT (voice activity)", face: { icon: "push-to-talk", tone: "offline", label: "PTT", sublabel: "voice activity" } },
  { name: "PTT", face: { icon: "push-to-talk", tone: "neutral", label: "PTT" } },
  { name: "PTT: talking", face: { icon: "push-to-talk", tone: "active", label: "Talking" } },
  { name: "Input mode", face: { icon: "voice-activity", tone: "neutral", label: "Voice activity" } },
  {
    name: "Voice channel",
    face: {
      icon: "voice-channel",
      tone: "active",
      label: "General",
      sublabel: "My Server",
      badge: "3",
      highlight: true,
      avatars: [{ initials: "AL", tint: 0 }, { initials: "SK", tint: 3, speaking: true }, { initials: "M", tint: 4 }]
    }
  },
  { name: "Leave", face: { icon: "leave-call", tone: "muted", label: "Leave", sublabel: "General" } },
  { name: "Mic volume", face: { icon: "mic", tone: "neutral", label: "Mic +10", sublabel: "100%", value: 1 } },
  { name: "Output volume", face: { icon: "volume", tone: "neutral", label: "Output +10", sublabel: "100%", value: 0.5, mark: 0.5 } },
  {
    name: "User volume",
    face: { icon: "user", tone: "neutral", label: "Alex", sublabel: "150%", value: 0.75, mark: 0.5, avatars: [{ initials: "AL", tint: 0 }] }
  },
  { name: "Soundboard", face: { icon: "soundboard", glyph: "🎺", tone: "neutral", label: "Airhorn" } },
  { name: "Soundboard (no emoji)", face: { icon: "soundboard", tone: "neutral", label: "Quack" } },
  { name: "Noise suppression", face: { icon: "voice-processing", tone: "active", label: "Noise filter", sublabel: "on" } },
  { name: "Camera", face: { icon: "camera-off", tone: "neutral", label: "Camera off" } },
  { name: "Status", face: { icon: "signal", tone: "active", label: "38 ms", sublabel: "General" } },
  { name: "First run: status key", face: { icon: "setup", tone: "warning", label: "Set up", sublabel: "deckcord auth" } },
  { name: "First run: other keys", face: { icon: "mic", tone: "offline", label: "Mute" } },
  { name: "No Discord", face: { icon: "mic", tone: "offline", label: "Mute", sublabel: "offline" } },
  { name: "Waiting (pending)", face: { icon: "mic", tone: "neutral", label: "Mic on", overlay: "pending" } },
  { name: "Failed (error)", face: { icon: "mic-off", tone: "muted", label: "Muted", overlay: "error" } },
  { name: "Unbound key", face: {} }
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
  "voice-activity",
  "label-only",
  "label-sublabel",
  "icon-label-sublabel",
  "long-label",
  "volume-output-100",
  "badge",
  "pending",
  "error",
  "icon-mic",
  "emoji-glyph",
  "cjk-label"
])

/** Columns per contact sheet row. */
const SHEET_COLUMNS = 8
const CAPTION_PX = 11
/** Wide enough for the longest caption ("icon-screen-share-off") at CAPTION_PX. */
const MIN_CELL_WIDTH = 150

/** `--out` or `--sheet` cannot be written where asked. */
export class RenderOutputError extends Schema.TaggedError<RenderOutputError>()("RenderOutputError", {
  message: Schema.String
}) {}

interface Cell {
  readonly name: string
  readonly face: Face
  readonly size: PixelSize
}

/** One PNG of many faces with captions; each face drawn at its size, then scaled by `zoom` without smoothing. */
const contactSheet = (fonts: Fonts, cells: ReadonlyArray<Cell>, columns: number, zoom = 1): Uint8Array => {
  const cellW = Math.max(MIN_CELL_WIDTH, ...cells.map((c) => c.size.width * zoom + 16))
  const cellH = Math.max(...cells.map((c) => c.size.height * zoom)) + CAPTION_PX + 18
  const rows = Math.ceil(cells.length / columns)
  const W = cellW * Math.min(columns, cells.length)
  const H = cellH * rows
  const fontFiles = new Set<string>([FONT_FILES.sublabel])
  const body = cells.map((cell, i) => {
    const x = (i % columns) * cellW + (cellW - cell.size.width * zoom) / 2
    const y = Math.floor(i / columns) * cellH + 8
    const layout = faceLayout(fonts, cell.face, cell.size)
    for (const f of layout.fontFiles) fontFiles.add(f)
    let image: string
    if (zoom === 1) {
      // each face's document nests as-is: an <svg> child with its own viewport
      image = layoutSvg(layout).replace("<svg ", `<svg x="${x}" y="${y}" `)
    } else {
      // pixels of the real-size render, enlarged: what a key shows, visible in a README
      const png = new (loadResvg())(layoutSvg(layout), { font: { loadSystemFonts: false, fontFiles: [...layout.fontFiles], defaultFontFamily: FONT_FAMILY } })
        .render().asPng()
      image = `<image x="${x}" y="${y}" width="${cell.size.width * zoom}" height="${cell.size.height * zoom}" ` +
        `image-rendering="optimizeSpeed" href="data:image/png;base64,${Buffer.from(png).toString("base64")}"/>`
    }
    const caption = `<text x="${(i % columns) * cellW + cellW / 2}" y="${y + cell.size.height * zoom + CAPTION_PX + 3}" ` +
      `font-family="${FONT_FAMILY}" font-weight="500" font-size="${CAPTION_PX}" fill="#B5BAC1" text-anchor="middle">${escapeXml(cell.name)}</text>`
    return image + caption
  })
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` +
    `<rect width="${W}" height="${H}" fill="#2B2D31"/>${body.join("")}</svg>`
  const png = new (loadResvg())(svg, { font: { loadSystemFonts: false, fontFiles: [...fontFiles], defaultFontFamily: FONT_FAMILY } })
    .render().asPng()
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength)
}

const fontsForPreviews = Effect.suspend(() => loadFonts(FONT_FILES, fontconfigLookup())).pipe(
  Effect.mapError((e) => new RenderOutputError({ message: e.message }))
)

const cannotWrite = (what: string, cause: { readonly message: string }) =>
  new RenderOutputError({ message: `cannot write ${what}: ${cause.message}` })

/** `path` must be a directory or not exist yet (then it is created). */
const ensureDirectory = (dir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(dir).pipe(Effect.option)
    if (Option.isSome(info) && info.value.type !== "Directory") {
      return yield* new RenderOutputError({
        message: `--out ${dir} is a file, not a directory: give a directory to write the previews into (it is created if missing), or use --sheet ${dir} for one contact sheet`
      })
    }
    yield* fs.makeDirectory(dir, { recursive: true }).pipe(Effect.mapError((e) => cannotWrite(`the directory ${dir}`, e)))
  })

/**
 * Write previews to `outDir`: `<size>/<face>.png` for each square size, `sheet-<size>.png`
 * contact sheets (plus `sheet-wide.png` for non-square controls) and `index.html`.
 */
export const renderPreviews = (outDir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const fonts = yield* fontsForPreviews
    yield* ensureDirectory(outDir)
    const write = (file: string, bytes: Uint8Array) =>
      fs.writeFile(file, bytes).pipe(Effect.mapError((e) => cannotWrite(file, e)))
    const sheets: Array<string> = []

    for (const px of PREVIEW_SIZES) {
      const size = { width: px, height: px }
      const dir = path.join(outDir, String(px))
      yield* ensureDirectory(dir)
      for (const { name, face } of PREVIEW_FACES) {
        const layout = faceLayout(fonts, face, size)
        const png = new (loadResvg())(layoutSvg(layout), {
          font: { loadSystemFonts: false, fontFiles: [...layout.fontFiles], defaultFontFamily: FONT_FAMILY }
        }).render().asPng()
        yield* write(path.join(dir, `${name}.png`), new Uint8Array(png.buffer, png.byteOffset, png.byteLength))
      }
      const sheet = `sheet-${px}.png`
      yield* write(path.join(outDir, sheet), contactSheet(fonts, PREVIEW_FACES.map((p) => ({ ...p, size })), SHEET_COLUMNS))
      sheets.push(sheet)
    }

    const wideCells = PREVIEW_FACES.filter((f) => WIDE_FACE_NAMES.has(f.name)).flatMap((p) =>
      PREVIEW_WIDE_SIZES.map((size) => ({ name: `${p.name} ${size.width}×${size.height}`, face: p.face, size }))
    )
    yield* write(path.join(outDir, "sheet-wide.png"), contactSheet(fonts, wideCells, PREVIEW_WIDE_SIZES.length))
    sheets.push("sheet-wide.png")

    const html = [
      "<!doctype html>",
      "<meta charset=\"utf-8\"><title>deckcord faces</title>",
      "<body style=\"background:#2B2D31;color:#dbdee1;font-family:sans-serif\">",
      "<h1>deckcord faces</h1>",
      ...sheets.map((s) => `<h2>${escapeXml(s)}</h2><img src="${escapeXml(s)}" alt="${escapeXml(s)}">`),
      "</body>"
    ].join("\n")
    const index = path.join(outDir, "index.html")
    yield* fs.writeFileString(index, html).pipe(Effect.mapError((e) => cannotWrite(index, e)))
    return { files: PREVIEW_FACES.length * PREVIEW_SIZES.length, sheets }
  })

/** The size `--sheet` draws at (the MK.2's keys) and how much it enlarges them. */
export const SHEET_KEY_PX = 72
export const SHEET_ZOOM = 2

/** Write the README's contact sheet (`SHEET_FACES` at 72 px, pixel-doubled) to `file`. */
export const renderSheet = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const fonts = yield* fontsForPreviews
    const info = yield* fs.stat(file).pipe(Effect.option)
    if (Option.isSome(info) && info.value.type === "Directory") {
      return yield* new RenderOutputError({
        message: `--sheet ${file} is a directory: give a file name for the contact sheet, e.g. ${path.join(file, "faces.png")}`
      })
    }
    yield* ensureDirectory(path.dirname(file))
    const size = { width: SHEET_KEY_PX, height: SHEET_KEY_PX }
    const png = contactSheet(fonts, SHEET_FACES.map((p) => ({ ...p, size })), 6, SHEET_ZOOM)
    yield* fs.writeFile(file, png).pipe(Effect.mapError((e) => cannotWrite(file, e)))
    return { faces: SHEET_FACES.length }
  })

/** `deckcord render --out DIR` / `--sheet FILE` (wired into main.ts with `Command.withSubcommands`). */
export const renderCommand = Command.make(
  "render",
  {
    out: Flag.String("out").pipe(
      Flag.withDescription("directory to write preview PNGs, contact sheets and index.html into"),
      Flag.optional
    ),
    sheet: Flag.String("sheet").pipe(
      Flag.withDescription("PNG file to write one contact sheet of the actions' faces into (the README's docs/faces.png)"),
      Flag.optional
    )
  },
  ({ out, sheet }) =>
    Effect.gen(function*() {
      if (Option.isNone(out) && Option.isNone(sheet)) {
        return yield* new RenderOutputError({ message: "say where to: --out DIR for previews, --sheet FILE for a contact sheet" })
      }
      if (Option.isSome(out)) {
        const { files, sheets } = yield* renderPreviews(out.value)
        yield* Console.log(`wrote ${files} face previews and ${sheets.length} contact sheets to ${out.value} (open index.html)`)
      }
      if (Option.isSome(sheet)) {
        const { faces } = yield* renderSheet(sheet.value)
        yield* Console.log(`wrote a contact sheet of ${faces} faces to ${sheet.value}`)
      }
    }).pipe(
      Effect.catchTag("RenderOutputError", (e) =>
        Console.error(`deckcord render: ${e.message}`).pipe(Effect.andThen(Effect.sync(() => void (process.exitCode = 2))))
      )
    )
).pipe(Command.withDescription("render pictures of deckcord's key faces"))
