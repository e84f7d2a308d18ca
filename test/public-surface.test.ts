/**
 * Tests and benchmarks use the library the way its users do: through `src/index.ts` and
 * `src/testing/index.ts` (published as `deckcord` and `deckcord/testing`). An import of any
 * other file of src/ must be on one of the lists below, which say why; so a test that passes
 * keeps passing for a user, and an export a user needs is not missing unnoticed.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { importsOf } from "./support/importGraph.ts"

// ---------------------------------------------------------------------------------------------
// the rules (data); a path ending in `/` stands for everything under it
// ---------------------------------------------------------------------------------------------

/** The library's public surface. */
const SURFACE: ReadonlyArray<string> = ["src/index.ts", "src/testing/index.ts"]

/** Deep paths any test or benchmark may import. */
const ANYONE: ReadonlyArray<string> = [
  // the pure codec has entry points of its own (`deckcord/protocol/Frame`, the README's
  // "Importing less"); index.ts re-exports each module only as a namespace (`Frame.encodeFrame`)
  "src/protocol/",
  // the programs built on the library, which it does not export: the command line, the
  // Stream Deck plugin, the daemon's control API and web UI, and the daemon's fake-deck hook
  "src/cli/",
  "src/plugin/",
  "src/web/",
  "src/control/Api.ts",
  "src/control/ConfigSchema.ts",
  "src/control/Server.ts",
  "src/layers/ControlledDaemon.ts",
  "src/layers/FakeDecksFromEnv.ts"
]

/**
 * White-box tests: a file, and the internals it reaches into. Every entry must still be used
 * (checked below), so the list shrinks as tests move to the surface.
 */
const WHITE_BOX: Readonly<Record<string, ReadonlyArray<string>>> = {
  // font metrics, text fitting, the SVG document, the system-font lookup
  "test/KeyRenderer.test.ts": ["src/face/"],
  "test/FontMetrics.test.ts": ["src/face/"],
  // where a face's people are placed (layout boxes), and the renderer without its service
  "test/Avatars.faces.test.ts": ["src/face/"],
  // the renderer without its service, and the two actions that show people, driven directly
  "test/Avatars.voice.test.ts": ["src/face/", "src/control/actions/"],
  // when a refresh is due; how the status action words an outage
  "test/OAuthFlow.test.ts": ["src/auth/OAuthFlow.ts", "src/control/actions/"],
  // the wording of file problems and of a too-open secret file
  "test/Settings.test.ts": ["src/config/Settings.ts"],
  // each action definition, driven directly
  "test/actions.test.ts": ["src/control/actions/"],
  "test/images.test.ts": ["src/control/actions/"],
  "test/multi.test.ts": ["src/control/actions/"],
  // the fake's voice model alone, timed without a socket
  "bench/clientParts.ts": ["src/testing/fakeDiscord/"],
  // the renderer itself, timed outside its service layer
  "bench/renderer.ts": ["src/face/"],
  // types only: the code loads the built package by name, as an app that installed it does
  "bench/startChild.ts": ["src/discord/"]
}

// ---------------------------------------------------------------------------------------------
// the check
// ---------------------------------------------------------------------------------------------

const ROOT = fileURLToPath(new URL("../", import.meta.url))

const covers = (rule: string, path: string): boolean => rule.endsWith("/") ? path.startsWith(rule) : path === rule

/** One import of src/ by a test file: `file:line -> target`, paths repo-relative. */
interface DeepImport {
  readonly file: string
  readonly line: number
  readonly target: string
}

/** The imports of src/ in one file (repo-relative path) with this source text. */
export const srcImportsOf = (file: string, source: string): ReadonlyArray<DeepImport> =>
  importsOf(source).flatMap((edge) => {
    if (!edge.specifier.startsWith("./") && !edge.specifier.startsWith("../")) return []
    const target = Path.posix.normalize(Path.posix.join(Path.posix.dirname(file), edge.specifier))
    return target.startsWith("src/") ? [{ file, line: edge.line, target }] : []
  })

/** Whether this import needs no entry, or which white-box entry allows it. */
const allowedBy = (i: DeepImport): "surface" | "anyone" | { readonly rule: string } | undefined => {
  if (SURFACE.includes(i.target)) return "surface"
  if (ANYONE.some((rule) => covers(rule, i.target))) return "anyone"
  const rule = WHITE_BOX[i.file]?.find((r) => covers(r, i.target))
  return rule === undefined ? undefined : { rule }
}

const sourcesUnder = (dir: string): Array<string> =>
  Fs.readdirSync(Path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`
    if (entry.isDirectory()) return sourcesUnder(rel)
    return /\.m?ts$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [rel] : []
  })

const allImports = (): ReadonlyArray<DeepImport> =>
  ["test", "bench"].flatMap(sourcesUnder).flatMap((file) =>
    srcImportsOf(file, Fs.readFileSync(Path.join(ROOT, file), "utf8"))
  )

describe("tests use the public surface", () => {
  it("finds deep imports in import, export and dynamic-import forms", () => {
    const source = [
      `import { Deck } from "../src/deck/Deck.ts"`,
      `import type {\n  Face\n} from "../src/face/Face.ts"`,
      `export { x } from "../src/config/Config.ts"`,
      `const lib = await import("../src/index.ts")`,
      `// import { no } from "../src/commented/Out.ts"`,
      `import { Effect } from "effect"`
    ].join("\n")
    const found = srcImportsOf("test/Example.test.ts", source)
    assert.deepStrictEqual(found.map((i) => i.target), [
      "src/deck/Deck.ts",
      "src/face/Face.ts",
      "src/config/Config.ts",
      "src/index.ts"
    ])
    assert.deepStrictEqual(found.map((i) => allowedBy(i) === undefined), [true, true, true, false])
  })

  it("every import of src/ in test/ and bench/ goes through the surface or is on a list", () => {
    const problems = allImports()
      .filter((i) => allowedBy(i) === undefined)
      .map((i) =>
        `${i.file}:${i.line} imports ${i.target}: import it from ${SURFACE.join(" or ")} ` +
        `(export it there if a user could need it), or add a white-box entry saying why`
      )
    assert.deepStrictEqual(problems, [])
  })

  it("every white-box entry is still used, and every listed path exists", () => {
    const imports = allImports()
    const unused = Object.entries(WHITE_BOX).flatMap(([file, rules]) =>
      rules.filter((rule) =>
        !imports.some((i) => i.file === file && typeof allowedBy(i) === "object" && covers(rule, i.target))
      ).map((rule) => `${file} no longer reaches into ${rule}: drop the entry`)
    )
    const missing = [...SURFACE, ...ANYONE, ...Object.values(WHITE_BOX).flat()]
      .filter((path) => !Fs.existsSync(Path.join(ROOT, path)))
      .map((path) => `${path} does not exist`)
    assert.deepStrictEqual([...unused, ...missing], [])
  })
})
