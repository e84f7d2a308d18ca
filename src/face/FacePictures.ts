/**
 * Pictures on faces: a custom image that fills the control, and people's avatars. Files are
 * read as data URLs for the SVG document, checked (size, PNG/JPEG/SVG signature) and re-read
 * when they change. Shared by both rasterisers (native resvg and the plugin's WebAssembly one).
 *
 * @since 0.3.0
 */
import { Effect } from "effect"
import { readFileSync, statSync } from "node:fs"
import { type Face, MAX_FACE_AVATARS, type PixelSize } from "./Face.ts"
import { type FaceLayout, faceLayout, type PlacedAvatar } from "./FaceLayout.ts"
import type { Fonts } from "./TextLayout.ts"

/** Pictures kept read (as data URLs): the layout's own and the avatars on show, with room to spare. */
export const IMAGE_CACHE_MAX_ENTRIES = 256

/** A picture larger than this is refused: a key is at most a few hundred pixels wide. */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024

const sniffImage = (bytes: Uint8Array): "image/png" | "image/jpeg" | "image/svg+xml" | undefined => {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return "image/png"
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg"
  const head = new TextDecoder().decode(bytes.subarray(0, 1024)).trimStart()
  if (/^(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!DOCTYPE[^>]*>\s*)?<svg[\s>]/i.test(head)) return "image/svg+xml"
  return undefined
}

/**
 * Picture files as data URLs, read when first drawn and again when the file changed (its
 * size or modification time), so an edited picture shows without a restart.
 */
class ImageFiles {
  /** Least recently used first; bounded, since avatars bring a new file for every new face seen. */
  private readonly entries = new Map<string, { readonly stamp: string; readonly href: string }>()
  /** What changes when the file does (for cache keys): its size and modification time. */
  stamp(path: string): string {
    try {
      const stat = statSync(path)
      return `${stat.size}/${stat.mtimeMs}`
    } catch {
      return "unreadable"
    }
  }
  load(path: string): string | { readonly problem: string } {
    let stamp: string
    try {
      const stat = statSync(path)
      if (!stat.isFile()) return { problem: `image ${path}: not a file` }
      if (stat.size > MAX_IMAGE_BYTES) return { problem: `image ${path}: ${stat.size} bytes is too large (at most ${MAX_IMAGE_BYTES})` }
      stamp = `${stat.size}/${stat.mtimeMs}`
    } catch (error) {
      const code = (error as { readonly code?: string }).code
      return { problem: code === "ENOENT" ? `image ${path}: no such file` : `image ${path}: cannot be read (${code ?? String(error)})` }
    }
    const known = this.entries.get(path)
    if (known !== undefined && known.stamp === stamp) {
      this.entries.delete(path)
      this.entries.set(path, known)
      return known.href
    }
    let bytes: Uint8Array
    try {
      bytes = readFileSync(path)
    } catch (error) {
      return { problem: `image ${path}: cannot be read (${(error as { readonly code?: string }).code ?? String(error)})` }
    }
    const type = sniffImage(bytes)
    if (type === undefined) return { problem: `image ${path}: not a PNG, JPEG or SVG file` }
    const href = `data:${type};base64,${Buffer.from(bytes).toString("base64")}`
    this.entries.delete(path)
    this.entries.set(path, { stamp, href })
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= IMAGE_CACHE_MAX_ENTRIES) break
      this.entries.delete(oldest)
    }
    return href
  }
}

/** The layout of a face with a picture: the picture fills it, only the overlays stay on top. */
const withImage = (layout: FaceLayout, href: string): FaceLayout => {
  const { badge: _badge, bar: _bar, glyph: _glyph, ...rest } = layout
  // the whole control, whatever the overlay: a ring coming and going must not resize it
  return { ...rest, lines: [], fontFiles: [], image: { box: { x: 0, y: 0, width: layout.width, height: layout.height }, href } }
}

/** A face's layout with its pictures in place, and why its own picture could not be used. */
export interface PicturedLayout {
  readonly layout: FaceLayout
  readonly imageProblem?: string
}

/** Pictures for one renderer: its own file cache, and each bad file told once. */
export const facePictures = (fonts: Fonts) => {
  const images = new ImageFiles()
  /** People's pictures in place where their files can be read; the others keep their initials, unlogged. */
  const withPeople = (layout: FaceLayout): FaceLayout => {
    const glyph = layout.glyph
    if (glyph?._tag !== "Avatars" || glyph.people.every((p) => p.image === undefined)) return layout
    const people = glyph.people.map((person): PlacedAvatar => {
      if (person.image === undefined) return person
      const href = images.load(person.image)
      return typeof href === "string" ? { ...person, href } : person
    })
    return { ...layout, glyph: { ...glyph, people } }
  }
  const told = new Set<string>()
  return {
    /** The layout of a face, its picture in place when the file is good; else why not, to log. */
    layoutOf: (face: Face, size: PixelSize): PicturedLayout => {
      if (face.image === undefined) return { layout: withPeople(faceLayout(fonts, face, size)) }
      const loaded = images.load(face.image)
      const { image: _, ...own } = face
      const layout = faceLayout(fonts, own, size)
      if (typeof loaded !== "string") return { layout, imageProblem: loaded.problem }
      return { layout: withImage(layout, loaded) }
    },
    /** What changes when a file the face draws changes (for render cache keys). */
    stamps: (face: Face): string => {
      let stamps = face.image === undefined ? "" : images.stamp(face.image)
      for (const person of face.avatars?.slice(0, MAX_FACE_AVATARS) ?? []) {
        if (person.image !== undefined) stamps += `|${images.stamp(person.image)}`
      }
      return stamps
    },
    /** Each bad file is told once per problem, not on every render. */
    warnOnce: (problem: string | undefined): Effect.Effect<void> =>
      problem === undefined || told.has(problem)
        ? Effect.void
        : Effect.suspend(() => {
          told.add(problem)
          return Effect.logWarning(`${problem}; the key shows its own face instead`)
        })
  }
}
