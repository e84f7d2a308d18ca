/**
 * The README's reference tables against the code: a new action or icon that is not
 * documented fails here.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import { ACTIONS } from "../src/services/actions/index.ts"
import { ICON_NAMES } from "../src/services/Face.ts"

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
