/**
 * The README's reference tables against the code: a new action or icon that is not
 * documented fails here, and so does a config example that deckcord would reject.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as Fs from "node:fs"
import { ACTIONS, checkLayout, decodeConfig, ICON_NAMES } from "../src/index.ts"

const readme = Fs.readFileSync(new URL("../README.md", import.meta.url), "utf8")

describe("README reference", () => {
  it("the actions table has a row for every action, and no row for an action that does not exist", () => {
    const section = readme.slice(readme.indexOf("### Actions"), readme.indexOf("### What keys show"))
    const rows = [...section.matchAll(/^\| `([a-z-]+)`(?:, `([a-z-]+)`)? \|/gm)].flatMap((m) => m.slice(1).filter(Boolean))
    assert.sameMembers(rows, ACTIONS.map((a) => a.name))
  })

  it("the icon list names every icon", () => {
    const row = readme.split("\n").find((line) => line.startsWith("| `icon` |"))
    assert.isDefined(row)
    const listed = [...row!.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]).filter((name) => name !== "icon")
    assert.deepStrictEqual(listed, [...ICON_NAMES])
  })
})

describe("README config examples", () => {
  it("every complete config.json example is a valid config, with no unknown keys", () => {
    const examples = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((t) => t.trimStart().startsWith("{"))
    assert.isAtLeast(examples.length, 2)
    for (const text of examples) {
      const decoded = decodeConfig("README.md", text, checkLayout)
      assert.isTrue(Result.isSuccess(decoded), Result.isFailure(decoded) ? decoded.failure.message : "")
      if (Result.isSuccess(decoded)) assert.deepStrictEqual(decoded.success.unknownKeys, [], text)
    }
  })
})
