/**
 * Bundling a command-line entry point with esbuild into `<outdir>/main.js`, a launcher that
 * enables Node's module compile cache (where the Node has one) before it imports the code,
 * and chunks in `<outdir>/<chunksDir>/`. Used by scripts/build.mjs for the CLI and by the
 * benchmark for its reference program, so both are built the same way.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

/** Every `new URL("../…", import.meta.url)` in an output must name an existing file. */
const checkRelativeUrls = (files) => {
  for (const file of files) {
    const source = Fs.readFileSync(file, "utf8")
    for (const match of source.matchAll(/new URL\(\s*"(\.\.?\/[^"]+)",\s*import\.meta\.url\s*\)/g)) {
      const target = Path.resolve(Path.dirname(file), match[1])
      if (!Fs.existsSync(target)) throw new Error(`${file}: ${match[1]} resolves to ${target}, which does not exist`)
    }
  }
}

/** Returns the files written (absolute paths). */
export const bundleEntry = async ({ entry, resolveDir, outdir, chunksDir, external = [] }) => {
  const esbuild = await import("esbuild")
  const result = await esbuild.build({
    stdin: {
      // the compile cache must be on before the first heavy module is compiled
      contents: [
        "#!/usr/bin/env node",
        'import * as Module from "node:module"',
        "try { Module.enableCompileCache?.() } catch {}",
        `await import(${JSON.stringify(entry)})`
      ].join("\n"),
      resolveDir,
      sourcefile: "launcher.js",
      loader: "js"
    },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir,
    entryNames: "main",
    chunkNames: `${chunksDir}/[name]-[hash]`,
    external,
    minifySyntax: true,
    minifyWhitespace: true,
    sourcemap: "linked",
    // maps point into node_modules and src/ for stack traces; the sources themselves ship there already
    sourcesContent: false,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    // bundled CommonJS (e.g. in @effect/platform-node-shared) calls require for node: built-ins
    banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' }
  })
  const outputs = Object.keys(result.metafile.outputs).filter((o) => o.endsWith(".js")).map((o) => Path.resolve(o))
  checkRelativeUrls(outputs)
  return outputs
}
