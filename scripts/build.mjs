#!/usr/bin/env node
/**
 * The build after `tsc -p tsconfig.build.json` (see `npm run build`), in two steps:
 *
 * 1. Library (`dist/**`, plain ESM as tsc wrote it): named imports from package barrels
 *    (`import { Effect, Layer } from "effect"`) become imports of the modules they name
 *    (`import * as Effect from "effect/Effect"`). A barrel re-exports every module of its
 *    package, so importing one loads them all: effect's alone is ~390 files and ~200 ms.
 *    The sources keep the barrel style; only the emitted JS changes, and the build fails on
 *    a name it cannot map.
 * 2. Command line (`dist/main.js`): the CLI is bundled by esbuild (scripts/bundle.mjs) into a small launcher,
 *    which turns on Node's module compile cache where the Node has one, and chunks under
 *    `dist/chunks/`, so one compiled file replaces ~500 module loads. Native addons stay
 *    external, and so do CommonJS packages loaded with `await import` (see bundle.mjs). Chunks sit two levels below the package root like `dist/discord/*.js`, so a
 *    module's `new URL("../../assets/…", import.meta.url)` still finds the package's files;
 *    the build checks every such path in the output.
 *
 * `node scripts/build.mjs --check` only reports barrel imports left in `dist/` (exit 1 if any).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { leftovers, readBarrel, rewriteSource } from "./barrels.mjs"
import { bundleEntry, CLI_EXTERNAL } from "./bundle.mjs"

const root = fileURLToPath(new URL("..", import.meta.url))
const dist = Path.join(root, "dist")
const chunksDir = "chunks"

/** Barrels whose named imports are rewritten; each must consist of re-exports only. */
const BARRELS = ["effect", "effect/cli", "effect/http", "@effect/platform-node"]
const resolveHere = (specifier) => fileURLToPath(import.meta.resolve(specifier))

const walk = (dir) =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    // only tsc's output: not the CLI's chunks, nor the Stream Deck plugin's bundle (scripts/build-plugin.mjs)
    if (entry.isDirectory()) return (dir === dist && entry.name === chunksDir) || entry.name.endsWith(".sdPlugin") ? [] : walk(path)
    return entry.name.endsWith(".js") ? [path] : []
  })

const rewriteDist = () => {
  const barrels = new Map(BARRELS.map((b) => [b, readBarrel(b, resolveHere(b))]))
  let changed = 0
  for (const file of walk(dist)) {
    const where = Path.relative(root, file)
    const source = Fs.readFileSync(file, "utf8")
    const rewritten = rewriteSource(source, barrels, where)
    const left = leftovers(rewritten, BARRELS)
    if (left.length > 0) throw new Error(`${where} still imports the ${left.join(", ")} barrel in a form the build cannot rewrite`)
    if (rewritten !== source) {
      Fs.writeFileSync(file, rewritten)
      changed++
    }
  }
  return changed
}

const check = () => {
  const bad = walk(dist).filter((file) => leftovers(Fs.readFileSync(file, "utf8"), BARRELS).length > 0)
  for (const file of bad) console.error(`barrel import left in ${Path.relative(root, file)}`)
  return bad.length === 0
}

const bundleCli = async () => {
  Fs.rmSync(Path.join(dist, chunksDir), { recursive: true, force: true })
  const outputs = await bundleEntry({ entry: "./src/main.ts", resolveDir: root, outdir: dist, chunksDir, external: CLI_EXTERNAL })
  Fs.chmodSync(Path.join(dist, "main.js"), 0o755)
  return outputs.length
}

if (process.argv.includes("--check")) {
  process.exit(check() ? 0 : 1)
} else {
  const rewritten = rewriteDist()
  const chunks = await bundleCli()
  console.log(`build: ${rewritten} modules import deep paths instead of barrels; CLI bundled into ${chunks} files`)
}
