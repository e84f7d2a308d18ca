/**
 * The fake host catches a plugin's protocol mistakes: a scripted plugin that misbehaves on
 * purpose must show up in `violations`, and one that behaves must not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { decodeImageDataUrl, FAKE_HOST_DEVICES, FakeStreamDeckHost } from "../src/testing/index.ts"

const root = fileURLToPath(new URL("..", import.meta.url))
const MINI = FAKE_HOST_DEVICES.mini()

/** A PNG's signature and IHDR: enough for a host to read its size. */
const pngOf = (width: number, height: number) => {
  const b = Buffer.alloc(33)
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0)
  b.writeUInt32BE(13, 8)
  b.write("IHDR", 12, "ascii")
  b.writeUInt32BE(width, 16)
  b.writeUInt32BE(height, 20)
  return `data:image/png;base64,${b.toString("base64")}`
}

// A plugin in a few lines, told by MODE how to misbehave. It lives under build/ so that it
// resolves `ws` from the repository's node_modules.
const PLUGIN = `
import WebSocket from "ws"
const arg = (f) => process.argv[process.argv.indexOf(f) + 1]
const mode = process.env.MODE
const ws = new WebSocket("ws://127.0.0.1:" + arg("-port"))
ws.on("open", () => {
  if (mode === "bad-registration") ws.send(JSON.stringify({ event: "hello" }))
  else ws.send(JSON.stringify({ event: arg("-registerEvent"), uuid: arg("-pluginUUID") }))
})
ws.on("message", (data) => {
  const m = JSON.parse(data.toString())
  if (m.event !== "willAppear") return
  const size = mode === "wrong-size" ? 72 : 144
  ws.send(JSON.stringify({ event: "setImage", context: m.context, payload: { image: process.env["PNG_" + size] } }))
  if (mode === "sloppy") {
    ws.send(JSON.stringify({ event: "flyToTheMoon", context: m.context }))
    ws.send(JSON.stringify({ event: "setFeedback", context: m.context, payload: { title: "x" } }))
    ws.send(JSON.stringify({ event: "showAlert", context: "not-a-context" }))
  }
})
ws.on("close", () => process.exit(0))
`

let dir: string
beforeAll(() => {
  Fs.mkdirSync(Path.join(root, "build"), { recursive: true })
  dir = Fs.mkdtempSync(Path.join(root, "build", "fake-host-"))
  Fs.writeFileSync(Path.join(dir, "manifest.json"), JSON.stringify({ UUID: "com.example.fake", CodePath: "plugin.mjs", Version: "1.0.0.0" }))
  Fs.writeFileSync(Path.join(dir, "plugin.mjs"), PLUGIN)
})
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

const start = (mode: string, profile: "elgato" | "opendeck" = "elgato") =>
  FakeStreamDeckHost.start({
    pluginDir: dir,
    profile,
    devices: [MINI],
    instances: [{ action: "com.example.fake.key", device: MINI.id, column: 1, row: 1 }],
    env: { ...process.env, MODE: mode, PNG_144: pngOf(144, 144), PNG_72: pngOf(72, 72) }
  })

describe("FakeStreamDeckHost", () => {
  it("decodes PNG data URLs and names what is wrong with other images", () => {
    expect(decodeImageDataUrl(pngOf(144, 144))).toMatchObject({ width: 144, height: 144, mime: "image/png" })
    expect(decodeImageDataUrl("data:image/svg+xml;base64,PHN2Zy8+")).toMatch(/expected image\/png/)
    expect(decodeImageDataUrl("imgs/key.png")).toMatch(/not a base64 data URL/)
  })

  it("runs a well-behaved plugin without violations, on either host's ids, and sees it exit when it closes", async () => {
    for (const profile of ["elgato", "opendeck"] as const) {
      const host = await start("good", profile)
      const context = [...host.instances.keys()][0]!
      await host.waitForCommand((c) => c.event === "setImage" && c.context === context, "the image")
      expect(host.lastImage(context)).toMatchObject({ width: 144, height: 144 })
      if (profile === "opendeck") expect(host.pluginUUID).toBe("com.example.fake.sdPlugin")
      else expect(host.pluginUUID).toMatch(/^[0-9A-F]{32}$/)
      expect(host.violations).toEqual([])
      expect(await host.close()).toEqual({ code: 0, signal: null })
    }
  })

  it("flags images of the wrong size", async () => {
    const host = await start("wrong-size")
    await host.waitUntil(() => (host.violations.length > 0 ? true : undefined), "a violation")
    expect(host.violations).toEqual(["setImage: 72×72, expected 144×144"])
    await host.close()
  })

  it("flags unknown commands, feedback for keys and contexts that never appeared", async () => {
    const host = await start("sloppy")
    await host.waitUntil(() => (host.violations.length >= 3 ? true : undefined), "three violations")
    expect(host.violations).toEqual([
      "unknown command flyToTheMoon",
      expect.stringMatching(/^setFeedback for a key/),
      "showAlert for a context that never appeared: not-a-context"
    ])
    await host.close()
  })

  it("never serves a socket whose first frame is not the registration", async () => {
    const host = await FakeStreamDeckHost.launch({
      pluginDir: dir,
      devices: [MINI],
      instances: [{ action: "com.example.fake.key", device: MINI.id, column: 0 }],
      env: { ...process.env, MODE: "bad-registration" }
    })
    await host.waitUntil(() => (host.violations.length > 0 ? true : undefined), "the violation")
    expect(host.violations).toEqual(['first frame is not the registration: {"event":"hello"}'])
    expect(host.commands).toEqual([])
    await host.close()
  })
})
