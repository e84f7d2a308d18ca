/**
 * The remote commands start in about a bare `node` start because their path loads nothing
 * but Node: from src/main.ts, following static imports only (the full command line is a
 * dynamic import behind the dispatch), no package is reached.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const src = fileURLToPath(new URL("../../src/", import.meta.url))

/**
 * Static `import … from "x"` / `export … from "x"` / `import "x"` specifiers (not `import("x")`),
 * leaving out `import type` and `export type`: Node strips them, so they load nothing.
 */
const staticImports = (file: string): ReadonlyArray<string> => {
  const code = Fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "")
  return [...code.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^"'();]*?\s+from\s+)?["']([^"']+)["']/gm)].map((m) => m[1]!)
}

describe("the remote commands' client", () => {
  it("reaches only node: modules through static imports from main.ts", () => {
    const seen = new Set<string>()
    const packages = new Set<string>()
    const visit = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      for (const specifier of staticImports(file)) {
        if (specifier.startsWith(".")) visit(Path.resolve(Path.dirname(file), specifier))
        else packages.add(specifier)
      }
    }
    visit(Path.join(src, "main.ts"))
    expect(seen.size).toBeGreaterThan(1) // the scan follows main.ts into the client
    expect([...seen].map((f) => Path.relative(src, f)).sort()).toEqual([
      "cli/daemonArgs.ts",
      "cli/invocation.ts",
      "cli/remote.ts",
      "cli/remoteArgs.ts",
      "cli/remoteOutput.ts",
      "control/paths.ts",
      "main.ts"
    ])
    expect([...packages].filter((p) => !p.startsWith("node:"))).toEqual([])
  })
})
