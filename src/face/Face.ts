/**
 * A key's face as data: what to show, never how. `KeyRenderer` turns it into pixels at a
 * control's size. Faces are plain, JSON-serialisable values so that renders can be cached
 * by (face, size) and a face can be recomputed from state after a reconnect or a replug.
 *
 * @since 0.1.0
 */

/** Every icon of deckcord's own set, drawn in one style (see `KeyRenderer`). */
export const ICON_NAMES = [
  "mic",
  "mic-off",
  "headphones",
  "headphones-off",
  "push-to-talk",
  "voice-activity",
  "voice-channel",
  "text-channel",
  "volume",
  "volume-off",
  "camera",
  "camera-off",
  "screen-share",
  "screen-share-off",
  "soundboard",
  "bell",
  "user",
  "user-off",
  "leave-call",
  "signal",
  "voice-processing",
  "folder",
  "back",
  "disconnected",
  "unauthorized",
  "setup",
  "error",
  "warning"
] as const
export type IconName = (typeof ICON_NAMES)[number]

/**
 * The colour scheme of a face (colours in `Palette.ts`). A tone, not raw colours, so every
 * action looks alike:
 * - `neutral`: idle / informational (a white glyph on black)
 * - `active`: the thing is on (in a channel, camera on, talking): green
 * - `muted`: a muted / deafened state: red
 * - `warning`: attention, e.g. the one key that says how to set deckcord up: amber
 * - `offline`: unavailable, waiting, not in a call: dimmed grey on black
 */
export type Tone = "neutral" | "active" | "muted" | "warning" | "offline"

export interface Face {
  readonly icon?: IconName
  /** A character drawn as the glyph instead of the icon, e.g. a soundboard sound's emoji. */
  readonly glyph?: string
  readonly tone?: Tone
  /** The label (shrunk, then broken into two lines, then ellipsized to fit). */
  readonly label?: string
  /** Second, smaller label line. */
  readonly sublabel?: string
  /** Short text in the top-right corner, e.g. a member count. */
  readonly badge?: string
  /** A value bar along the bottom, 0..1 (volumes). */
  readonly value?: number
  /** A tick on the value bar, 0..1: where "normal" is, e.g. 100 on a 0–200 volume. */
  readonly mark?: number
  /** A ring around the face, e.g. someone in the channel is speaking. */
  readonly highlight?: boolean
  /** A command is waiting (pending: a dashed ring) or just failed (error: an amber ring and an alert mark). */
  readonly overlay?: "pending" | "error"
  /**
   * A picture from the user's layout: the absolute path of a PNG, JPEG or SVG file, drawn
   * scaled to the control instead of the glyph and text (overlays stay). A file that cannot
   * be read or is none of those is logged and the rest of the face is drawn instead.
   */
  readonly image?: string
  /**
   * People drawn in place of the glyph, as round pictures (a channel's members, a dial's
   * user); the first `MAX_FACE_AVATARS` are drawn. Each is its picture when it has one that
   * can be read, else its initials on a disc.
   */
  readonly avatars?: ReadonlyArray<FaceAvatar>
  /** Colour overrides from the user's layout ("#rrggbb"). */
  readonly background?: string
  readonly foreground?: string
}

/** A person on a face. */
export interface FaceAvatar {
  /** One or two characters, drawn while there is no picture. */
  readonly initials: string
  /** Which disc colour the initials sit on (`AVATAR_TINTS`, e.g. Discord's default avatar of the user). */
  readonly tint?: number
  /** The absolute path of a PNG of their picture (deckcord's avatar cache). */
  readonly image?: string
  /** A ring in the speaking colour around them. */
  readonly speaking?: boolean
}

/** A face draws at most this many people: more would be too small to tell apart on a key. */
export const MAX_FACE_AVATARS = 4

/**
 * Initials for a name: the first characters of its first two words that begin with a letter
 * or digit ("Ada Lovelace" → "AL", "Alex (mod)" → "A"), upper-cased; else its first letter or
 * digit anywhere; "?" when it has none (a name of emoji only).
 */
export const initialsOf = (name: string): string => {
  const normal = name.normalize("NFKC")
  const words = normal.split(/[\s_.\-]+/u).filter((w) => /^[\p{L}\p{N}]/u.test(w))
  const firsts = words.length > 0 ? words.slice(0, 2).map((w) => [...w][0]!) : [/[\p{L}\p{N}]/u.exec(normal)?.[0] ?? "?"]
  return firsts.join("").toLocaleUpperCase()
}

/** A blank face: a black key, as Elgato's software shows a key nothing is bound to. */
export const BLANK_FACE: Face = {}

/** A control's pixel size. Non-square on some models (Studio keys are 144×112). */
export interface PixelSize {
  readonly width: number
  readonly height: number
}
