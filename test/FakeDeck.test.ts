import { DEVICE_MODELS2, type StreamDeck } from "@elgato-stream-deck/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { DeckProvider } from "../src/index.ts"
import { FakeDeck, FakeDeckProvider } from "../src/testing/index.ts"

const open = (model: string, serial?: string) =>
  Effect.promise(async () => {
    const fake = await FakeDeck.make(serial === undefined ? model : { model, serial })
    const deck = await fake.open()
    return { fake, deck }
  })

/** A test card: each pixel's colour encodes its position, so any flip or rotation shows. */
const card = (width: number, height: number) => {
  const rgba = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4
      rgba.set([(x * 2) & 0xff, (y * 2) & 0xff, x < width / 2 && y < height / 2 ? 255 : 0, 255], at)
    }
  }
  return rgba
}

const events = (deck: StreamDeck) => {
  const seen: Array<string> = []
  deck.on("down", (c) => seen.push(`down ${c.type} ${c.index}`))
  deck.on("up", (c) => seen.push(`up ${c.type} ${c.index}`))
  deck.on("rotate", (c, n) => seen.push(`rotate ${c.index} ${n}`))
  deck.on("lcdShortPress", (_c, p) => seen.push(`short ${p.x},${p.y}`))
  deck.on("lcdLongPress", (_c, p) => seen.push(`long ${p.x},${p.y}`))
  deck.on("lcdSwipe", (_c, a, b) => seen.push(`swipe ${a.x},${a.y}->${b.x},${b.y}`))
  deck.on("error", (e) => seen.push(`error ${String(e)}`))
  return seen
}

describe("FakeDeck", () => {
  it("supports the models deckcord is tested on", () => {
    for (const m of ["original-mk2", "xl", "mini", "plus", "neo", "pedal", "original"]) {
      assert.isDefined((DEVICE_MODELS2 as Record<string, unknown>)[m], m)
    }
  })

  for (const model of ["original-mk2", "xl", "mini", "plus", "neo", "original", "studio", "plus-xl"]) {
    it.effect(`${model}: a key image reads back upright and exact`, () =>
      Effect.gen(function*() {
        const { fake, deck } = yield* open(model)
        const key = deck.CONTROLS.find((c) => c.type === "button" && c.feedbackType === "lcd")
        assert(key?.type === "button" && key.feedbackType === "lcd")
        const { width, height } = key.pixelSize
        const image = card(width, height)
        yield* Effect.promise(() => deck.fillKeyBuffer(key.index, image, { format: "rgba" }))
        const back = fake.keyImage(key.index)
        assert.strictEqual(back?.width, width)
        assert.deepStrictEqual(back?.rgba, image)
        assert.strictEqual(fake.keyWrites(key.index), 1)
        yield* Effect.promise(() => deck.close())
      }))
  }

  it.effect("MK2 and Mini (gen1) key presses become down/up events", () =>
    Effect.gen(function*() {
      for (const model of ["original-mk2", "mini", "pedal", "original"]) {
        const { fake, deck } = yield* open(model)
        const seen = events(deck)
        fake.keyDown(1)
        fake.keyDown(2)
        fake.keyUp(1)
        fake.pressKey(0)
        assert.deepStrictEqual(seen, ["down button 1", "down button 2", "up button 1", "down button 0", "up button 0"], model)
      }
    }))

  it.effect("Plus: dials turn and push, the LCD reports touches and swipes", () =>
    Effect.gen(function*() {
      const { fake, deck } = yield* open("plus")
      const seen = events(deck)
      fake.turnDial(1, -2)
      fake.turnDial(3, 5)
      fake.pushDial(2)
      fake.touchLcd(250, 50)
      fake.touchLcd(10, 90, "long")
      fake.swipeLcd({ x: 100, y: 50 }, { x: 600, y: 50 })
      fake.pressKey(5)
      assert.deepStrictEqual(seen, [
        "rotate 1 -2",
        "rotate 3 5",
        "down encoder 2",
        "up encoder 2",
        "short 250,50",
        "long 10,90",
        "swipe 100,50->600,50",
        "down button 5",
        "up button 5"
      ])
    }))

  it.effect("Plus: LCD regions and the whole strip read back in place", () =>
    Effect.gen(function*() {
      const { fake, deck } = yield* open("plus")
      const region = card(200, 100)
      yield* Effect.promise(() => deck.fillLcdRegion(0, 200, 0, region, { format: "rgba", width: 200, height: 100 }))
      assert.deepStrictEqual(fake.lcdPixel(200, 0), [0, 0, 255])
      assert.deepStrictEqual(fake.lcdPixel(200 + 150, 60), [44, 120, 0])
      assert.deepStrictEqual(fake.lcdPixel(0, 0), [0, 0, 0])
      const strip = card(800, 100)
      yield* Effect.promise(() => deck.fillLcd(0, strip, { format: "rgba" }))
      assert.deepStrictEqual(fake.lcdImage()?.rgba, strip)
      assert.strictEqual(fake.lcdWrites, 2)
    }))

  it.effect("Neo: RGB touch keys take colours, the strip takes an image", () =>
    Effect.gen(function*() {
      const { fake, deck } = yield* open("neo")
      yield* Effect.promise(() => deck.fillKeyColor(8, 10, 20, 30))
      assert.deepStrictEqual(fake.keyColor(8), [10, 20, 30])
      const strip = card(248, 58)
      yield* Effect.promise(() => deck.fillLcd(0, strip, { format: "rgba" }))
      assert.deepStrictEqual(fake.lcdImage()?.rgba, strip)
      const seen = events(deck)
      fake.pressKey(9)
      assert.deepStrictEqual(seen, ["down button 9", "up button 9"])
    }))

  it.effect("answers serial and firmware, records brightness, clears and logo resets", () =>
    Effect.gen(function*() {
      for (const model of ["original-mk2", "mini", "pedal", "plus"]) {
        const { fake, deck } = yield* open(model, "AB12CD34EF56")
        assert.strictEqual(yield* Effect.promise(() => deck.getSerialNumber()), "AB12CD34EF56", model)
        assert.strictEqual(yield* Effect.promise(() => deck.getFirmwareVersion()), fake.firmware, model)
      }
      const { fake, deck } = yield* open("original-mk2")
      assert.isTrue(fake.showingLogo)
      yield* Effect.promise(() => deck.setBrightness(40))
      assert.strictEqual(fake.brightness, 40)
      yield* Effect.promise(() => deck.fillKeyBuffer(0, card(72, 72), { format: "rgba" }))
      yield* Effect.promise(() => deck.clearPanel())
      assert.deepStrictEqual(fake.keyPixel(0, 5, 5), [0, 0, 0])
      assert.strictEqual(fake.panelClears, 1)
      yield* Effect.promise(() => deck.resetToLogo())
      assert.isTrue(fake.showingLogo)
      assert.strictEqual(fake.logoResets, 1)
    }))

  it.effect("unplug reports an error on the deck and fails writes; replug gets a new path", () =>
    Effect.gen(function*() {
      const { fake, deck } = yield* open("original-mk2")
      const seen = events(deck)
      const firstPath = fake.path
      fake.unplug()
      assert.deepStrictEqual(seen, ["error Error: could not read from HID device"])
      const write = yield* Effect.promise(() => deck.setBrightness(10).then(() => "ok", (e: Error) => e.message))
      assert.notStrictEqual(write, "ok")
      const reopen = yield* Effect.promise(() => fake.open().then(() => "ok", (e: Error) => e.message))
      assert.include(reopen, "No such file")
      fake.plug()
      assert.notStrictEqual(fake.path, firstPath)
      const again = yield* Effect.promise(() => fake.open())
      yield* Effect.promise(() => again.setBrightness(10))
      assert.strictEqual(fake.brightness, 10)
    }))

  it.effect("failNextWrites fails exactly that many writes", () =>
    Effect.gen(function*() {
      const { fake, deck } = yield* open("xl")
      fake.failNextWrites(2)
      const image = card(96, 96)
      const results: Array<string> = []
      for (let i = 0; i < 3; i++) {
        results.push(yield* Effect.promise(() => deck.fillKeyBuffer(3, image, { format: "rgba" }).then(() => "ok", () => "failed")))
      }
      assert.deepStrictEqual(results, ["failed", "failed", "ok"])
      assert.strictEqual(fake.keyWrites(3), 1)
    }))
})

describe("FakeDeckProvider", () => {
  it.effect("lists plugged decks, opens them by path and hints on every change", () =>
    Effect.gen(function*() {
      const fakes = yield* FakeDeckProvider
      const provider = yield* DeckProvider
      const hints = yield* provider.watch
      const [mk2] = yield* fakes.decks
      assert(mk2 !== undefined)
      assert.deepStrictEqual((yield* provider.list).map((c) => c.serial), [mk2.serial])
      const plus = yield* fakes.add("plus")
      yield* fakes.unplug(mk2)
      yield* fakes.rescan
      assert.deepStrictEqual((yield* provider.list).map((c) => c.model), ["plus"])
      const deck = yield* provider.open(plus.path)
      assert.strictEqual(deck.MODEL, "plus")
      assert.strictEqual((yield* Stream.take(hints, 3).pipe(Stream.runCollect)).length, 3)
      yield* fakes.failOpen(new Error("cannot open device with path /dev/hidraw7: Permission denied"))
      const denied = yield* Effect.flip(provider.open(plus.path))
      assert.strictEqual(denied.reason, "PermissionDenied")
    }).pipe(Effect.provide(FakeDeckProvider.layer({ decks: ["original-mk2"] }))))
})
