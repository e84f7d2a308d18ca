/**
 * A Stream Deck without hardware: the library's own model factory (`DEVICE_MODELS2[model].factory`,
 * the path `openStreamDeck` takes) over an in-memory HID device. Code under test gets a real
 * `StreamDeck` object, with the library's size checks, image transforms, packetising and
 * input parsing; the fake plays the USB device: it answers feature reports, reassembles the
 * image packets it receives, and sends input reports for key presses, dials and LCD touches.
 *
 * All USB protocol knowledge of deckcord lives here and in `fakeDeck/` (packets, calibration,
 * the HID session):
 * - images: gen2 keys `02 07`, LCD regions `02 0c`, the Neo strip `02 0b`, gen1 keys `02 01`
 *   (BMP payload); the fake's `encodeJPEG` passes the library's transformed RGBA through
 *   unencoded, so read-back pixels are exact;
 * - read-back is upright: each model's flip/rotate is learnt once by sending a coded image
 *   through the library itself ("calibration"), not from a table that could drift;
 * - input: gen2 `[type, …]` reports (0 keys, 2 LCD, 3 dials), gen1 plain key bytes.
 *
 * `FakeDeckProvider` is a `DeckProvider` over a set of these, with deterministic plug,
 * unplug and rescan hints for tests and a `--deck=virtual` mode.
 *
 * Over 400 lines because `FakeDeck` is one device: its feature reports, input reports and
 * read-back share one state; the protocol pieces it builds on are in `fakeDeck/`.
 *
 * @since 0.1.0
 */
import {
  DeviceModelId,
  type StreamDeck,
  type StreamDeckButtonControlDefinition,
  type StreamDeckControlDefinition,
  type StreamDeckEncoderControlDefinition,
  type StreamDeckLcdSegmentControlDefinition
} from "@elgato-stream-deck/core"
import { Context, Effect, Layer, PubSub, type Scope, Stream } from "effect"
import { type DeckCandidate, DeckProvider } from "../deck/DeckProvider.ts"
import {
  calibrate,
  type FakeImage,
  keyDataOffset,
  openWith,
  RecordingHid,
  type Rgb,
  solid,
  specOf,
  uprightFrom
} from "./fakeDeck/calibration.ts"
import { type ImagePayload, wirePixels } from "./fakeDeck/packets.ts"
import { FakeHidSession, UNPLUGGED_ERROR, WRITE_ERROR } from "./fakeDeck/session.ts"

export type { FakeImage, Rgb } from "./fakeDeck/calibration.ts"

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

export interface FakeDeckOptions {
  /** The library's `DeviceModelId`, e.g. "original-mk2", "xl", "mini", "plus", "neo", "pedal". */
  readonly model: string
  /** USB serial; 12 characters by default (the Pedal reports exactly 12). */
  readonly serial?: string
  readonly firmware?: string
  /** Milliseconds each image write takes, like a real USB transfer (default 0). */
  readonly writeDelayMs?: number
  /** Whether a scan reports the serial (hidapi usually does); otherwise `Deck` asks the device. */
  readonly serialInList?: boolean
}

/** Models a fake can be: every model with a display or keys (not the network dock). */
export const FAKE_DECK_MODELS: ReadonlyArray<string> = Object.values(DeviceModelId).filter(
  (m) => m !== DeviceModelId.NETWORK_DOCK
)

// ---------------------------------------------------------------------------------------------
// the fake device
// ---------------------------------------------------------------------------------------------

let nextHidraw = 100
let nextSerial = 1

type KeyState = { readonly kind: "image"; readonly image: FakeImage } | { readonly kind: "color"; readonly rgb: Rgb }

/**
 * A fake Stream Deck: plug it in, open it (a real library `StreamDeck`), press its keys,
 * read back what was drawn.
 */
export class FakeDeck {
  readonly model: string
  readonly serial: string
  readonly firmware: string
  readonly vendorId: number
  readonly productId: number
  readonly serialInList: boolean
  /** The model's control definitions, as the library defines them. */
  readonly controls: ReadonlyArray<StreamDeckControlDefinition>
  writeDelayMs: number

  #path: string
  #plugged = true
  #sessions = new Set<FakeHidSession>()
  #keyOffset: number
  #pressedKeys = new Set<number>()
  #pressedDials = new Set<number>()
  #keys = new Map<number, KeyState>()
  #keyWrites = new Map<number, number>()
  #lcd: FakeImage | undefined
  #lcdWrites = 0
  #failures: Array<Error> = []
  #brightness: number | undefined
  #logoResets = 0
  #panelClears = 0
  #opens = 0
  #closes = 0

  private constructor(
    options: FakeDeckOptions,
    controls: ReadonlyArray<StreamDeckControlDefinition>,
    keyOffset: number
  ) {
    const spec = specOf(options.model)
    this.model = options.model
    this.serial = options.serial ?? `FAKE${String(nextSerial++).padStart(8, "0")}`
    this.firmware = options.firmware ?? "1.00.000"
    this.vendorId = spec.vendorId
    this.productId = spec.productIds[0] ?? 0
    this.serialInList = options.serialInList ?? true
    this.writeDelayMs = options.writeDelayMs ?? 0
    this.controls = controls
    this.#keyOffset = keyOffset
    this.#path = `/dev/hidraw${nextHidraw++}`
  }

  /** Build a fake (plugged in, showing the logo). */
  static async make(options: FakeDeckOptions | string): Promise<FakeDeck> {
    const opts: FakeDeckOptions = typeof options === "string" ? { model: options } : options
    const spec = specOf(opts.model)
    const probe = await openWith(opts.model, new RecordingHid({ path: "probe", vendorId: spec.vendorId, productId: spec.productIds[0] ?? 0 }))
    const controls = probe.CONTROLS
    await probe.close()
    return new FakeDeck(opts, controls, await keyDataOffset(opts.model, controls))
  }

  // ---- USB presence ------------------------------------------------------------------------

  /** The hidraw path; a new one after every replug, as on Linux. */
  get path(): string {
    return this.#path
  }
  get plugged(): boolean {
    return this.#plugged
  }
  /** Open handles (not closed, not dead). */
  get openSessions(): number {
    return [...this.#sessions].filter((s) => !s.dead).length
  }
  get opens(): number {
    return this.#opens
  }
  get closes(): number {
    return this.#closes
  }

  /** Open the device as `openStreamDeck(path)` would. */
  async open(): Promise<StreamDeck> {
    if (!this.#plugged) throw new Error(`cannot open device with path ${this.#path}: No such file or directory`)
    const session = new FakeHidSession(this, this.#path)
    this.#sessions.add(session)
    this.#opens++
    return openWith(this.model, session)
  }

  /** Pull the cable: open handles report an `error` (as node-hid's read loop does) and die. */
  unplug(): void {
    if (!this.#plugged) return
    this.#plugged = false
    for (const s of this.#sessions) {
      s.dead = true
      s.emit("error", new Error(UNPLUGGED_ERROR))
    }
    this.#sessions.clear()
    this.#pressedKeys.clear()
    this.#pressedDials.clear()
  }

  /** Plug it back in: a new path, and the device boots to its logo. */
  plug(): void {
    if (this.#plugged) return
    this.#plugged = true
    this.#path = `/dev/hidraw${nextHidraw++}`
    this.#showLogo()
  }

  /** The next `n` writes (images or feature reports) fail, like a flaky cable. */
  failNextWrites(n: number, message = WRITE_ERROR): void {
    for (let i = 0; i < n; i++) this.#failures.push(new Error(message))
  }

  /** @internal */
  takeWriteFailure(): void {
    const failure = this.#failures.shift()
    if (failure) throw failure
  }
  /** @internal */
  sessionClosed(s: FakeHidSession): void {
    this.#sessions.delete(s)
    this.#closes++
  }

  // ---- input -------------------------------------------------------------------------------

  #emit(report: Uint8Array) {
    for (const s of this.#sessions) if (!s.closed && !s.dead) s.emit("input", report)
  }
  #button(index: number): StreamDeckButtonControlDefinition {
    const c = this.controls.find((c): c is StreamDeckButtonControlDefinition => c.type === "button" && c.index === index)
    if (!c) throw new Error(`FakeDeck ${this.model}: no key ${index}`)
    return c
  }
  #encoder(index: number): StreamDeckEncoderControlDefinition {
    const c = this.controls.find((c): c is StreamDeckEncoderControlDefinition => c.type === "encoder" && c.index === index)
    if (!c) throw new Error(`FakeDeck ${this.model}: no dial ${index}`)
    return c
  }
  #sendKeys() {
    const hid = this.controls.filter((c) => c.type === "button").map((c) => (c as StreamDeckButtonControlDefinition).hidIndex)
    const report = new Uint8Array(Math.max(64, this.#keyOffset + Math.max(0, ...hid) + 1))
    if (this.#keyOffset === 3) {
      report[0] = 0x00
      report[1] = hid.length
    }
    for (const index of this.#pressedKeys) report[this.#keyOffset + this.#button(index).hidIndex] = 1
    this.#emit(report)
  }

  keyDown(index: number): void {
    this.#button(index)
    this.#pressedKeys.add(index)
    this.#sendKeys()
  }
  keyUp(index: number): void {
    this.#button(index)
    this.#pressedKeys.delete(index)
    this.#sendKeys()
  }
  /** Down then up. */
  pressKey(index: number): void {
    this.keyDown(index)
    this.keyUp(index)
  }

  #sendDials() {
    const report = new Uint8Array(64)
    report.set([0x03, 0x05, 0x00, 0x00])
    for (const index of this.#pressedDials) report[4 + this.#encoder(index).hidIndex] = 1
    this.#emit(report)
  }
  dialDown(index: number): void {
    this.#encoder(index)
    this.#pressedDials.add(index)
    this.#sendDials()
  }
  dialUp(index: number): void {
    this.#encoder(index)
    this.#pressedDials.delete(index)
    this.#sendDials()
  }
  pushDial(index: number): void {
    this.dialDown(index)
    this.dialUp(index)
  }
  /** Turn a dial by signed steps (-128..127; positive is clockwise). */
  turnDial(index: number, delta: number): void {
    const report = new Uint8Array(64)
    report.set([0x03, 0x05, 0x00, 0x01])
    new Int8Array(report.buffer)[4 + this.#encoder(index).hidIndex] = delta
    this.#emit(report)
  }

  #lcdControl(): StreamDeckLcdSegmentControlDefinition {
    const c = this.controls.find((c): c is StreamDeckLcdSegmentControlDefinition => c.type === "lcd-segment")
    if (!c) throw new Error(`FakeDeck ${this.model}: no LCD strip`)
    return c
  }
  #sendTouch(kind: number, x: number, y: number, x2 = 0, y2 = 0) {
    this.#lcdControl()
    const report = new Uint8Array(64)
    const view = new DataView(report.buffer)
    report.set([0x02, 0x0e, 0x00, kind])
    view.setUint16(5, x, true)
    view.setUint16(7, y, true)
    view.setUint16(9, x2, true)
    view.setUint16(11, y2, true)
    this.#emit(report)
  }
  /** Tap the LCD strip at (x, y) in strip pixels. */
  touchLcd(x: number, y: number, kind: "short" | "long" = "short"): void {
    this.#sendTouch(kind === "short" ? 1 : 2, x, y)
  }
  swipeLcd(from: { x: number; y: number }, to: { x: number; y: number }): void {
    this.#sendTouch(3, from.x, from.y, to.x, to.y)
  }

  // ---- output ------------------------------------------------------------------------------

  #showLogo() {
    this.#keys.clear()
    this.#lcd = undefined
  }

  /** @internal a feature report from the library */
  featureReport(data: Uint8Array): void {
    const [a, b, c] = data
    if (a === 0x03 && b === 0x06) {
      // 03 06 key r g b: colour fill
      const button = this.controls.find((x): x is StreamDeckButtonControlDefinition => x.type === "button" && x.hidIndex === c)
      if (button) this.#keys.set(button.index, { kind: "color", rgb: [data[3] ?? 0, data[4] ?? 0, data[5] ?? 0] })
    } else if (a === 0x03 && b === 0x05) {
      // 03 05 panel: clear the key panel (the RGB touch keys keep their colour)
      this.#panelClears++
      for (const k of this.controls) {
        if (k.type === "button" && k.feedbackType === "lcd") this.#keys.set(k.index, { kind: "color", rgb: [0, 0, 0] })
      }
    } else if (a === 0x03 && b === 0x08) {
      this.#brightness = c
    } else if (a === 0x05 && b === 0x55) {
      this.#brightness = data[5]
    } else if ((a === 0x03 && b === 0x02) || (a === 0x0b && b === 0x63)) {
      this.#logoResets++
      this.#showLogo()
    }
  }

  /** @internal */
  readFeatureReport(reportId: number, length: number): Uint8Array {
    const r = new Uint8Array(length)
    r[0] = reportId
    const ascii = (s: string) => new TextEncoder().encode(s)
    switch (reportId) {
      case 3: // gen1 serial, text at 5
        r.set(ascii(this.serial).subarray(0, length - 5), 5)
        break
      case 4: // gen1 firmware, text at 5
        r.set(ascii(this.firmware).subarray(0, length - 5), 5)
        break
      case 5: // gen2 firmware: [5, 4 + len, 4 bytes, text]
        r[1] = this.firmware.length + 4
        r.set(ascii(this.firmware).subarray(0, length - 6), 6)
        break
      case 6: // gen2 serial: [6, len, text]
        r[1] = this.serial.length
        r.set(ascii(this.serial).subarray(0, length - 2), 2)
        break
    }
    return r
  }

  /** @internal a complete image from the library */
  async imageReceived({ payload, target }: ImagePayload): Promise<void> {
    if (target.kind === "key") {
      const button = this.controls.find((x): x is StreamDeckButtonControlDefinition => x.type === "button" && x.hidIndex === target.hidIndex)
      if (!button || button.feedbackType !== "lcd") return
      const { width, height } = button.pixelSize
      const perm = await calibrate(this.model, { kind: "key", index: button.index }, width, height)
      this.#keys.set(button.index, { kind: "image", image: uprightFrom(wirePixels(payload, width * height), perm, width, height) })
      this.#keyWrites.set(button.index, (this.#keyWrites.get(button.index) ?? 0) + 1)
      return
    }
    const lcd = this.#lcdControl()
    const width = target.width ?? lcd.pixelSize.width
    const height = target.height ?? lcd.pixelSize.height
    const whole = target.width === undefined
    const perm = await calibrate(this.model, whole ? { kind: "lcd" } : { kind: "region" }, width, height)
    const region = uprightFrom(wirePixels(payload, width * height), perm, width, height)
    const strip = this.#lcd ?? solid(lcd.pixelSize.width, lcd.pixelSize.height, [0, 0, 0])
    for (let y = 0; y < height; y++) {
      const from = region.rgba.subarray(y * width * 4, (y + 1) * width * 4)
      strip.rgba.set(from, ((target.y + y) * strip.width + target.x) * 4)
    }
    this.#lcd = strip
    this.#lcdWrites++
  }

  /**
   * What a key shows, as upright RGBA at the key's size (a colour fill becomes a solid
   * image); `undefined` while it shows the logo or for keys without a display.
   */
  keyImage(index: number): FakeImage | undefined {
    const button = this.#button(index)
    const state = this.#keys.get(index)
    if (state === undefined || button.feedbackType !== "lcd") return undefined
    return state.kind === "image" ? state.image : solid(button.pixelSize.width, button.pixelSize.height, state.rgb)
  }
  /** The last colour fill of a key (RGB touch keys, clears), `undefined` if it shows an image. */
  keyColor(index: number): Rgb | undefined {
    const state = this.#keys.get(index)
    return state?.kind === "color" ? state.rgb : undefined
  }
  /** The pixel at (x, y) of a key, `[r, g, b]`. */
  keyPixel(index: number, x: number, y: number): Rgb | undefined {
    const image = this.keyImage(index)
    if (!image) return undefined
    const at = (y * image.width + x) * 4
    return [image.rgba[at]!, image.rgba[at + 1]!, image.rgba[at + 2]!]
  }
  /** How many images were written to a key (colour fills and panel clears not counted). */
  keyWrites(index: number): number {
    return this.#keyWrites.get(index) ?? 0
  }
  /** The whole LCD strip as upright RGBA; `undefined` until something drew on it. */
  lcdImage(): FakeImage | undefined {
    return this.#lcd
  }
  lcdPixel(x: number, y: number): Rgb | undefined {
    const image = this.#lcd
    if (!image) return undefined
    const at = (y * image.width + x) * 4
    return [image.rgba[at]!, image.rgba[at + 1]!, image.rgba[at + 2]!]
  }
  /** Image writes to the LCD strip (whole or regions). */
  get lcdWrites(): number {
    return this.#lcdWrites
  }
  get brightness(): number | undefined {
    return this.#brightness
  }
  get logoResets(): number {
    return this.#logoResets
  }
  get panelClears(): number {
    return this.#panelClears
  }
  /** True while the device shows its boot logo (nothing drawn since plug-in or reset). */
  get showingLogo(): boolean {
    return this.#keys.size === 0 && this.#lcd === undefined
  }
}

// ---------------------------------------------------------------------------------------------
// FakeDeckProvider
// ---------------------------------------------------------------------------------------------

export interface FakeDeckProviderOptions {
  /** Decks plugged in from the start. */
  readonly decks?: ReadonlyArray<FakeDeckOptions | string>
  /** `list` rejects with this from the start (see `failList`). */
  readonly listError?: unknown
  /** `open` rejects with this from the start (see `failOpen`). */
  readonly openError?: unknown
}

/**
 * A `DeckProvider` over fake decks. Plugging, unplugging and `rescan` send a hot-plug hint
 * at once (no timers), so a test waits for `Deck.deckChanges`, never for a clock.
 */
export class FakeDeckProvider extends Context.Service<FakeDeckProvider, {
  /** Create a fake deck and plug it in. */
  readonly add: (options: FakeDeckOptions | string) => Effect.Effect<FakeDeck>
  readonly plug: (deck: FakeDeck) => Effect.Effect<void>
  readonly unplug: (deck: FakeDeck) => Effect.Effect<void>
  /** Send a hot-plug hint without changing anything. */
  readonly rescan: Effect.Effect<void>
  readonly decks: Effect.Effect<ReadonlyArray<FakeDeck>>
  /** Make every `list` reject with this (e.g. an `ERR_DLOPEN_FAILED` error); `undefined` heals. */
  readonly failList: (error: unknown) => Effect.Effect<void>
  /** Make every `open` reject with this (e.g. "Permission denied"); `undefined` heals. */
  readonly failOpen: (error: unknown) => Effect.Effect<void>
  /** How many times `list` ran. */
  readonly listCalls: Effect.Effect<number>
}>()("deckcord/testing/FakeDeckProvider") {
  /** Both the control handle (`FakeDeckProvider`) and the `DeckProvider` it backs. */
  static readonly layer = (options: FakeDeckProviderOptions = {}): Layer.Layer<FakeDeckProvider | DeckProvider> =>
    Layer.effectContext(Effect.gen(function*() {
      const decks: Array<FakeDeck> = []
      for (const o of options.decks ?? []) decks.push(yield* Effect.promise(() => FakeDeck.make(o)))
      const hints = yield* PubSub.unbounded<void>()
      const hint = PubSub.publish(hints, undefined).pipe(Effect.asVoid)
      let listError: unknown = options.listError
      let openError: unknown = options.openError
      let listCalls = 0

      const provider = DeckProvider.of(DeckProvider.fromPromises({
        list: async () => {
          listCalls++
          if (listError !== undefined) throw listError
          return decks.filter((d) => d.plugged).map((d): DeckCandidate =>
            d.serialInList ? { path: d.path, model: d.model, serial: d.serial } : { path: d.path, model: d.model }
          )
        },
        open: async (path) => {
          if (openError !== undefined) throw openError
          const deck = decks.find((d) => d.plugged && d.path === path)
          if (!deck) throw new Error(`cannot open device with path ${path}: No such file or directory`)
          return deck.open()
        },
        watch: Effect.map(PubSub.subscribe(hints), (sub) => Stream.fromSubscription(sub)) satisfies Effect.Effect<
          Stream.Stream<void>,
          never,
          Scope.Scope
        >
      }))

      const control = FakeDeckProvider.of({
        add: (o) =>
          Effect.promise(() => FakeDeck.make(o)).pipe(
            Effect.tap((d) => Effect.sync(() => decks.push(d))),
            Effect.tap(() => hint)
          ),
        plug: (d) => Effect.sync(() => d.plug()).pipe(Effect.andThen(hint)),
        unplug: (d) => Effect.sync(() => d.unplug()).pipe(Effect.andThen(hint)),
        rescan: hint,
        decks: Effect.sync(() => [...decks]),
        failList: (e) => Effect.sync(() => void (listError = e)),
        failOpen: (e) => Effect.sync(() => void (openError = e)),
        listCalls: Effect.sync(() => listCalls)
      })
      return Context.make(FakeDeckProvider, control).pipe(Context.add(DeckProvider, provider))
    }))
}
