/**
 * The static import graph of a source tree, read with a small scanner instead of the
 * compiler: specifiers of `import … from`, `export … from`, side-effect `import "…"` and
 * `import("…")` with a literal argument. Type-only imports count too: they are dependencies
 * of the design even though they vanish from the emitted JavaScript.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

/** One import of one file. */
export interface ImportEdge {
  /** The specifier as written, e.g. `./Deck.ts`, `effect`, `node:fs`. */
  readonly specifier: string
  /** Named bindings of `import { A, type B as C } from …` (the imported names: A, B); empty otherwise. */
  readonly names: ReadonlyArray<string>
  /** `import * as X from …` or `export * from …`: the whole module. */
  readonly namespace: boolean
  /** 1-based line of the specifier, for messages. */
  readonly line: number
}

const STRING_OR_COMMENT =
  /("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\[\s\S]|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g

/**
 * Blank out comments (keeping newlines, so line numbers stay right) and replace every string
 * literal by a numbered placeholder `"#N"`, so that text inside strings never looks like code.
 */
export const maskSource = (source: string): { readonly code: string; readonly literals: ReadonlyArray<string> } => {
  const literals: Array<string> = []
  const code = source.replace(STRING_OR_COMMENT, (match, literal: string | undefined) => {
    if (literal === undefined) return match.replace(/[^\n]/g, " ")
    literals.push(literal.slice(1, -1))
    // keep the literal's newlines (template literals) so later line numbers stay right
    return `"#${literals.length - 1}"` + literal.replace(/[^\n]/g, "")
  })
  return { code, literals }
}

// `import`/`export` … `from "#N"`; the clause is names, braces, commas and `*` only, and may span lines
const FROM_CLAUSE = /(?<![\w$.])(import|export)\s+([\w$\s{},*]*?)\s*\bfrom\s*"#(\d+)"/g
// `import "#N"` (side effect only)
const BARE_IMPORT = /(?<![\w$.])import\s*"#(\d+)"/g
// `import("#N")` with a literal
const DYNAMIC_IMPORT = /(?<![\w$.])import\s*\(\s*"#(\d+)"\s*\)/g

const lineAt = (text: string, index: number): number => text.slice(0, index).split("\n").length

const namedBindings = (clause: string): ReadonlyArray<string> => {
  const braces = /\{([^}]*)\}/.exec(clause)
  if (!braces) return []
  return braces[1]!
    .split(",")
    .map((part) => part.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0]!.trim())
    .filter((name) => name.length > 0)
}

/** Every import of one source file. */
export const importsOf = (source: string): ReadonlyArray<ImportEdge> => {
  const { code, literals } = maskSource(source)
  const edges: Array<ImportEdge> = []
  const at = (m: RegExpMatchArray) => lineAt(code, m.index! + m[0].lastIndexOf('"#'))
  for (const m of code.matchAll(FROM_CLAUSE)) {
    const clause = m[2]!
    edges.push({ specifier: literals[Number(m[3])]!, names: namedBindings(clause), namespace: /\*/.test(clause), line: at(m) })
  }
  for (const m of code.matchAll(BARE_IMPORT)) {
    edges.push({ specifier: literals[Number(m[1])]!, names: [], namespace: true, line: at(m) })
  }
  for (const m of code.matchAll(DYNAMIC_IMPORT)) {
    const specifier = literals[Number(m[1])]!
    // a template with substitutions is not a static specifier
    if (!specifier.includes("${")) edges.push({ specifier, names: [], namespace: true, line: at(m) })
  }
  return edges
}

/**
 * The program's modules. Plain `.js` under src/ is browser code served as static files (the
 * web UI): a separate program with its own imports, not part of this graph.
 */
export const SOURCE_EXTENSIONS = [".ts", ".mts"]

/** Source files under `root`, as paths relative to it with `/` separators, sorted. */
export const listSources = (root: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (dir: string) => {
    for (const entry of Fs.readdirSync(dir, { withFileTypes: true })) {
      const full = Path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext)) && !entry.name.endsWith(".d.ts")) {
        out.push(Path.relative(root, full).split(Path.sep).join("/"))
      }
    }
  }
  walk(root)
  return out.sort()
}

/** An import of one file inside the tree, resolved; or an external package; or a dangling path. */
export type Resolved =
  | { readonly _tag: "Internal"; readonly file: string }
  | { readonly _tag: "External"; readonly packageName: string; readonly subpath: string }
  | { readonly _tag: "Unresolved"; readonly target: string }

/**
 * Resolve a specifier of `from` (a tree-relative path) against the set of tree files.
 * Relative specifiers must name a file of the tree (with its extension, as this project
 * writes them; a `.js` specifier also finds its `.ts` source).
 */
export const resolveSpecifier = (from: string, specifier: string, files: ReadonlySet<string>): Resolved => {
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    const target = Path.posix.normalize(Path.posix.join(Path.posix.dirname(from), specifier))
    const candidates = [target, target.replace(/\.js$/, ".ts"), target.replace(/\.mjs$/, ".mts")]
    const hit = candidates.find((c) => files.has(c))
    return hit !== undefined ? { _tag: "Internal", file: hit } : { _tag: "Unresolved", target }
  }
  const parts = specifier.split("/")
  const packageName = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!
  return { _tag: "External", packageName, subpath: specifier.slice(packageName.length).replace(/^\//, "") }
}

/** The first path segment: the folder a file belongs to (`""` for files at the root). */
export const folderOf = (file: string): string => (file.includes("/") ? file.slice(0, file.indexOf("/")) : "")

/**
 * Strongly connected components with more than one file (or a file importing itself):
 * each is one import cycle or a knot of several. Tarjan's algorithm, iterative order kept
 * deterministic by sorting.
 */
export const cyclesOf = (graph: ReadonlyMap<string, ReadonlySet<string>>): ReadonlyArray<ReadonlyArray<string>> => {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const components: Array<ReadonlyArray<string>> = []
  const visit = (node: string) => {
    index.set(node, counter)
    low.set(node, counter)
    counter++
    stack.push(node)
    onStack.add(node)
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!))
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: Array<string> = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || graph.get(node)?.has(node)) components.push(component.sort())
    }
  }
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node)
  return components.sort((a, b) => a[0]!.localeCompare(b[0]!))
}

/** One concrete loop through a component, for a readable message: `a → b → a`. */
export const loopThrough = (
  component: ReadonlyArray<string>,
  graph: ReadonlyMap<string, ReadonlySet<string>>
): ReadonlyArray<string> => {
  const members = new Set(component)
  const start = component[0]!
  // breadth-first from start's successors back to start, inside the component
  const previous = new Map<string, string>()
  const queue: Array<string> = [start]
  while (queue.length > 0) {
    const node = queue.shift()!
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (!members.has(next)) continue
      if (next === start) {
        const path = [node]
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!)
        return [...path, start]
      }
      if (!previous.has(next)) {
        previous.set(next, node)
        queue.push(next)
      }
    }
  }
  return component
}
