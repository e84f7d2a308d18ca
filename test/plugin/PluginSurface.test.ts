import { describe, expect, it } from "@effect/vitest"
import {
  actionUuid,
  bindingProblem,
  controlOf,
  deckInfoOf,
  decksFor,
  type Instance,
  instanceOf
} from "../../src/plugin/PluginSurface.ts"

const plus = deckInfoOf("D7", { name: "Stream Deck +", size: { columns: 4, rows: 2 }, type: 7 })
const pedal = deckInfoOf("D5", { name: "Stream Deck Pedal", size: { columns: 3, rows: 1 }, type: 5 })
const key = (over: Partial<Instance> = {}): Instance => ({
  context: "c1",
  action: actionUuid("mute"),
  device: "D7",
  controller: "Keypad",
  column: 1,
  row: 1,
  settings: {},
  ...over
})

describe("host devices as decks", () => {
  it("take the grid from the host and dials from the device type; every key draws 144 px", () => {
    expect(plus.keys).toHaveLength(8)
    expect(plus.keys[5]).toEqual({ index: 5, row: 1, column: 1, feedback: "lcd", pixelSize: { width: 144, height: 144 } })
    expect(plus.encoders.map((e) => e.lcdRegion)).toEqual([0, 1, 2, 3].map((i) => ({ x: i * 200, y: 0, width: 200, height: 100 })))
    expect(pedal.keys.every((k) => k.feedback === "none")).toBe(true)
    expect(pedal.encoders).toEqual([])
  })

  it("place keys row by row and dials by column; nothing outside the deck", () => {
    expect(controlOf(key(), plus)).toEqual({ kind: "key", index: 5 })
    expect(controlOf(key({ controller: "Encoder", column: 3, row: 0 }), plus)).toEqual({ kind: "encoder", index: 3 })
    expect(controlOf(key({ controller: "Encoder", column: 4, row: 0 }), plus)).toBeUndefined()
    expect(controlOf(key({ column: 4 }), plus)).toBeUndefined()
  })

  it("leave multi-action children out: they have no key of their own", () => {
    const payload = { controller: "Keypad" as const, settings: {}, isInMultiAction: true }
    expect(instanceOf({ action: "a", context: "c", device: "d", payload })).toBeUndefined()
  })
})

describe("instances as the layout", () => {
  it("bind each visible instance with its settings as the action's options", () => {
    const decks = new Map([["D7", plus]])
    const layout = decksFor(decks, [
      key({ settings: { mode: "hold" } }),
      key({ context: "c2", action: actionUuid("user-volume"), controller: "Encoder", column: 2, row: 0, settings: { step: 2 } })
    ])
    expect(layout).toEqual({
      D7: { keys: { "5": { mode: "hold", action: "mute" } }, encoders: { "2": { step: 2, action: "user-volume" } } }
    })
  })

  it("give a deck without instances an empty layout, not the default one", () => {
    expect(decksFor(new Map([["D7", plus]]), [])).toEqual({ D7: { keys: {}, encoders: {} } })
  })

  it("drop an instance whose settings are invalid, and say why in the user's terms", () => {
    const bad = key({ action: actionUuid("voice-channel"), settings: { channel: "general" } })
    expect(bindingProblem(bad)).toMatch(/^setting\["channel"\]: expected a voice channel id/)
    expect(decksFor(new Map([["D7", plus]]), [bad, key({ context: "c2", column: 0 })])).toEqual({
      D7: { keys: { "4": { action: "mute" } }, encoders: {} }
    })
    expect(bindingProblem(key({ action: "com.other.plugin.action" }))).toMatch(/unknown action/)
  })
})
