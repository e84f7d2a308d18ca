#!/usr/bin/env node
/**
 * `npm run build:plugin`: builds the Stream Deck plugin folder and its packed
 * `.streamDeckPlugin` under dist/plugin/. The build itself is TypeScript (src/plugin/Build.ts,
 * which shares the manifest and the renderer with the plugin), so esbuild compiles it first.
 */
import * as esbuild from "esbuild"
import * as Path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const builder = Path.join(root, "build", "plugin-builder.mjs")
await esbuild.build({
  entryPoints: [Path.join(root, "src/plugin/Build.ts")],
  outfile: builder,
  bundle: true,
  platform: "node",
  format: "esm",
  packages: "external",
  logLevel: "warning"
})
const { buildPlugin } = await import(pathToFileURL(builder).href)
const result = await buildPlugin({ root })
console.log(`plugin folder: ${Path.relative(root, result.pluginDir)} (entry ${(result.entryBytes / 1024).toFixed(0)} kB)`)
console.log(`packed plugin: ${Path.relative(root, result.packFile)}`)
