/**
 * What `npm run build:plugin` produces: a folder the hosts accept (every file the manifest
 * names, one bundled entry) and a packed plugin that unzips to exactly that folder.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { inflateRawSync } from "node:zlib"
import { ACTIONS } from "../../src/index.ts"
import { buildPlugin, type BuildResult, PLUGIN_FOLDER } from "../../src/plugin/Build.ts"
import { manifest, manifestVersion, optionFields } from "../../src/plugin/Manifest.ts"
import { crc32, zip } from "../../src/plugin/Zip.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))

/** Read a zip back: every entry's name and inflated bytes, checked against its CRC. */
const unzip = (bytes: Buffer): Map<string, Buffer> => {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  const count = bytes.readUInt16LE(end + 10)
  let at = bytes.readUInt32LE(end + 16)
  const out = new Map<string, Buffer>()
  for (let i = 0; i < count; i++) {
    expect(bytes.readUInt32LE(at)).toBe(0x02014b50)
    const crc = bytes.readUInt32LE(at + 16)
    const size = bytes.readUInt32LE(at + 20)
    const nameLength = bytes.readUInt16LE(at + 28)
    const local = bytes.readUInt32LE(at + 42)
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString("utf8")
    const dataStart = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28)
    const data = inflateRawSync(bytes.subarray(dataStart, dataStart + size))
    expect(crc32(data), name).toBe(crc)
    out.set(name, data)
    at += 46 + nameLength
  }
  return out
}

describe("the zip writer", () => {
  it("computes the standard CRC-32", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926)
  })

  it("writes entries that read back byte for byte", () => {
    const entries = [
      { path: "a.sdPlugin/manifest.json", data: new TextEncoder().encode("{}") },
      { path: "a.sdPlugin/bin/empty", data: new Uint8Array() }
    ]
    const read = unzip(Buffer.from(zip(entries)))
    expect([...read.keys()]).toEqual(entries.map((e) => e.path))
    expect(read.get("a.sdPlugin/manifest.json")!.toString()).toBe("{}")
    expect(read.get("a.sdPlugin/bin/empty")!.length).toBe(0)
  })
})

describe("the manifest", () => {
  it("has a four-part version", () => {
    expect(manifestVersion("0.1.0")).toBe("0.1.0.0")
    expect(manifestVersion("1.2.3-beta.4")).toBe("1.2.3.0")
  })

  it("lists every action but page and multi (hosts have their own), dials where they turn something", () => {
    const m = manifest("0.1.0")
    expect(m.Actions.map((a) => a.UUID)).toEqual(ACTIONS.filter((a) => a.name !== "page" && a.name !== "multi").map((a) => `com.deckcord.discord.${a.name}`))
    const dials = m.Actions.filter((a) => a.Controllers.includes("Encoder")).map((a) => a.UUID.split(".").pop())
    expect(dials).toEqual(["input-volume", "output-volume", "user-volume"])
    for (const action of m.Actions) expect(action.UUID.startsWith(`${m.UUID}.`)).toBe(true)
  })

  it("describes each action's options as inspector fields, with pickers for ids", () => {
    const named = (name: string) => optionFields(ACTIONS.find((a) => a.name === name)!)
    expect(named("mute")).toEqual([{ kind: "choice", name: "mode", optional: true, values: ["toggle", "on", "off", "hold"] }])
    expect(named("voice-channel")).toEqual([{ kind: "text", name: "channel", optional: false, picker: "voiceChannels" }])
    expect(named("user-volume").map((f) => [f.name, f.kind])).toEqual([["user", "text"], ["step", "number"], ["set", "number"]])
    expect(named("deafen").find((f) => f.name === "unmute")).toEqual({ kind: "boolean", name: "unmute", optional: true })
  })
})

describe("npm run build:plugin", () => {
  let out: string
  let built: BuildResult
  beforeAll(async () => {
    out = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-pack-"))
    built = await buildPlugin({ root, outDir: out })
  }, 60_000)
  afterAll(() => Fs.rmSync(out, { recursive: true, force: true }))

  it("writes every file the manifest names, and one bundled entry that imports nothing outside it", () => {
    const m = JSON.parse(Fs.readFileSync(Path.join(built.pluginDir, "manifest.json"), "utf8")) as ReturnType<typeof manifest>
    expect(Path.basename(built.pluginDir)).toBe(`${m.UUID}.sdPlugin`)
    const has = (p: string, exts: ReadonlyArray<string>) =>
      expect(exts.some((e) => Fs.existsSync(Path.join(built.pluginDir, `${p}${e}`))), p).toBe(true)
    has(m.Icon, [".png"])
    has(m.CategoryIcon, [".png", ".svg"])
    has(m.CodePath, [""])
    has(m.PropertyInspectorPath, [""])
    for (const action of m.Actions) {
      has(action.Icon, [".png", ".svg"])
      for (const state of action.States) has(state.Image, [".png", ".svg"])
      if ("Encoder" in action && action.Encoder !== undefined) has(action.Encoder.layout, [""])
    }
    const entry = Fs.readFileSync(Path.join(built.pluginDir, m.CodePath), "utf8")
    // static imports start a statement; strings that merely contain "import … from" do not
    const statics = [...entry.matchAll(/(?:^|[;\n])\s*import[^"'(]*?["']([^"']+)["']/g)].map((x) => x[1]!)
    const dynamics = [...entry.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((x) => x[1]!)
    expect(statics).toContain("node:module")
    // (CommonJS requires inside the bundle are renamed by the minifier; the end-to-end suite
    // runs this entry from a temp folder with no node_modules above it, which proves them)
    const imports = [...statics, ...dynamics]
    // ws's optional speed-ups are looked up in a try and may be absent
    expect(imports.filter((s) => !s.startsWith("node:") && !["bufferutil", "utf-8-validate"].includes(s))).toEqual([])
  })

  it("keeps secrets out of the inspector page: it never stores the secret in the host's settings", () => {
    const html = Fs.readFileSync(Path.join(built.pluginDir, "ui", "inspector.html"), "utf8")
    expect(html).toContain("connectElgatoStreamDeckSocket")
    expect(html).not.toMatch(/<script[^>]+src=/)
    expect(html).not.toMatch(/settings\.clientSecret|settings\[.clientSecret/)
  })

  it("has inspector scripts that parse, and a global entry both hosts can call", () => {
    const html = Fs.readFileSync(Path.join(built.pluginDir, "ui", "inspector.html"), "utf8")
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!)
    expect(scripts.length).toBe(2)
    // a classic script (not a module), so `window.connect…` is reachable from the host
    const window: Record<string, unknown> = {}
    const document = { addEventListener: () => undefined }
    new Function("window", "document", scripts.join("\n"))(window, document)
    expect(typeof window["connectElgatoStreamDeckSocket"]).toBe("function")
    expect(window["connectOpenActionSocket"]).toBe(window["connectElgatoStreamDeckSocket"])
  })

  it("packs the folder as <UUID>.streamDeckPlugin with the folder at its top", () => {
    const packed = unzip(Fs.readFileSync(built.packFile!))
    const files = [...packed.keys()]
    expect(files.every((f) => f.startsWith(`${PLUGIN_FOLDER}/`))).toBe(true)
    const manifestBytes = packed.get(`${PLUGIN_FOLDER}/manifest.json`)!
    expect(manifestBytes.equals(Fs.readFileSync(Path.join(built.pluginDir, "manifest.json")))).toBe(true)
    expect(files).toContain(`${PLUGIN_FOLDER}/bin/resvg.wasm`)
  })
})
