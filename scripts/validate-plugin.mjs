#!/usr/bin/env node
/**
 * `npm run validate:plugin`: Elgato's own manifest check (`streamdeck validate`, from the
 * @elgato/cli dev dependency) on the folder `npm run build:plugin` wrote. It runs offline
 * against the schemas bundled with the CLI; `--no-update-check` keeps it from asking online.
 */
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const folder = Path.join(root, "dist", "plugin", "com.deckcord.discord.sdPlugin")
if (!Fs.existsSync(Path.join(folder, "manifest.json"))) {
  console.error(`no plugin at ${Path.relative(root, folder)}: run npm run build:plugin first`)
  process.exit(1)
}
let cli
try {
  cli = Path.join(Path.dirname(createRequire(Path.join(root, "package.json")).resolve("@elgato/cli/package.json")), "bin", "streamdeck.mjs")
} catch {
  console.error("@elgato/cli is not installed: run npm install (it is a dev dependency)")
  process.exit(1)
}
const run = spawnSync(process.execPath, [cli, "validate", "--no-update-check", folder], { encoding: "utf8" })
process.stdout.write(run.stdout)
process.stderr.write(run.stderr)
// the CLI exits 0 on warnings too: deckcord's manifest has none, keep it that way
const output = `${run.stdout}${run.stderr}`
if (run.status !== 0 || /warning|error/i.test(output.replace(/Validation successful/i, ""))) {
  console.error("streamdeck validate reported problems (above)")
  process.exit(1)
}
