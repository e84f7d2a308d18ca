import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import {
  type DeckInfo,
  decodeLayout,
  defaultLayout,
  describeDeck,
  type Layout,
  layoutFor,
  scopeExtrasFor
} from "../src/index.ts"
import { FakeDeck } from "../src/testing/index.ts"

const LOUNGE = "613425648685547545"

/** A deck's description as `Deck` makes it, from the library's own model definition. */
const infoOf = (model: string, serial = `SERIAL-${model}`) =>
  Effect.promise(async () => {
    const fake = await FakeDeck.make({ model, serial })
    const device = await fake.open()
    const info = describeDeck(serial, device)
    await device.close()
    return info
  })

const decodeOk = (decks: unknown): Layout => {
  const r = decodeLayout(decks)
  if (Result.isFailure(r)) assert.fail(r.failure.message)
  return r.success
}
const decodeErr = (decks: unknown): ReadonlyArray<string> => {
  const r = decodeLayout(decks)
  if (Result.isSuccess(r)) return assert.fail("expected the layout to be rejected")
  return r.failure.problems
}

/** Action names of a deck's keys / dials in index order (gaps as "-"). */
const names = (bindings: ReadonlyMap<number, { readonly action: { readonly name: string } }>, count: number) =>
  Array.from({ length: count }, (_, i) => bindings.get(i)?.action.name ?? "-")

describe("decodeLayout", () => {
  it("decodes bindings per deck with options, shorthands and face overrides", () => {
    const layout = decodeOk({
      "*": {
        keys: {
          "0": "mute",
          "4": { action: "voice-channel", channel: LOUNGE, label: "Lounge", icon: "voice-channel", background: "#112233" }
        },
        encoders: { "0": { action: "user-volume", step: 5 } }
      },
      AL12H1A00001: { keys: { "2": { action: "deafen", mode: "on", unmute: false } } }
    })
    const any = layout.decks.get("*")!
    assert.strictEqual(any.keys.get(0)?.action.name, "mute")
    assert.deepStrictEqual(any.keys.get(4)?.options, { channel: LOUNGE })
    assert.strictEqual(any.keys.get(4)?.label, "Lounge")
    assert.strictEqual(any.keys.get(4)?.background, "#112233")
    assert.deepStrictEqual(any.encoders.get(0)?.options, { step: 5 })
    assert.deepStrictEqual(layout.decks.get("AL12H1A00001")?.keys.get(2)?.options, { mode: "on", unmute: false })
  })

  it("no decks field means no layouts: every deck gets its default", () => {
    assert.strictEqual(decodeOk(undefined).decks.size, 0)
  })

  it("an unknown action names its path and lists the valid actions", () => {
    const [problem, ...rest] = decodeErr({ "*": { keys: { "3": { action: "mutee" } } } })
    assert.deepStrictEqual(rest, [])
    assert.match(problem!, /^at \["decks"\]\["\*"\]\["keys"\]\["3"\]\["action"\]: unknown action "mutee"; valid actions: mute, deafen, push-to-talk/)
    assert.include(problem!, "status")
    const [short] = decodeErr({ "*": { keys: { "3": "mutee" } } })
    assert.match(short!, /^at \["decks"\]\["\*"\]\["keys"\]\["3"\]: unknown action "mutee"/)
  })

  it("a channel id that is not a snowflake names its path, what is expected and the value", () => {
    const problems = decodeErr({ "*": { keys: { "4": { action: "voice-channel", channel: "1234" } } } })
    assert.strictEqual(problems.length, 1)
    assert.match(problems[0]!, /^at \["decks"\]\["\*"\]\["keys"\]\["4"\]\["channel"\]: expected a voice channel id \(17–20 digits.*got "1234"$/)
  })

  it("bad options: wrong value, missing option, unknown option, bad index, bad colour — all reported at once", () => {
    const problems = decodeErr({
      ABC: {
        keys: {
          "0": { action: "mute", mode: "sometimes" },
          "1": { action: "voice-channel" },
          "2": { action: "deafen", chanel: LOUNGE },
          top: "mute",
          "5": { action: "mute", background: "red" }
        },
        encoders: { "0": { action: "input-volume", step: 2.5 } },
        buttons: {}
      }
    })
    const at = (path: string) => problems.find((p) => p.startsWith(`at ${path}:`))
    assert.match(at(`["decks"]["ABC"]["keys"]["0"]["mode"]`)!, /expected "toggle" \| "on" \| "off" \| "hold", got "sometimes"/)
    assert.match(at(`["decks"]["ABC"]["keys"]["1"]["channel"]`)!, /"voice-channel" needs this option/)
    assert.match(at(`["decks"]["ABC"]["keys"]["2"]["chanel"]`)!, /unknown option for "deafen"; its options: mode, unmute/)
    assert.match(at(`["decks"]["ABC"]["keys"]["top"]`)!, /numbered from 0/)
    assert.match(at(`["decks"]["ABC"]["keys"]["5"]["background"]`)!, /colour like "#5865f2", got "red"/)
    assert.match(at(`["decks"]["ABC"]["encoders"]["0"]["step"]`)!, /integer.*got 2\.5/i)
    assert.match(at(`["decks"]["ABC"]["buttons"]`)!, /"keys", "encoders", "pages" are allowed/)
    assert.strictEqual(problems.length, 7)
  })

  it("soundboard needs a sound id or a name", () => {
    const problems = decodeErr({ "*": { keys: { "0": { action: "soundboard" } } } })
    assert.match(problems[0]!, /^at \["decks"\]\["\*"\]\["keys"\]\["0"\]: needs "sound"/)
    decodeOk({ "*": { keys: { "0": { action: "soundboard", name: "airhorn" } } } })
  })

  it("pages: decoded per deck, each with its keys and dials and a way back", () => {
    const layout = decodeOk({
      "*": {
        keys: { "0": "mute", "5": { action: "page", page: "sounds" } },
        pages: {
          sounds: { keys: { "0": { action: "page", page: "home" }, "1": { action: "page", page: "more" } } },
          more: { keys: { "0": { action: "page", page: "sounds" } }, encoders: { "0": "output-volume" } }
        }
      }
    })
    const deck = layout.decks.get("*")!
    assert.deepStrictEqual([...deck.pages.keys()], ["sounds", "more"])
    assert.deepStrictEqual(names(deck.pages.get("sounds")!.keys, 2), ["page", "page"])
    assert.deepStrictEqual(names(deck.pages.get("more")!.encoders, 1), ["output-volume"])
  })

  it("pages: a missing target, a reserved or empty name, a page without a way off and a nested field are each named", () => {
    const problems = decodeErr({
      "*": {
        keys: { "5": { action: "page", page: "sundos" } },
        pages: {
          home: { keys: {} },
          " ": { keys: {} },
          sounds: { keys: { "0": "mute", "1": { action: "page", page: "sounds" } }, pages: {} }
        }
      }
    })
    assert.deepStrictEqual(problems, [
      `at ["decks"]["*"]["pages"]["home"]: a page needs a name other than "home" ("home" is the deck's own keys)`,
      `at ["decks"]["*"]["pages"][" "]: a page needs a name other than " " ("home" is the deck's own keys)`,
      `at ["decks"]["*"]["pages"]["sounds"]["pages"]: unknown key; "keys", "encoders" are allowed here`,
      `at ["decks"]["*"]["keys"]["5"]["page"]: no page "sundos"; pages: home, sounds`,
      `at ["decks"]["*"]["pages"]["sounds"]: nothing on this page leads off it; add a key like { "action": "page", "page": "home" }`
    ])
  })

  it("scopeExtrasFor asks for video / screenshare scopes only when camera / screen-share are bound", () => {
    assert.deepStrictEqual(scopeExtrasFor(decodeOk({ "*": { keys: { "0": "mute" } } })), [])
    assert.deepStrictEqual(
      scopeExtrasFor(decodeOk({ "*": { keys: { "0": "screen-share" } }, X: { keys: { "1": "camera" } } })),
      ["video", "screenshare"]
    )
    const onPage = { "*": { keys: { "0": { action: "page", page: "p" } }, pages: { p: { keys: { "0": "camera", "1": { action: "page", page: "home" } } } } } }
    assert.deepStrictEqual(scopeExtrasFor(decodeOk(onPage)), ["video"])
  })
})

describe("layoutFor", () => {
  it.effect("a key index beyond the deck's grid is ignored with a precise message when the deck appears", () =>
    Effect.gen(function*() {
      const mini = yield* infoOf("mini")
      const layout = decodeOk({ "*": { keys: { "0": "mute", "6": "deafen" }, encoders: { "0": "user-volume" } } })
      const resolved = layoutFor(mini, layout)
      assert.deepStrictEqual([...resolved.keys.keys()], [0])
      assert.strictEqual(resolved.encoders.size, 0)
      assert.strictEqual(resolved.source, "*")
      assert.deepStrictEqual(resolved.problems, [
        `at ["decks"]["*"]["keys"]["6"]: Stream Deck Mini (SERIAL-mini) has no key 6; it has keys 0–5. Ignoring this binding.`,
        `at ["decks"]["*"]["encoders"]["0"]: Stream Deck Mini (SERIAL-mini) has no dial 0; it has no dials. Ignoring this binding.`
      ])
    }))

  it.effect("page bindings beyond the deck's grid are ignored with their page in the path", () =>
    Effect.gen(function*() {
      const mini = yield* infoOf("mini")
      const resolved = layoutFor(mini, decodeOk({
        "*": { keys: { "0": { action: "page", page: "p" } }, pages: { p: { keys: { "0": { action: "page", page: "home" }, "9": "mute" } } } }
      }))
      assert.deepStrictEqual(names(resolved.pages.get("p")!.keys, 10), ["page", "-", "-", "-", "-", "-", "-", "-", "-", "-"])
      assert.deepStrictEqual(resolved.problems, [
        `at ["decks"]["*"]["pages"]["p"]["keys"]["9"]: Stream Deck Mini (SERIAL-mini) has no key 9; it has keys 0–5. Ignoring this binding.`
      ])
    }))

  it.effect("a deck's own entry wins over \"*\"; without either the default for its shape applies", () =>
    Effect.gen(function*() {
      const mk2 = yield* infoOf("original-mk2", "MK2SERIAL")
      const own = decodeOk({ MK2SERIAL: { keys: { "1": "status" } }, "*": { keys: { "0": "mute" } } })
      assert.strictEqual(layoutFor(mk2, own).source, "MK2SERIAL")
      assert.deepStrictEqual(names(layoutFor(mk2, own).keys, 2), ["-", "status"])
      assert.strictEqual(layoutFor(mk2, decodeOk({})).source, "default")
    }))
})

describe("defaultLayout (from the deck's shape)", () => {
  const defaults = (info: DeckInfo) => {
    const d = defaultLayout(info)
    return { keys: names(d.keys, info.keys.length), encoders: names(d.encoders, info.encoders.length) }
  }

  it.effect("Mini: the six essentials", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(defaults(yield* infoOf("mini")), {
        keys: ["mute", "deafen", "input-mode", "push-to-talk", "leave-call", "status"],
        encoders: []
      })
    }))

  it.effect("MK.2: fifteen keys, volumes, devices and voice processing after the essentials", () =>
    Effect.gen(function*() {
      const info = yield* infoOf("original-mk2")
      const d = defaultLayout(info)
      assert.deepStrictEqual(defaults(info).keys, [
        "mute", "deafen", "input-mode", "push-to-talk", "leave-call",
        "status", "input-volume", "input-volume", "output-volume", "output-volume",
        "input-device", "output-device", "voice-processing", "voice-processing", "voice-processing"
      ])
      assert.deepStrictEqual([d.keys.get(6)?.options, d.keys.get(7)?.options], [{ step: -10 }, { step: 10 }])
    }))

  it.effect("Plus: eight keys and user / output / input volume on the dials", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(defaults(yield* infoOf("plus")), {
        keys: ["mute", "deafen", "input-mode", "push-to-talk", "leave-call", "status", "input-volume", "input-volume"],
        encoders: ["user-volume", "output-volume", "input-volume", "-"]
      })
    }))

  it.effect("Pedal: push-to-talk, mute, deafen; Neo: mute and deafen on its colour touch keys", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(defaults(yield* infoOf("pedal")).keys, ["push-to-talk", "mute", "deafen"])
      const neo = defaults(yield* infoOf("neo"))
      assert.deepStrictEqual(neo.keys.slice(8), ["mute", "deafen"])
      assert.strictEqual(neo.keys[0], "mute")
    }))

  it.effect("XL: every default once, the rest left blank", () =>
    Effect.gen(function*() {
      const keys = defaults(yield* infoOf("xl")).keys
      assert.strictEqual(keys.length, 32)
      assert.strictEqual(keys.filter((k) => k !== "-").length, 15)
    }))
})
