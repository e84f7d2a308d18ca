import { assert, describe, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
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

  it("gives back V8's young generation once the process has run a while, and keeps it small", async () => {
    const { bundleEntry } = await import("../scripts/bundle.mjs")
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-bundle-test-"))
    try {
      // start-up-like churn grows the young generation; then wait until it is given back
      // (the launcher does that after a few seconds), churn again and report its size
      Fs.writeFileSync(Path.join(dir, "entry.js"), [
        'import * as V8 from "node:v8"',
        'const youngGeneration = () => V8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size',
        "const churn = () => { let kept = []; for (let i = 0; i < 1_000_000; i++) { kept.push({ i, s: `x${i}` }); if (kept.length > 200_000) kept = [] } }",
        "churn()",
        "const grown = youngGeneration()",
        "const poll = setInterval(() => { if (youngGeneration() > 2 * 1024 * 1024) return; clearInterval(poll); churn(); console.log(grown, youngGeneration()) }, 50)"
      ].join("\n"))
      await bundleEntry({ entry: "./entry.js", resolveDir: dir, outdir: Path.join(dir, "out"), chunksDir: "chunks" })
      const { NODE_OPTIONS: _, ...env } = process.env
      const out = await new Promise<string>((resolve, reject) =>
        ChildProcess.execFile(process.execPath, [Path.join(dir, "out", "main.js")], { env, encoding: "utf8" }, (error, stdout) =>
          error ? reject(error) : resolve(stdout))
      )
      const [grown, after] = out.trim().split(" ").map(Number)
      assert.isAbove(grown!, 4 * 1024 * 1024) // start-up may grow it (that keeps start-up fast)
      assert.isAtMost(after!, 2 * 1024 * 1024)
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 20_000)
})
