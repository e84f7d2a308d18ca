/**
 * Comments cite the repository's own notes as `docs/<file>.md#<anchor>`; a renamed heading
 * would leave them pointing nowhere. Every such citation must name a heading that exists.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = fileURLToPath(new URL("../", import.meta.url))

const sourcesUnder = (dir: string): Array<string> =>
  Fs.readdirSync(Path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = Path.join(dir, entry.name)
    if (entry.isDirectory()) return sourcesUnder(rel)
    return /\.(ts|mjs|js)$/.test(entry.name) ? [rel] : []
  })

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export const anchorOf = (heading: string): string =>
  heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-")

const anchorsOf = (doc: string): ReadonlySet<string> => {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const line of Fs.readFileSync(Path.join(ROOT, doc), "utf8").split("\n")) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1]
    if (heading === undefined) continue
    const base = anchorOf(heading.replace(/`/g, ""))
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    anchors.add(n === 0 ? base : `${base}-${n}`)
  }
  return anchors
}

describe("citations of docs/", () => {
  it("computes GitHub's anchors", () => {
    assert.strictEqual(anchorOf("GET_CHANNEL and the channel object"), "get_channel-and-the-channel-object")
    assert.strictEqual(anchorOf("Handshake and READY"), "handshake-and-ready")
    assert.strictEqual(anchorOf("Skipping arRPC (and Vesktop)"), "skipping-arrpc-and-vesktop")
  })

  it("every docs/<file>.md#<anchor> in src/, test/ and bench/ names a heading of that file", () => {
    const cited = new Map<string, Array<string>>()
    for (const file of ["src", "test", "bench"].flatMap(sourcesUnder)) {
      for (const [, doc, anchor] of Fs.readFileSync(Path.join(ROOT, file), "utf8").matchAll(/(docs\/[\w.-]+\.md)#([\w-]+)/g)) {
        const key = `${doc}#${anchor}`
        cited.set(key, [...(cited.get(key) ?? []), file])
      }
    }
    assert.isAbove(cited.size, 20, "the code cites its protocol notes")
    const dangling = [...cited].filter(([key]) => {
      const [doc, anchor] = key.split("#") as [string, string]
      return !Fs.existsSync(Path.join(ROOT, doc)) || !anchorsOf(doc).has(anchor)
    }).map(([key, files]) => `${key} (cited in ${[...new Set(files)].join(", ")})`)
    assert.deepStrictEqual(dangling, [])
  })
})
