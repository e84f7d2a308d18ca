/**
 * The architecture as a test: the import graph of src/ has no cycle, `protocol/` stays pure,
 * and each folder imports only the folders its rule allows (docs/ARCHITECTURE.md explains
 * the folders and why dependencies point the way they do).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import {
  cyclesOf,
  folderOf,
  importsOf,
  listSources,
  loopThrough,
  type Resolved,
  resolveSpecifier
} from "./support/importGraph.ts"

// ---------------------------------------------------------------------------------------------
// the rules (data)
// ---------------------------------------------------------------------------------------------

/** Any folder of src/, or any file at its root. */
const ANY = "any" as const

/**
 * Which folders of src/ each folder may import, besides itself. `""` stands for the files at
 * the root of src/, the entry points (index.ts, main.ts), which nothing imports. A folder that
 * does not exist yet has nothing to check; a folder that exists but has no row fails, so every
 * new folder gets one.
 */
const MAY_IMPORT: Readonly<Record<string, ReadonlyArray<string> | typeof ANY>> = {
  // pure codec and schemas of Discord's IPC protocol: nothing of ours (purity below)
  protocol: [],
  // the socket, the RPC client, the voice-state model
  discord: ["protocol"],
  // OAuth endpoint, the authorization flow, the token store; implements discord's Authenticator
  auth: ["protocol", "discord", "config"],
  // settings file, config schema, paths
  config: ["protocol"],
  // faces as data, the renderer, icons, fonts, the palette
  face: [],
  // HID decks and the surface seam: shows faces, reports input; knows nothing of Discord
  deck: ["face"],
  // controller, actions, layout, control API: the middle of both data paths
  control: ["protocol", "discord", "auth", "config", "deck", "face"],
  // the browser UI talks to the control API, never to Discord directly
  web: ["protocol", "config", "control", "deck", "face"],
  // the Stream Deck plugin: a surface at the deck seam plus its own composition root
  plugin: ["protocol", "discord", "auth", "config", "deck", "face", "control", "layers"],
  // composition roots and the command line may use everything but the fakes
  layers: ["protocol", "discord", "auth", "config", "deck", "face", "control", "web"],
  cli: ["protocol", "discord", "auth", "config", "deck", "face", "control", "web", "layers"],
  // the entry points (index.ts, main.ts) sit on top of everything
  "": ["protocol", "discord", "auth", "config", "deck", "face", "control", "web", "layers", "cli"],
  // the fakes stand in for anything
  testing: ANY
}

/** Root files anyone may import: leaves that import nothing themselves (checked below). */
const SHARED_LEAVES: ReadonlyArray<string> = ["src/version.ts"]

/**
 * Folder-rule breaches tolerated for now, as `from-file -> to-file`. Exact, like
 * KNOWN_CYCLES: every entry must still occur.
 */
const KNOWN_BREACHES: ReadonlyArray<string> = [
  // DECKCORD_FAKE_DECKS (demos, benchmarks) loads the fakes into the real daemon; a dynamic
  // import, taken only when that variable is set
  "src/layers/FakeDecksFromEnv.ts -> src/testing/FakeDeck.ts"
]

/** A module longer than this is split, or its header says why it is one piece. */
const MAX_LINES = 400

/** How a header says why a long module stays one piece. */
const LONG_BECAUSE = /^ \* Over 400 lines because /m

/**
 * What `protocol/` may import from outside: only effect's pure data modules (schemas, data
 * types, functions). No node:*, no other package, nothing that runs effects or does I/O.
 */
const PURE_EFFECT_MODULES: ReadonlySet<string> = new Set([
  "Array", "BigDecimal", "BigInt", "Boolean", "Brand", "Chunk", "Data", "Duration", "Equal",
  "Equivalence", "Function", "Hash", "HashMap", "HashSet", "Iterable", "Match", "Number", "Option",
  "Order", "Ordering", "Predicate", "Record", "Redacted", "Result", "Schema", "SchemaAST",
  "SchemaGetter", "SchemaIssue", "SchemaParser", "SchemaTransformation", "String", "Struct",
  "Tuple", "Types"
])

// ---------------------------------------------------------------------------------------------
// the graph
// ---------------------------------------------------------------------------------------------

const ROOT = fileURLToPath(new URL("../", import.meta.url))
const SRC = Path.join(ROOT, "src")

interface Edge {
  readonly from: string
  readonly line: number
  readonly specifier: string
  readonly names: ReadonlyArray<string>
  readonly namespace: boolean
  readonly to: Resolved
}

/** Every import of every file of src/, resolved; paths are repo-relative (`src/…`). */
const readGraph = (): { readonly files: ReadonlyArray<string>; readonly edges: ReadonlyArray<Edge> } => {
  const files = listSources(SRC)
  const known = new Set(files)
  const edges = files.flatMap((file) =>
    importsOf(Fs.readFileSync(Path.join(SRC, file), "utf8")).map((edge): Edge => {
      const to = resolveSpecifier(file, edge.specifier, known)
      return {
        from: `src/${file}`,
        line: edge.line,
        specifier: edge.specifier,
        names: edge.names,
        namespace: edge.namespace,
        to: to._tag === "Internal" ? { _tag: "Internal", file: `src/${to.file}` } : to
      }
    })
  )
  return { files: files.map((f) => `src/${f}`), edges }
}

const internalGraph = (files: ReadonlyArray<string>, edges: ReadonlyArray<Edge>) => {
  const graph = new Map<string, Set<string>>(files.map((f) => [f, new Set()]))
  for (const e of edges) if (e.to._tag === "Internal") graph.get(e.from)!.add(e.to.file)
  return graph
}

const folder = (repoPath: string): string => folderOf(repoPath.slice("src/".length))
const where = (e: Edge) => `${e.from}:${e.line} imports "${e.specifier}"`

/** Every import that breaks its folder's rule, as `from-file -> to-file` with the reason. */
const breaches = (files: ReadonlyArray<string>, edges: ReadonlyArray<Edge>) => {
  const problems: Array<{ readonly key: string; readonly message: string }> = []
  for (const f of new Set(files.map(folder))) {
    if (!(f in MAY_IMPORT)) {
      problems.push({ key: `folder ${f}`, message: `src/${f}/ has no row in MAY_IMPORT: say what it may import` })
    }
  }
  for (const e of edges) {
    if (e.to._tag !== "Internal") continue
    const from = folder(e.from)
    const to = folder(e.to.file)
    const allowed = MAY_IMPORT[from]
    if (from === to || allowed === undefined || allowed === ANY || allowed.includes(to)) continue
    if (SHARED_LEAVES.includes(e.to.file) && from !== "protocol") continue
    problems.push({
      key: `${e.from} -> ${e.to.file}`,
      message: `${where(e)}: ${from || "the root of src"}/ may not import ${to || "the root of src"}/`
    })
  }
  return problems
}

/** Why an import of `protocol/` is impure, or undefined when it is fine. */
const impurity = (e: Edge): string | undefined => {
  switch (e.to._tag) {
    case "Unresolved":
      return undefined // reported by its own test
    case "Internal":
      return folder(e.to.file) === "protocol" ? undefined : `${where(e)}: protocol/ imports only protocol/`
    case "External": {
      if (e.to.packageName !== "effect") return `${where(e)}: protocol/ may import no package but effect`
      if (e.to.subpath !== "") {
        return PURE_EFFECT_MODULES.has(e.to.subpath) ? undefined : `${where(e)}: effect/${e.to.subpath} is not pure data`
      }
      if (e.namespace) return `${where(e)}: import named pure modules from effect, not the whole barrel`
      const impure = e.names.filter((n) => !PURE_EFFECT_MODULES.has(n))
      return impure.length === 0 ? undefined : `${where(e)}: ${impure.join(", ")} from effect is not pure data`
    }
  }
}

// ---------------------------------------------------------------------------------------------
// the tests
// ---------------------------------------------------------------------------------------------

describe("architecture of src/", () => {
  const { files, edges } = readGraph()

  it("every relative import names a file of src/", () => {
    const dangling = edges.filter((e) => e.to._tag === "Unresolved").map(where)
    assert.deepStrictEqual(dangling, [])
  })

  it("has no import cycle", () => {
    const graph = internalGraph(files, edges)
    assert.deepStrictEqual(cyclesOf(graph).map((c) => loopThrough(c, graph).join(" → ")), [], "import cycles")
  })

  it("protocol/ imports nothing impure and nothing outside protocol/", () => {
    const problems = edges.filter((e) => folder(e.from) === "protocol").map(impurity).filter((p) => p !== undefined)
    assert.deepStrictEqual(problems, [])
  })

  it("the shared root leaves import nothing of src/", () => {
    const imports = edges.filter((e) => SHARED_LEAVES.includes(e.from) && e.to._tag === "Internal").map(where)
    assert.deepStrictEqual(imports, [])
  })

  it("each folder imports only the folders MAY_IMPORT allows", () => {
    const found = breaches(files, edges)
    const known = new Set(KNOWN_BREACHES)
    const fresh = found.filter((p) => !known.has(p.key)).map((p) => p.message)
    const gone = KNOWN_BREACHES.filter((k) => !found.some((p) => p.key === k))
    assert.deepStrictEqual(fresh, [], "imports against the folder rules")
    assert.deepStrictEqual(gone, [], "KNOWN_BREACHES entries that no longer occur: remove them")
  })
})

describe("module size", () => {
  it(`a module over ${MAX_LINES} lines says in its header why it is one piece`, () => {
    const unexplained = listSources(SRC).filter((file) => {
      const text = Fs.readFileSync(Path.join(SRC, file), "utf8")
      const header = text.slice(0, text.indexOf("*/") + 2)
      return text.split("\n").length > MAX_LINES && !LONG_BECAUSE.test(header)
    })
    assert.deepStrictEqual(unexplained.map((f) => `src/${f}`), [])
  })
})

describe("the rule table", () => {
  it("points one way: no folder may reach itself through the folders it may import", () => {
    const graph = new Map<string, ReadonlySet<string>>(
      Object.entries(MAY_IMPORT).map(([f, allowed]) => [f, new Set(allowed === ANY ? [] : allowed.filter((t) => t !== f))])
    )
    assert.deepStrictEqual(cyclesOf(graph).map((c) => loopThrough(c, graph).join(" → ")), [])
  })
})

describe("the folder map", () => {
  // each folder is explained in one line of docs/ARCHITECTURE.md rather than in a folder
  // index: an index.ts per folder would be a barrel, and importing one loads the whole folder
  it("docs/ARCHITECTURE.md has one row for each folder of src/, and its imports as MAY_IMPORT has them", () => {
    const doc = Fs.readFileSync(Path.join(ROOT, "docs", "ARCHITECTURE.md"), "utf8")
    const rows = new Map(
      [...doc.matchAll(/^\| `([a-z]+)\/` \| (.+) \| (.+) \|$/gm)].map((m) => [m[1]!, { what: m[2]!, imports: m[3]! }])
    )
    const folders = Fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()
    assert.deepStrictEqual([...rows.keys()].sort(), folders)
    for (const [folder, row] of rows) {
      const allowed = MAY_IMPORT[folder]
      if (allowed === undefined || allowed === ANY) continue
      const named = [...row.imports.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1]!)
      // "everything but …" rows name what they may not import
      if (/everything but/.test(row.imports)) {
        for (const f of named) assert.notInclude(allowed, f, `${folder}/ may not import ${f}/`)
      } else {
        assert.deepStrictEqual(named.sort(), allowed.filter((f) => f !== folder).sort(), `${folder}/'s row`)
      }
    }
  })
})

describe("the import scanner", () => {
  it("reads multi-line, type-only, re-export, side-effect and dynamic imports, not comments", () => {
    const source = [
      `import {`,
      `  a,`,
      `  type B as C`,
      `} from "./one.ts"`,
      `import type { D } from "../two.ts"`,
      `export * from "./three.ts"`,
      `export { e } from "./four.ts"`,
      `import "./five.ts"`,
      `const lazy = () => import("node:fs")`,
      `// import { no } from "./comment.ts"`,
      `/** import { no } from "./doc.ts" */`,
      `const text = "import { no } from './string.ts'"`
    ].join("\n")
    const found = importsOf(source).map((e) => [e.specifier, e.line, e.names.join(",")])
    assert.sameDeepMembers(found, [
      ["./one.ts", 4, "a,B"],
      ["../two.ts", 5, "D"],
      ["./three.ts", 6, ""],
      ["./four.ts", 7, "e"],
      ["./five.ts", 8, ""],
      ["node:fs", 9, ""]
    ])
  })

  it("finds a cycle and prints one loop through it", () => {
    const graph = new Map<string, ReadonlySet<string>>([
      ["a", new Set(["b"])],
      ["b", new Set(["c"])],
      ["c", new Set(["a", "d"])],
      ["d", new Set()],
      ["e", new Set(["e"])]
    ])
    const cycles = cyclesOf(graph)
    assert.deepStrictEqual(cycles, [["a", "b", "c"], ["e"]])
    assert.deepStrictEqual(loopThrough(cycles[0]!, graph), ["a", "b", "c", "a"])
    assert.deepStrictEqual(cyclesOf(new Map([["a", new Set(["b"])], ["b", new Set<string>()]])), [])
  })
})
