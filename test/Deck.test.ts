import { DEVICE_MODELS2, DeviceModelId, VENDOR_ID } from "@elgato-stream-deck/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { readFileSync } from "node:fs"
import {
  Deck,
  type DeckInfo,
  type DeckInput,
  type DeckInputEvent,
  type DeckOptions,
  DeckProvider,
  type Face,
  faceColor,
  hexToRgb,
  KeyRenderer,
  TONE_COLORS,
  UDEV_RULES_PATH
} from "../src/index.ts"
import { FakeDeckProvider, type FakeDeckProviderOptions } from "../src/testing/index.ts"
import { captureLogs } from "./support/effects.ts"

/** A stand-in renderer: the face's background (or tone) colour, solid. Counts renders. */
let renders = 0
const solidRenderer = Layer.succeed(KeyRenderer)(KeyRenderer.of({
  render: (face, size) =>
    Effect.sync(() => {
      renders++
      const [r, g, b] = faceColor(face)
      const rgba = new Uint8Array(size.width * size.height * 4)
      for (let i = 0; i < size.width * size.height; i++) rgba.set([r, g, b, 255], i * 4)
      return { width: size.width, height: size.height, rgba }
    }),
  renderPng: () => Effect.die("not used by Deck"),
  svg: () => Effect.die("not used by Deck")
}))

const decksLayer = (
  fakes: FakeDeckProviderOptions,
  options: DeckOptions = {},
  renderer: Layer.Layer<KeyRenderer> = solidRenderer
) =>
  Deck.layerWith({ writeRetryDelay: "1 millis", ...options }).pipe(
    Layer.provideMerge(FakeDeckProvider.layer(fakes)),
    Layer.provide(renderer)
  )

const face = (background: string, extra: Partial<Face> = {}): Face => ({ background, ...extra })

/** Wait (on events, not a clock) until the set of open decks satisfies `ok`. */
const decksWhere = (ok: (decks: ReadonlyMap<string, DeckInfo>) => boolean) =>
  Effect.gen(function*() {
    const deck = yield* Deck
    return yield* deck.deckChanges.pipe(Stream.filter(ok), Stream.take(1), Stream.runHead, Effect.map((o) => o._tag))
  })


describe("Deck", () => {
  it.effect("discovers several models at once, blanks them and describes them from the library's controls", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const fakes = yield* FakeDeckProvider
      const all = yield* fakes.decks
      const decks = yield* deck.decks
      assert.strictEqual(decks.size, 5)
      const bySerial = (model: string) => {
        const fake = all.find((f) => f.model === model)!
        return { fake, info: decks.get(fake.serial)! }
      }

      const mk2 = bySerial("original-mk2")
      assert.strictEqual(mk2.info.productName, "Stream Deck MK.2")
      assert.deepStrictEqual([mk2.info.columns, mk2.info.rows, mk2.info.keys.length], [5, 3, 15])
      assert.deepStrictEqual(mk2.info.keys[7], { index: 7, row: 1, column: 2, feedback: "lcd", pixelSize: { width: 72, height: 72 } })
      assert.isUndefined(mk2.info.lcd)

      const plus = bySerial("plus")
      assert.deepStrictEqual(plus.info.lcd, { width: 800, height: 100 })
      assert.deepStrictEqual(plus.info.encoders.map((e) => e.lcdRegion?.x), [0, 200, 400, 600])
      assert.deepStrictEqual(plus.info.encoders[3]?.lcdRegion, { x: 600, y: 0, width: 200, height: 100 })
      assert.strictEqual(plus.info.keys[0]?.pixelSize?.width, 120)

      const neo = bySerial("neo")
      assert.deepStrictEqual(neo.info.keys.filter((k) => k.feedback === "rgb").map((k) => k.index), [8, 9])
      assert.deepStrictEqual(neo.info.lcd, { width: 248, height: 58 })
      assert.strictEqual(neo.info.encoders.length, 0)

      const pedal = bySerial("pedal")
      assert.deepStrictEqual(pedal.info.keys.map((k) => k.feedback), ["none", "none", "none"])

      const mini = bySerial("mini")
      assert.strictEqual(mini.info.keys[0]?.pixelSize?.width, 80)

      // blanked and brightness applied on open
      assert.deepStrictEqual(mk2.fake.keyPixel(0, 10, 10), [0, 0, 0])
      assert.deepStrictEqual(mini.fake.keyPixel(5, 10, 10), [0, 0, 0])
      assert.deepStrictEqual(neo.fake.keyColor(8), [0, 0, 0])
      assert.deepStrictEqual(plus.fake.lcdPixel(400, 50), [0, 0, 0])
      assert.strictEqual(mk2.fake.brightness, 42)
      assert.deepStrictEqual(yield* deck.status, { _tag: "Ok" })
    }).pipe(Effect.provide(decksLayer({ decks: ["original-mk2", "plus", "neo", "pedal", "mini"] }, { brightness: 42 }))))

  it.effect("a deck plugged in later appears through the hot-plug hint", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const fakes = yield* FakeDeckProvider
      assert.strictEqual((yield* deck.decks).size, 0)
      const xl = yield* fakes.add("xl")
      // no rescan call: the provider's hint alone must bring it in
      assert.strictEqual(yield* decksWhere((d) => d.has(xl.serial)), "Some")
      assert.strictEqual((yield* deck.decks).get(xl.serial)?.keys.length, 32)
    }).pipe(Effect.provide(decksLayer({}))))

  it.effect("faces survive a replug, including faces set while the deck was away", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const fakes = yield* FakeDeckProvider
      const [mk2] = yield* fakes.decks
      assert(mk2 !== undefined)
      yield* deck.setFace(mk2.serial, { kind: "key", index: 0 }, face("#ff0000"))
      yield* deck.flush
      assert.deepStrictEqual(mk2.keyPixel(0, 36, 36), [255, 0, 0])

      yield* fakes.unplug(mk2)
      yield* decksWhere((d) => !d.has(mk2.serial))
      assert.strictEqual(mk2.openSessions, 0)
      yield* deck.setFace(mk2.serial, { kind: "key", index: 14 }, face("#00ff00"))

      yield* fakes.plug(mk2)
      assert.isTrue(mk2.showingLogo)
      yield* decksWhere((d) => d.has(mk2.serial))
      yield* deck.flush
      assert.deepStrictEqual(mk2.keyPixel(0, 36, 36), [255, 0, 0])
      assert.deepStrictEqual(mk2.keyPixel(14, 0, 71), [0, 255, 0])
      assert.strictEqual(mk2.opens, 2)
    }).pipe(Effect.provide(decksLayer({ decks: ["original-mk2"] }))))

  it.effect("maps key, dial and LCD input per model, with the dial under a touch", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const fakes = yield* FakeDeckProvider
      const [mk2, plus, neo] = yield* fakes.decks
      assert(mk2 && plus && neo)
      const events = yield* deck.subscribeInput
      mk2.pressKey(3)
      plus.turnDial(1, -2)
      plus.pushDial(2)
      plus.touchLcd(250, 50)
      plus.touchLcd(650, 10, "long")
      plus.swipeLcd({ x: 100, y: 50 }, { x: 600, y: 50 })
      plus.pressKey(7)
      neo.pressKey(8)
      neo.touchLcd(100, 20)
      const stamped = yield* events.pipe(Stream.take(13), Stream.runCollect)
      // every input carries when it entered (the TestClock's now): deadlines run from there
      assert.deepStrictEqual(stamped.map((e) => e.at), stamped.map(() => 0))
      const got = stamped.map(({ at: _at, ...event }) => event)
      const expected: Array<DeckInputEvent> = [
        { _tag: "KeyDown", serial: mk2.serial, key: 3 },
        { _tag: "KeyUp", serial: mk2.serial, key: 3 },
        { _tag: "EncoderRotate", serial: plus.serial, encoder: 1, delta: -2 },
        { _tag: "EncoderDown", serial: plus.serial, encoder: 2 },
        { _tag: "EncoderUp", serial: plus.serial, encoder: 2 },
        { _tag: "LcdTouch", serial: plus.serial, kind: "short", x: 250, y: 50, encoder: 1 },
        { _tag: "LcdTouch", serial: plus.serial, kind: "long", x: 650, y: 10, encoder: 3 },
        { _tag: "LcdSwipe", serial: plus.serial, from: { x: 100, y: 50 }, to: { x: 600, y: 50 }, encoder: 0 },
        { _tag: "KeyDown", serial: plus.serial, key: 7 },
        { _tag: "KeyUp", serial: plus.serial, key: 7 },
        { _tag: "KeyDown", serial: neo.serial, key: 8 },
        { _tag: "KeyUp", serial: neo.serial, key: 8 },
        // the Neo's strip has no dials under it
        { _tag: "LcdTouch", serial: neo.serial, kind: "short", x: 100, y: 20 }
      ]
      assert.deepStrictEqual(got, expected)
    }).pipe(Effect.provide(decksLayer({ decks: ["original-mk2", "plus", "neo"] }))))

  it.effect("every input consumer gets every event", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const [mk2] = yield* (yield* FakeDeckProvider).decks
      assert(mk2 !== undefined)
      const a = yield* deck.subscribeInput
      const b = yield* deck.subscribeInput
      mk2.pressKey(1)
      const tags = (s: Stream.Stream<DeckInput>) =>
        s.pipe(Stream.take(2), Stream.map((e) => e._tag), Stream.runCollect)
      assert.deepStrictEqual(yield* tags(a), ["KeyDown", "KeyUp"])
      assert.deepStrictEqual(yield* tags(b), ["KeyDown", "KeyUp"])
    }).pipe(Effect.provide(decksLayer({ decks: ["original-mk2"] }))))

  it.effect("coalesces rapid faces on one key: few writes, the last face wins", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const [xl] = yield* (yield* FakeDeckProvider).decks
      assert(xl !== undefined)
      xl.writeDelayMs = 5 // keep the first write in flight while the others arrive
      renders = 0
      for (let i = 1; i <= 10; i++) {
        yield* deck.setFace(xl.serial, { kind: "key", index: 4 }, face(`#0000${(i * 20).toString(16).padStart(2, "0")}`))
      }
      yield* deck.flush
      assert.isAtMost(xl.keyWrites(4), 2)
      assert.isAtMost(renders, 2)
      assert.deepStrictEqual(xl.keyPixel(4, 50, 50), [0, 0, 200])
      // the same face again is not rewritten
      const before = xl.keyWrites(4)
      yield* deck.setFace(xl.serial, { kind: "key", index: 4 }, face("#0000c8"))
      yield* deck.flush
      assert.strictEqual(xl.keyWrites(4), before)
    }).pipe(Effect.provide(decksLayer({ decks: ["xl"] }))))

  it.effect("draws dial faces into their LCD region, the whole strip, and Neo touch keys as colours", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const [plus, neo, pedal] = yield* (yield* FakeDeckProvider).decks
      assert(plus && neo && pedal)
      yield* deck.setFace(plus.serial, { kind: "lcd" }, face("#101010"))
      yield* deck.setFace(plus.serial, { kind: "encoder", index: 2 }, face("#00ff00"))
      yield* deck.setFace(neo.serial, { kind: "key", index: 9 }, { tone: "muted" })
      yield* deck.setFace(neo.serial, { kind: "lcd" }, face("#0000ff"))
      // no display: quietly nothing
      yield* deck.setFace(pedal.serial, { kind: "key", index: 0 }, face("#ffffff"))
      yield* deck.setFace(neo.serial, { kind: "encoder", index: 0 }, face("#ffffff"))
      yield* deck.flush
      assert.deepStrictEqual(plus.lcdPixel(400, 0), [0, 255, 0])
      assert.deepStrictEqual(plus.lcdPixel(599, 99), [0, 255, 0])
      assert.deepStrictEqual(plus.lcdPixel(399, 50), [16, 16, 16])
      assert.deepStrictEqual(plus.lcdPixel(600, 50), [16, 16, 16])
      assert.deepStrictEqual(neo.keyColor(9), [0xed, 0x42, 0x45])
      assert.deepStrictEqual(neo.lcdPixel(0, 0), [0, 0, 255])
      assert.deepStrictEqual((yield* deck.decks).size, 3)
    }).pipe(Effect.provide(decksLayer({ decks: ["plus", "neo", "pedal"] }))))

  // live clock: the retry pauses are real (1 ms)
  it.live("retries a failed write, and a deck that keeps failing is closed, rediscovered and redrawn", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const [mk2] = yield* (yield* FakeDeckProvider).decks
      assert(mk2 !== undefined)
      // three failures: the third retry gets through
      mk2.failNextWrites(3)
      yield* deck.setFace(mk2.serial, { kind: "key", index: 2 }, face("#ff00ff"))
      yield* deck.flush
      assert.deepStrictEqual(mk2.keyPixel(2, 1, 1), [255, 0, 255])
      assert.strictEqual(mk2.opens, 1)

      // four failures: lost, closed, reopened by the rescan it triggers, and the face restored
      mk2.failNextWrites(4)
      yield* deck.setFace(mk2.serial, { kind: "key", index: 2 }, face("#00ffff"))
      yield* decksWhere((d) => d.has(mk2.serial) && mk2.opens === 2)
      yield* deck.flush
      assert.strictEqual(mk2.closes, 1)
      assert.strictEqual(mk2.openSessions, 1)
      assert.deepStrictEqual(mk2.keyPixel(2, 1, 1), [0, 255, 255])
    }).pipe(Effect.provide(decksLayer({ decks: ["original-mk2"] }))))

  it.effect("without the native HID module the layer still starts, reports how to fix it and logs it once", () => {
    const logs = captureLogs()
    const dlopen = Object.assign(new Error("libusb-1.0.so.0: cannot open shared object file: No such file or directory"), {
      code: "ERR_DLOPEN_FAILED"
    })
    return Effect.gen(function*() {
      const deck = yield* Deck
      const fakes = yield* FakeDeckProvider
      const status = yield* deck.status
      assert(status._tag === "Unavailable")
      assert.include(status.message, "libusb-1.0.so.0")
      assert.include(status.hint, "sudo apt install libusb-1.0-0")
      const [first] = yield* deck.statusChanges.pipe(Stream.take(1), Stream.runCollect)
      assert.deepStrictEqual(first, status)
      yield* deck.rescan
      yield* deck.rescan
      assert.isAtLeast(yield* fakes.listCalls, 3)
      assert.strictEqual(logs.lines.filter((l) => l.includes("libusb-1.0-0")).length, 1)
      // the rest keeps working: faces are remembered for later
      const mk2 = yield* fakes.add("original-mk2")
      yield* deck.setFace(mk2.serial, { kind: "key", index: 0 }, face("#ffff00"))

      // the library appears (installed): decks open, status recovers, faces are drawn
      yield* fakes.failList(undefined)
      yield* deck.rescan
      yield* deck.flush
      assert.deepStrictEqual(yield* deck.status, { _tag: "Ok" })
      assert.deepStrictEqual(mk2.keyPixel(0, 0, 0), [255, 255, 0])
    }).pipe(Effect.provide(decksLayer({ listError: dlopen })), Effect.provide(logs.layer))
  })

  it.effect("permission denied on /dev/hidraw names the udev rule to install", () => {
    const logs = captureLogs()
    const denied = new Error(
      "cannot open device with path /dev/hidraw3: Failed to open a device with path '/dev/hidraw3': Permission denied"
    )
    return Effect.gen(function*() {
      const deck = yield* Deck
      const fakes = yield* FakeDeckProvider
      const status = yield* deck.status
      assert(status._tag === "Unavailable")
      assert.include(status.message, "Permission denied")
      assert.include(status.hint, "60-deckcord-streamdeck.rules")
      assert.include(status.hint, "udevadm control --reload-rules")
      assert.strictEqual((yield* deck.decks).size, 0)
      yield* deck.rescan
      assert.strictEqual(logs.lines.filter((l) => l.includes("udev")).length, 1)

      yield* fakes.failOpen(undefined)
      yield* deck.rescan
      assert.strictEqual((yield* deck.decks).size, 1)
      assert.deepStrictEqual(yield* deck.status, { _tag: "Ok" })
    }).pipe(Effect.provide(decksLayer({ decks: ["original-mk2"], openError: denied })), Effect.provide(logs.layer))
  })

  it.effect("a clean exit clears the keys (or shows the logo) and closes every deck", () =>
    Effect.gen(function*() {
      const use = Effect.gen(function*() {
        const deck = yield* Deck
        const fakes = yield* yield* Effect.map(FakeDeckProvider, (f) => f.decks)
        for (const f of fakes) {
          yield* deck.setFace(f.serial, { kind: "key", index: 0 }, face("#ffffff"))
          yield* deck.setFace(f.serial, { kind: "key", index: 8 }, face("#ffffff"))
        }
        yield* deck.flush
        return fakes
      })
      const [mk2, neo] = yield* use.pipe(Effect.provide(decksLayer({ decks: ["original-mk2", "neo"] })))
      assert(mk2 && neo)
      assert.deepStrictEqual(mk2.keyPixel(0, 5, 5), [0, 0, 0])
      assert.deepStrictEqual(neo.keyColor(8), [0, 0, 0])
      assert.deepStrictEqual([mk2.openSessions, mk2.closes, neo.openSessions], [0, 1, 0])

      const [logo] = yield* use.pipe(Effect.provide(decksLayer({ decks: ["original-mk2"] }, { onExit: "logo" })))
      assert(logo !== undefined)
      assert.isTrue(logo.showingLogo)
      assert.strictEqual(logo.logoResets, 1)
      assert.strictEqual(logo.openSessions, 0)
    }))

  it.effect("with the real KeyRenderer the deck shows exactly the rendered pixels", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const renderer = yield* KeyRenderer
      const [mk2] = yield* (yield* FakeDeckProvider).decks
      assert(mk2 !== undefined)
      const muted: Face = { icon: "mic-off", tone: "muted", label: "Muted" }
      yield* deck.setFace(mk2.serial, { kind: "key", index: 6 }, muted)
      yield* deck.flush
      const expected = yield* renderer.render(muted, { width: 72, height: 72 })
      assert.deepStrictEqual(mk2.keyImage(6)?.rgba, expected.rgba)
      assert.deepStrictEqual(mk2.keyPixel(6, 1, 1), hexToRgb(TONE_COLORS.muted.background))
    }).pipe(Effect.provide(decksLayer({ decks: ["original-mk2"] }, {}, Layer.orDie(KeyRenderer.layer)).pipe(Layer.provideMerge(KeyRenderer.layer)))))

  it.live("the real provider starts on this machine whatever its HID situation", () =>
    Effect.gen(function*() {
      const deck = yield* Deck
      const status = yield* deck.status
      if (status._tag === "Unavailable") {
        // e.g. CI without libusb: the daemon keeps running and says what to install
        assert.match(status.hint, /libusb-1\.0-0|udev/)
      } else {
        assert.strictEqual(status._tag, "Ok")
      }
      assert.instanceOf(yield* deck.decks, Map)
    }).pipe(Effect.provide(Deck.layer.pipe(Layer.provide(DeckProvider.layerNode), Layer.provide(solidRenderer)))))
})

describe("udev rules", () => {
  it("grant access to every USB Stream Deck the library knows, for desktop users and (commented) services", () => {
    const rules = readFileSync(UDEV_RULES_PATH, "utf8")
    const active = rules.split("\n").filter((l) => l.startsWith("SUBSYSTEM"))
    const headless = rules.split("\n").filter((l) => l.startsWith("#SUBSYSTEM"))
    for (const [model, spec] of Object.entries(DEVICE_MODELS2)) {
      if (spec.vendorId !== VENDOR_ID || model === DeviceModelId.NETWORK_DOCK) continue
      for (const pid of spec.productIds) {
        const id = `ATTRS{idProduct}=="${pid.toString(16).padStart(4, "0")}"`
        assert.isTrue(active.some((l) => l.includes(id) && l.includes('ATTRS{idVendor}=="0fd9"') && l.includes('TAG+="uaccess"')), `${model} ${id}`)
        assert.isTrue(headless.some((l) => l.includes(id) && l.includes('GROUP="plugdev"') && l.includes('MODE="0660"')), `${model} ${id}`)
      }
    }
  })
})
