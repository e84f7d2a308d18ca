import { assert, describe, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
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
        // past 6 s the launcher's settling (its timer is due at 5 s) has run: V8 may also shrink the
        // young generation on its own before that, and a churn then would grow it again
        "const poll = setInterval(() => { if (process.uptime() < 6 || youngGeneration() > 2 * 1024 * 1024) return; clearInterval(poll); churn(); console.log(grown, youngGeneration()) }, 50)"
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

describe("build: the bundled daemon", () => {
  it("refuses to build a dynamic import of bundled CommonJS, whose named exports would be undefined", async () => {
    const { bundleEntry } = await import("../scripts/bundle.mjs")
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-bundle-test-"))
    try {
      Fs.writeFileSync(Path.join(dir, "models.cjs"), "exports.MODELS = ['plus']\n")
      Fs.writeFileSync(Path.join(dir, "entry.js"), 'export const models = async () => (await import("./models.cjs")).MODELS\n')
      const bundling = bundleEntry({ entry: "./entry.js", resolveDir: dir, outdir: Path.join(dir, "out"), chunksDir: "chunks" })
      const error = await bundling.then(() => undefined, (e: unknown) => e)
      assert.instanceOf(error, Error)
      assert.match((error as Error).message, /models\.cjs \(CommonJS\) dynamically; mark its package external/)
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("lists virtual deck models, adds one and presses it over the control socket", async () => {
    const { bundleEntry, CLI_EXTERNAL } = await import("../scripts/bundle.mjs")
    const root = Path.join(import.meta.dirname, "..")
    // a sibling of dist/: the chunks' `../../assets/…` and node_modules resolve as in the package
    const outdir = Fs.mkdtempSync(Path.join(root, ".bundle-test-"))
    const home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-bundle-daemon-"))
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: home,
      XDG_CONFIG_HOME: Path.join(home, "config"),
      XDG_STATE_HOME: Path.join(home, "state"),
      XDG_RUNTIME_DIR: Path.join(home, "run"),
      DECKCORD_FAKE_DECKS: "none"
    }
    Fs.mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 })
    Fs.mkdirSync(Path.join(env.XDG_CONFIG_HOME, "deckcord"), { recursive: true })
    Fs.writeFileSync(
      Path.join(env.XDG_CONFIG_HOME, "deckcord", "config.json"),
      JSON.stringify({ clientId: "112233445566778899", clientSecret: "s", web: false }),
      { mode: 0o600 }
    )
    const socketPath = Path.join(env.XDG_RUNTIME_DIR, "deckcord", "control.sock")
    const call = (method: string, path: string, body?: unknown) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = Http.request({ socketPath, method, path, headers: { "content-type": "application/json" } }, (response) => {
          let text = ""
          response.on("data", (chunk: Buffer) => (text += chunk.toString()))
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }))
        })
        request.on("error", reject)
        request.end(body === undefined ? undefined : JSON.stringify(body))
      })
    let daemon: ChildProcess.ChildProcess | undefined
    try {
      await bundleEntry({ entry: "./src/main.ts", resolveDir: root, outdir, chunksDir: "chunks", external: CLI_EXTERNAL })
      const main = Path.join(outdir, "main.js")
      daemon = ChildProcess.spawn(process.execPath, [main], { env, stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      await new Promise<void>((resolve, reject) => {
        const seen = (chunk: Buffer) => {
          output += chunk.toString()
          if (/waiting for Discord/.test(output)) resolve()
        }
        daemon!.stdout!.on("data", seen)
        daemon!.stderr!.on("data", seen)
        daemon!.once("exit", () => reject(new Error(`the daemon exited:\n${output}`)))
      })
      const models = await call("GET", "/api/virtual-decks/models")
      assert.strictEqual(models.status, 200, models.body)
      assert.include(JSON.parse(models.body) as Array<string>, "plus")
      const added = await call("POST", "/api/virtual-decks", { model: "plus", serial: "BUNDLE1" })
      assert.strictEqual(added.status, 201, added.body)
      const press = await new Promise<{ code: number | null; output: string }>((resolve) =>
        ChildProcess.execFile(process.execPath, [main, "press", "virtual", "3"], { env, encoding: "utf8" }, (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : (error.code as number | null), output: stdout + stderr }))
      )
      // the key reached its action (push to talk by default), which then needs Discord, absent here
      assert.match(press.output, /was not sent: Discord was not connected/, press.output)
    } finally {
      if (daemon !== undefined && daemon.exitCode === null) {
        const exited = new Promise((resolve) => daemon!.once("exit", resolve))
        daemon.kill("SIGTERM")
        await exited
      }
      Fs.rmSync(outdir, { recursive: true, force: true })
      Fs.rmSync(home, { recursive: true, force: true })
    }
  }, 30_000)
})
