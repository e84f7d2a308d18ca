/**
 * Finding a font on this machine for a character the bundled fonts lack (CJK names, most
 * often). Asks fontconfig's `fc-match` for the best font covering one code point; without
 * fontconfig, or when no installed font covers it, there is no fallback and the renderer
 * shows "?" instead. A lookup is a child process (a few ms), so the renderer caches them.
 *
 * @since 0.2.0
 */
import { execFileSync } from "node:child_process"

/** A font file fontconfig chose for a code point, with the family name to ask for it by. */
export interface SystemFont {
  readonly file: string
  readonly family: string
}

/** Code point → a system font that may draw it (the caller checks its cmap), or undefined. */
export type SystemFontLookup = (codePoint: number) => SystemFont | undefined

/** No system fonts: only the bundled ones are used. */
export const noSystemFonts: SystemFontLookup = () => undefined

/** fontconfig takes well under this; a hung one must not stall rendering. */
const FC_MATCH_TIMEOUT_MILLIS = 2_000

/** Fonts fontconfig can return that are useless as fallbacks here (bitmap-only colour emoji: resvg draws nothing). */
const UNUSABLE = /\.(?:pcf|pcf\.gz|bdf|pfb|otb)$|NotoColorEmoji/i

/**
 * `fc-match` as a lookup. Its answer for a code point nothing covers is the default font,
 * which is why callers must check coverage themselves.
 */
export const fontconfigLookup = (
  run: (args: ReadonlyArray<string>) => string = (args) =>
    execFileSync("fc-match", [...args], { encoding: "utf8", timeout: FC_MATCH_TIMEOUT_MILLIS, stdio: ["ignore", "pipe", "ignore"] })
): SystemFontLookup =>
(codePoint) => {
  let out: string
  try {
    out = run(["--format=%{file}\\n%{family[0]}\\n", `:charset=${codePoint.toString(16)}`])
  } catch {
    return undefined // no fontconfig (ENOENT), or it failed: no fallback
  }
  const [file, family] = out.split("\n")
  if (file === undefined || family === undefined || file.length === 0 || family.length === 0) return undefined
  if (UNUSABLE.test(file)) return undefined
  return { file, family }
}
