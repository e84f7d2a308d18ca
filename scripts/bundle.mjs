/**
 * Bundling a command-line entry point with esbuild into `<outdir>/main.js`, a launcher that
 * enables Node's module compile cache (where the Node has one) before it imports the code,
 * and chunks in `<outdir>/<chunksDir>/`. Used by scripts/build.mjs for the CLI and by the
 * benchmark for its reference program, so both are built the same way.
 */
import * as Fs from "node:fs"
import { createRequire } from "node:module"
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

/**
 * Modules the bundle loads on first use instead of at start: each becomes a CommonJS shim
 * whose exports are getters that `require` the real module the first time one is read
 * (esbuild's CommonJS interop reads an export only when the code uses it).
 *
 * - `http`/`https`: importing them as ES modules makes Node build a namespace by reading every
 *   export, and on Node 22 that reads http's lazy `WebSocket` getter, which loads Node's own
 *   fetch (undici, 10–20 ms). `https` also initialises TLS (~5 MiB resident, 5–10 ms); only an
 *   OAuth token exchange or refresh needs it.
 * - `ws`: @effect/platform-node's HTTP server imports it for WebSocket upgrades, which deckcord's
 *   servers never do; loading it pulls in https, tls, crypto and zlib.
 * - `tls`, `zlib`, `readline`: imported by @effect/platform-node-shared's sockets, response
 *   compression and terminal, which deckcord uses without TLS, compression or prompts.
 */
const ON_FIRST_USE = ["node:http", "node:https", "node:tls", "node:zlib", "node:readline", "ws"]
/** Each of them, and the built-ins also without their `node:` prefix. */
const onFirstUseName = (specifier) => ON_FIRST_USE.find((m) => m === specifier || m === `node:${specifier}`)

const modulesOnFirstUse = (resolveDir) => {
  const requireHere = createRequire(Path.join(resolveDir, "package.json"))
  return {
    name: "modules-on-first-use",
    setup(build) {
      // the shim's own require of the real module resolves normally
      build.onResolve({ filter: /^(node:)?[a-z]+$/ }, (args) => {
        const name = onFirstUseName(args.path)
        if (name === undefined || args.namespace === "on-first-use") return undefined
        return { path: name, namespace: "on-first-use" }
      })
      build.onLoad({ filter: /.*/, namespace: "on-first-use" }, (args) => {
        const names = Object.keys(requireHere(args.path)).filter((n) => n !== "default" && n !== "__esModule")
        const getters = names.map((n) => `  ${JSON.stringify(n)}: { enumerable: true, get: () => load()[${JSON.stringify(n)}] }`)
        return {
          contents: [
            `let loaded`,
            `const load = () => (loaded ??= require(${JSON.stringify(args.path)}))`,
            `Object.defineProperties(module.exports, {`,
            getters.join(",\n"),
            `})`
          ].join("\n"),
          loader: "js",
          resolveDir
        }
      })
    }
  }
}

/**
 * @effect/platform-node requires `node:http` and `node:https` through its own `createRequire`
 * when its HTTP modules load, which esbuild cannot see; this rewrites that one file to import
 * them, so the shims above apply. The build fails if the file no longer reads as expected.
 */
const PLATFORM_HTTP = /@effect[\\/]platform-node[\\/]dist[\\/]internal[\\/]http\.js$/
const platformHttpOnFirstUse = {
  name: "platform-http-on-first-use",
  setup(build) {
    build.onLoad({ filter: PLATFORM_HTTP }, (args) => {
      const source = Fs.readFileSync(args.path, "utf8")
      for (const expected of ['export const http = /*#__PURE__*/require("node:http");', 'export const https = /*#__PURE__*/require("node:https");']) {
        if (!source.includes(expected)) throw new Error(`${args.path} no longer contains ${expected}; update scripts/bundle.mjs`)
      }
      return { contents: 'import * as http from "node:http"\nimport * as https from "node:https"\nexport { http, https }\n', loader: "js" }
    })
  }
}

/**
 * Packages the CLI leaves to Node at run time: the native addons. The Stream Deck libraries
 * are compiled in (one chunk instead of ~50 CommonJS files resolved and read at start); the
 * code loads them on first use through ES modules of its own (`deck/hidLibrary.ts`,
 * `deck/deckModels.ts`), because esbuild turns a dynamic import of bundled CommonJS into a
 * chunk whose only export is `default` (the build checks for that below).
 */
export const CLI_EXTERNAL = ["@resvg/resvg-js", "@julusian/jpeg-turbo", "node-hid"]

/**
 * A dynamic import of bundled CommonJS: its namespace has only `default`, so a destructured
 * named export is undefined at run time. Returns one line per such import.
 */
export const dynamicImportsOfCommonJs = (metafile) => {
  const commonJs = new Set(Object.entries(metafile.inputs).filter(([, input]) => input.format === "cjs").map(([path]) => path))
  const problems = new Set()
  for (const [output, info] of Object.entries(metafile.outputs)) {
    for (const imported of info.imports) {
      if (imported.kind !== "dynamic-import" || imported.external) continue
      const target = metafile.outputs[imported.path]
      if (target?.entryPoint !== undefined && commonJs.has(target.entryPoint)) {
        problems.add(`${output} imports ${target.entryPoint} (CommonJS) dynamically; mark its package external`)
      }
    }
  }
  return [...problems]
}

/** V8's `--bytecode-old-age` (Node 22 and 24): full GCs a function must sit out before its bytecode goes. */
const BYTECODE_OLD_AGE = 6

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
        // Settling once start-up is over. The young generation: start-up grows it to 16 MiB
        // (keeping it small from the first line costs start-up 15-20 ms of extra scavenges),
        // and V8 gives none of it back while the daemon idles. The bytecode of code that ran
        // once (module initialisers, start-up paths) stays too: V8 drops it only after
        // BYTECODE_OLD_AGE full collections it did not run across, and an idle daemon collects
        // rarely. So once a process has run 5 s, memory-reducing full GCs back to back shrink
        // the young generation to 1 MiB, stop its growth and flush that bytecode (about 10 MiB
        // resident and 1 MiB of heap, ~20 ms of CPU once). The timer is unref'd: a short
        // command never waits for it. A user's own semi-space flag wins.
        'if (!/semi[-_]space/.test(`${process.env.NODE_OPTIONS ?? ""} ${process.execArgv.join(" ")}`)) setTimeout(async () => { const V8 = await import("node:v8"); V8.setFlagsFromString("--semi-space-growth-factor=1"); V8.setFlagsFromString("--expose-gc"); const gc = (await import("node:vm")).runInNewContext("gc"); for (let i = 0; i <= BYTECODE_OLD_AGE; i++) gc({ type: "major", execution: "sync", flavor: "last-resort" }) }, 5000).unref()'.replace("BYTECODE_OLD_AGE", String(BYTECODE_OLD_AGE)),
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
    plugins: [modulesOnFirstUse(resolveDir), platformHttpOnFirstUse],
    minifySyntax: true,
    // DECKCORD_BUNDLE_READABLE=1: one statement per line, so a CPU profile's line ticks map to sources
    minifyWhitespace: process.env.DECKCORD_BUNDLE_READABLE !== "1",
    sourcemap: "linked",
    // maps point into node_modules and src/ for stack traces; the sources themselves ship there already
    sourcesContent: false,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    // bundled CommonJS (e.g. in @effect/platform-node-shared) calls require for node: built-ins
    banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' }
  })
  const commonJs = dynamicImportsOfCommonJs(result.metafile)
  if (commonJs.length > 0) throw new Error(`the bundle would lose named exports:\n${commonJs.join("\n")}`)
  const outputs = Object.keys(result.metafile.outputs).filter((o) => o.endsWith(".js")).map((o) => Path.resolve(o))
  checkRelativeUrls(outputs)
  return outputs
}
