import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Os from "node:os"
import * as Path from "node:path"
import { leftovers, readBarrel, rewriteSource } from "../scripts/barrels.mjs"

const resolve = createRequire(import.meta.url).resolve
const effect = () => new Map([["effect", readBarrel("effect", resolve("effect"))]])

describe("build: barrel imports become deep imports", () => {
  it("maps effect's namespaces and its re-exported functions to their modules", () => {
    const out = rewriteSource('import { Effect, Layer as L, pipe } from "effect";\nconst x = 1;\n', effect(), "x.js")
    assert.strictEqual(
      out,
      'import * as Effect from "effect/Effect";\nimport * as L from "effect/Layer";\nimport { pipe } from "effect/Function";\nconst x = 1;\n'
    )
    assert.deepStrictEqual(leftovers(out, ["effect"]), [])
  })

  it("fails on a name the barrel does not export, naming the file", () => {
    assert.throws(() => rewriteSource('import { Effekt } from "effect";\n', effect(), "dist/a.js"), /dist\/a\.js: "Effekt"/)
  })

  it("reports barrel imports it cannot rewrite", () => {
    assert.deepStrictEqual(leftovers('import "effect";\n', ["effect"]), ["effect"])
    assert.deepStrictEqual(leftovers('export * from "effect";\n', ["effect"]), ["effect"])
    assert.deepStrictEqual(leftovers('await import("effect/cli");\n', ["effect", "effect/cli"]), ["effect/cli"])
    assert.deepStrictEqual(leftovers('import * as Cli from "effect/cli/Command";\n', ["effect", "effect/cli"]), [])
  })
})

describe("build: the bundled command line", () => {
  it("loads node:http through require, so Node does not build its ES namespace (which loads Node's fetch)", async () => {
    const { bundleEntry } = await import("../scripts/bundle.mjs")
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-bundle-test-"))
    try {
      Fs.writeFileSync(Path.join(dir, "entry.js"), 'import * as Http from "node:http"\nexport const server = () => Http.createServer()\n')
      const outputs = await bundleEntry({ entry: "./entry.js", resolveDir: dir, outdir: Path.join(dir, "out"), chunksDir: "chunks" })
      const code = outputs.map((file) => Fs.readFileSync(file, "utf8")).join("\n")
      assert.match(code, /require\("node:http"\)/)
      assert.notMatch(code, /from\s*"node:http"/)
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
