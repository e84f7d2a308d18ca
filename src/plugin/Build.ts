/**
 * `npm run build:plugin`: the plugin folder `<outDir>/com.deckcord.discord.sdPlugin` (manifest,
 * bundled entry, renderer, fonts, touch-strip layout, inspector, icons) and the packed
 * `com.deckcord.discord.streamDeckPlugin` beside it. The entry is one ESM file with every
 * dependency inside (hosts resolve nothing outside the folder), for Node 20 and later.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as NodePath from "node:path"
import { Effect } from "effect"
import { KeyRenderer } from "../face/KeyRenderer.ts"
import { DIAL_LAYOUT, DIAL_LAYOUT_PATH } from "./HostProtocol.ts"
import { inspectorHtml } from "./InspectorPage.ts"
import { CODE_PATH, displayName, iconPath, iconSvg, INSPECTOR_PATH, keyImagePath, manifest, PLUGIN_ACTIONS } from "./Manifest.ts"
import { PLUGIN_UUID } from "./PluginSurface.ts"
import { ensureWasm, rendererFilesOfRepo, svgToPng, wasmRendererLayer } from "./WasmRenderer.ts"
import { zip, type ZipEntry } from "./Zip.ts"

export interface BuildOptions {
  /** The repository root (package.json, src/, assets/, node_modules/). */
  readonly root: string
  /** Where the folder and the pack go (default `<root>/dist/plugin`). */
  readonly outDir?: string
  /** Skip the `.streamDeckPlugin` (tests only need the folder). */
  readonly pack?: boolean
}

export interface BuildResult {
  readonly pluginDir: string
  readonly packFile: string | undefined
  /** Bytes of the bundled entry. */
  readonly entryBytes: number
}

export const PLUGIN_FOLDER = `${PLUGIN_UUID}.sdPlugin`

const listFiles = (dir: string, prefix = ""): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(NodePath.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]
  ).sort()

const bundleEntry = async (root: string, outfile: string) => {
  const esbuild = await import("esbuild")
  await esbuild.build({
    entryPoints: [NodePath.join(root, "src/plugin/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    minify: true,
    legalComments: "eof",
    logLevel: "warning",
    // ws's optional speed-ups: it falls back to plain JS when they are absent
    external: ["bufferutil", "utf-8-validate"],
    // CommonJS dependencies (ws) call require; an ESM bundle has none of its own
    banner: { js: `import { createRequire as __deckcordRequire } from "node:module"; const require = __deckcordRequire(import.meta.url);` },
    plugins: [{
      // the daemon's renderer is a native addon; the plugin renders with resvg's WebAssembly build
      name: "no-native-renderer",
      setup(build) {
        build.onResolve({ filter: /^@resvg\/resvg-js$/ }, () => ({ path: "resvg-js", namespace: "deckcord-stub" }))
        build.onLoad({ filter: /.*/, namespace: "deckcord-stub" }, () => ({
          contents: `export class Resvg { constructor() { throw new Error("the native renderer is not part of the plugin") } }`,
          loader: "js"
        }))
      }
    }]
  })
}

export const buildPlugin = async (options: BuildOptions): Promise<BuildResult> => {
  const { root } = options
  const outDir = options.outDir ?? NodePath.join(root, "dist", "plugin")
  const pluginDir = NodePath.join(outDir, PLUGIN_FOLDER)
  Fs.rmSync(pluginDir, { recursive: true, force: true })
  const write = (relative: string, data: string | Uint8Array) => {
    const file = NodePath.join(pluginDir, relative)
    Fs.mkdirSync(NodePath.dirname(file), { recursive: true })
    Fs.writeFileSync(file, data)
  }
  const copy = (from: string, relative: string) => write(relative, Fs.readFileSync(NodePath.join(root, from)))

  // ---- code, renderer, fonts ----
  const entry = NodePath.join(pluginDir, CODE_PATH)
  Fs.mkdirSync(NodePath.dirname(entry), { recursive: true })
  await bundleEntry(root, entry)
  const wasmFile = NodePath.join(root, "node_modules/@resvg/resvg-wasm/index_bg.wasm")
  copy("node_modules/@resvg/resvg-wasm/index_bg.wasm", "bin/resvg.wasm")
  // every bundled font and its licence (the face layout picks among them per character)
  for (const font of Fs.readdirSync(NodePath.join(root, "assets/fonts")).sort()) copy(`assets/fonts/${font}`, `fonts/${font}`)

  // ---- declarations ----
  write("manifest.json", JSON.stringify(manifest(readVersion(root)), null, 2) + "\n")
  write(DIAL_LAYOUT_PATH, JSON.stringify(DIAL_LAYOUT, null, 2) + "\n")
  write(INSPECTOR_PATH, inspectorHtml())

  // ---- images: list icons as SVG (white on transparent), key images and the plugin icon as PNG ----
  await ensureWasm(wasmFile)
  const renderer = await Effect.runPromise(
    Effect.provide(Effect.gen(function*() { return yield* KeyRenderer }), wasmRendererLayer(rendererFilesOfRepo(root)))
  )
  const png = (face: Parameters<typeof renderer.renderPng>[0], size: number) =>
    Effect.runSync(renderer.renderPng(face, { width: size, height: size }))
  for (const action of PLUGIN_ACTIONS) {
    write(`${iconPath(action)}.svg`, iconSvg(action.icon, 20))
    const face = { icon: action.icon, label: displayName(action), tone: "neutral" as const }
    write(`${keyImagePath(action)}.png`, png(face, 72))
    write(`${keyImagePath(action)}@2x.png`, png(face, 144))
  }
  write("imgs/plugin/category.svg", iconSvg("mic", 28))
  const pluginIcon = (size: number) =>
    svgToPng(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 24 24">` +
        `<rect width="24" height="24" rx="5" fill="#5865f2"/>` +
        iconSvg("mic", 24).replace(/^<svg[^>]*>/, `<svg x="4" y="4" width="16" height="16" viewBox="0 0 24 24">`) +
        `</svg>`
    )
  write("imgs/plugin/icon.png", pluginIcon(256))
  write("imgs/plugin/icon@2x.png", pluginIcon(512))

  // ---- pack ----
  let packFile: string | undefined
  if (options.pack !== false) {
    const entries: Array<ZipEntry> = listFiles(pluginDir).map((relative) => ({
      path: `${PLUGIN_FOLDER}/${relative}`,
      data: Fs.readFileSync(NodePath.join(pluginDir, relative))
    }))
    packFile = NodePath.join(outDir, `${PLUGIN_UUID}.streamDeckPlugin`)
    Fs.writeFileSync(packFile, zip(entries))
  }
  return { pluginDir, packFile, entryBytes: Fs.statSync(entry).size }
}

const readVersion = (root: string): string =>
  (JSON.parse(Fs.readFileSync(NodePath.join(root, "package.json"), "utf8")) as { readonly version: string }).version
