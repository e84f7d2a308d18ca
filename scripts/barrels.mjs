/**
 * Rewriting named imports from package barrels into imports of the modules they name, for
 * scripts/build.mjs: `import { Effect, pipe as p } from "effect"` becomes
 * `import * as Effect from "effect/Effect"` and `import { pipe as p } from "effect/Function"`.
 * Only the forms tsc emits are rewritten; anything else is reported by `leftovers`.
 */
import * as Fs from "node:fs"

/**
 * A barrel's names → the module specifier each comes from, read from the barrel's own
 * source: `export * as Effect from "./Effect.js"` and `export { pipe, … } from "./Function.js"`.
 */
export const readBarrel = (specifier, file) => {
  const source = Fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
  const names = new Map()
  const statements = source.split(";").map((s) => s.trim()).filter((s) => s !== "")
  for (const statement of statements) {
    const namespace = /^export \* as (\w+) from "\.\/([\w/-]+)\.js"$/.exec(statement)
    const named = /^export \{([^}]*)\} from "\.\/([\w/-]+)\.js"$/.exec(statement)
    if (namespace) names.set(namespace[1], { namespace: true, from: `${specifier}/${namespace[2]}` })
    else if (named) {
      for (const name of named[1].split(",").map((n) => n.trim()).filter((n) => n !== "")) {
        if (!/^\w+$/.test(name)) throw new Error(`${file}: cannot map re-export "${name}"`)
        names.set(name, { namespace: false, from: `${specifier}/${named[2]}` })
      }
    } else throw new Error(`${file} is not a plain barrel (unexpected "${statement.slice(0, 80)}")`)
  }
  return names
}

/** One import declaration's replacement, or an error naming what could not be mapped. */
const deepImports = (barrel, names, specifiers, where) => {
  const out = []
  for (const raw of specifiers.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const [imported, local = imported] = raw.split(/\s+as\s+/)
    const target = names.get(imported)
    if (target === undefined) throw new Error(`${where}: "${imported}" is not exported by the "${barrel}" barrel`)
    out.push(target.namespace
      ? `import * as ${local} from "${target.from}";`
      : `import { ${imported === local ? imported : `${imported} as ${local}`} } from "${target.from}";`)
  }
  return out.join("\n")
}

const importPattern = (barrel) =>
  new RegExp(`^import \\{([^}]*)\\} from "${barrel.replace(/[/.]/g, "\\$&")}";$`, "gm")

/** Rewrite one module's source; returns it unchanged when it imports no barrel. */
export const rewriteSource = (source, barrels, where) => {
  let out = source
  for (const [barrel, names] of barrels) {
    out = out.replace(importPattern(barrel), (_, specifiers) => deepImports(barrel, names, specifiers, where))
  }
  return out
}

/** Barrel imports of any form still in a module (bare, side-effect, `export … from`, dynamic). */
export const leftovers = (source, barrels) =>
  barrels.filter((barrel) => new RegExp(`(from |import\\(|import )"${barrel.replace(/[/.]/g, "\\$&")}"`).test(source))

