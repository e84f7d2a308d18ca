/**
 * The JSON Schema shipped for editors (schema/config.schema.json): current with the code,
 * accepting every config the README shows, rejecting the mistakes the README shows, and
 * agreeing with deckcord's own decoder on both.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as Fs from "node:fs"
import { checkLayout, decodeConfig } from "../src/index.ts"
import { CONFIG_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from "../src/control/ConfigSchema.ts"
import { jsonSchemaErrors } from "./support/jsonSchema.ts"

const read = (path: string) => Fs.readFileSync(new URL(`../${path}`, import.meta.url), "utf8")
const readme = read("README.md")
const schema = configJsonSchema()

const accepts = (value: unknown) => {
  const errors = jsonSchemaErrors(schema, value)
  assert.deepStrictEqual(errors, [], JSON.stringify(value))
  const decoded = decodeConfig("README.md", JSON.stringify(value), checkLayout)
  assert.isTrue(Result.isSuccess(decoded), Result.isFailure(decoded) ? decoded.failure.message : "")
}

const rejects = (value: unknown) => {
  assert.isNotEmpty(jsonSchemaErrors(schema, value), `the schema accepts ${JSON.stringify(value)}`)
  assert.isTrue(Result.isFailure(decodeConfig("README.md", JSON.stringify(value), checkLayout)), `deckcord accepts ${JSON.stringify(value)}`)
}

/** The README's JSON examples: whole files, and layout fragments (`"*": { … }`) as a `decks` entry. */
const examples = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => {
  const text = m[1]!.trim()
  return JSON.parse(text.startsWith("{") ? text : `{ "decks": { ${text} } }`) as Record<string, unknown>
})

/** `at ["a"]["b"]: …, got "x"` lines of the README, as a path and the value that is wrong there. */
const mistakes = [...readme.matchAll(/^(?:\S+: )?at ((?:\["[^"]*"\])+): (.*)$/gm)].map((m) => {
  const path = [...m[1]!.matchAll(/\["([^"]*)"\]/g)].map((p) => p[1]!)
  const got = /, got ("[^"]*")$/.exec(m[2]!)?.[1] ?? /unknown action ("[^"]*")/.exec(m[2]!)?.[1]
  return { path, value: got === undefined ? undefined : (JSON.parse(got) as unknown) }
})

const withValue = (base: unknown, path: ReadonlyArray<string>, value: unknown): unknown => {
  const copy = structuredClone(base) as Record<string, unknown>
  let node = copy
  for (const key of path.slice(0, -1)) {
    node[key] = typeof node[key] === "object" && node[key] !== null ? node[key] : {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1]!] = value
  return copy
}

describe("config JSON Schema", () => {
  it("the shipped file is the one the code generates (`npm run schema` regenerates it)", () => {
    assert.strictEqual(read(CONFIG_SCHEMA_FILE), configJsonSchemaText(), `${CONFIG_SCHEMA_FILE} is stale: run npm run schema`)
    const pkg = JSON.parse(read("package.json")) as { files: ReadonlyArray<string> }
    assert.include(pkg.files, CONFIG_SCHEMA_FILE.split("/")[0], "the schema ships with the package")
  })

  it("accepts every config example in the README", () => {
    assert.isAtLeast(examples.length, 3)
    for (const example of examples) accepts(example)
  })

  it("rejects each mistake the README shows, as deckcord does", () => {
    assert.isAtLeast(mistakes.length, 3)
    const layout = examples.find((e) => e["decks"] !== undefined && (e["decks"] as Record<string, unknown>)["*"] !== undefined)
    for (const { path, value } of mistakes) {
      assert.isDefined(value, `no wrong value in the README line for ${path.join(".")}`)
      const target = path[path.length - 1] === "action" ? path.slice(0, -1) : path
      rejects(withValue(layout, target, path[path.length - 1] === "action" ? { action: value } : value))
    }
  })

  it("agrees with the decoder on the layout's rules", () => {
    accepts({ decks: { "*": { keys: { "0": "mute", "1": { action: "user-volume", step: -5 } }, encoders: { "0": "output-volume" } } } })
    accepts({ $schema: "./config.schema.json", onExit: "logo" })
    rejects({ decks: { "*": { keys: { "0": "voice-channel" } } } }) // needs its channel
    rejects({ decks: { "*": { keys: { "0": { action: "mute", mode: "sometimes" } } } } })
    rejects({ decks: { "*": { keys: { "0": { action: "mute", volume: 3 } } } } }) // not an option of mute
    rejects({ decks: { "*": { keys: { "00": "mute" } } } })
    rejects({ decks: { "*": { keys: { "0": { action: "mute", background: "red" } } } } })
    rejects({ decks: { "*": { pages: { home: { keys: { "0": "mute" } } } } } })
    rejects({ clientId: 112233445566778899 })
    rejects({ brightness: 101 })
  })

  it("agrees with the decoder on multi-actions", () => {
    const key = (binding: unknown) => ({ decks: { "*": { keys: { "0": binding } } } })
    accepts(key({ action: "multi", label: "AFK", steps: ["mute", { delay: 200 }, { action: "deafen", mode: "on" }] }))
    accepts(key({ action: "multi", steps: ["camera"], then: ["camera"] }))
    rejects(key({ action: "multi" })) // needs its steps
    rejects(key({ action: "multi", steps: [] }))
    rejects(key({ action: "multi", steps: [{ delay: -1 }] }))
    rejects(key({ action: "multi", steps: [{ action: "multi", steps: ["mute"] }] }))
    rejects(key({ action: "multi", steps: [{ action: "page", page: "home" }] }))
    rejects(key({ action: "multi", steps: [{ action: "mute", label: "x" }] }))
    rejects(key({ action: "multi", steps: ["mute"], repeat: 2 }))
  })

  it("agrees with the decoder on key pictures", () => {
    const key = (binding: unknown) => ({ decks: { "*": { keys: { "0": binding } } } })
    accepts(key({ action: "mute", image: "keys/live.PNG", images: { on: "muted.svg", off: "/srv/live.jpeg" } }))
    rejects(key({ action: "mute", image: "live.gif" }))
    rejects(key({ action: "mute", images: { muted: "a.png" } }))
    rejects(key({ action: "multi", steps: [{ action: "mute", image: "a.png" }] }))
  })
})
