/**
 * A Stream Deck without hardware: the library's own model factory (`DEVICE_MODELS2[model].factory`,
 * the path `openStreamDeck` takes) over an in-memory HID device. Code under test gets a real
 * `StreamDeck` object, with the library's size checks, image transforms, packetising and
 * input parsing; the fake plays the USB device: it answers feature reports, reassembles the
 * image packets it receives, and sends input reports for key presses, dials and LCD touches.
 *
 * All USB protocol knowledge of deckcord lives in this file:
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
 * @since 0.1.0
 */
import {
  type ChildHIDDeviceInfo,
  DEVICE_MODELS2,
  DeviceModelId,
  type HIDDevice,
  type HIDDeviceEvents,
  type HIDDeviceInfo,
  type StreamDeck,
  type StreamDeckButtonControlDefinition,
  type StreamDeckControlDefinition,
  type StreamDeckEncoderControlDefinition,
  type StreamDeckLcdSegmentControlDefinition
} from "@elgato-stream-deck/core"
import { Context, Effect, Layer, PubSub, type Scope, Stream } from "effect"
import { EventEmitter } from "eventemitter3"
import { type DeckCandidate, DeckProvider } from "../deck/DeckProvider.ts"

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/** Upright RGBA pixels, `width * height * 4` bytes, row-major, top-left first. */
export interface FakeImage {
  readonly width: number
  readonly height: number
  readonly rgba: Uint8Array
}

export type Rgb = readonly [r: number, g: number, b: number]

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

const UNPLUGGED_ERROR = "could not read from HID device"
const WRITE_ERROR = "could not write to HID device"

// ---------------------------------------------------------------------------------------------
// packets (the protocol side)
// ---------------------------------------------------------------------------------------------

/** What an image was drawn on. */
type ImageTarget =
  | { readonly kind: "key"; readonly hidIndex: number }
  | { readonly kind: "lcd"; readonly x: number; readonly y: number; readonly width?: number; readonly height?: number }

interface ImagePayload {
  readonly target: ImageTarget
  readonly payload: Uint8Array
}

/** Packet size of the gen1 "original" writer, which splits an image into two equal halves. */
const ORIGINAL_PACKET_SIZE = 8191
const GEN1_HEADER = 16

const u16 = (p: Uint8Array, at: number) => (p[at] ?? 0) | ((p[at + 1] ?? 0) << 8)
const concat = (parts: ReadonlyArray<Uint8Array>) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Reassembles image packets into whole payloads, one in-progress image per target. */
class PacketAssembler {
  readonly #parts = new Map<string, { target: ImageTarget; bodies: Array<Uint8Array>; gen1Original: boolean }>()

  /** Feed one packet; returns the finished image when this was its last packet. */
  push(p: Uint8Array): ImagePayload | undefined {
    if (p[0] !== 0x02) return undefined
    let target: ImageTarget
    let last: boolean
    let body: Uint8Array
    switch (p[1]) {
      case 0x07: // gen2 key: 02 07 key last len16 part16
        target = { kind: "key", hidIndex: p[2] ?? 0 }
        last = p[3] === 1
        body = p.subarray(8, 8 + u16(p, 4))
        break
      case 0x01: // gen1 key: 02 01 part 00 last key+1 (no length: padded to the packet)
        target = { kind: "key", hidIndex: (p[5] ?? 1) - 1 }
        last = p[4] === 1
        body = p.subarray(GEN1_HEADER)
        break
      case 0x0c: // LCD region: 02 0c x16 y16 w16 h16 last part16 len16
        target = { kind: "lcd", x: u16(p, 2), y: u16(p, 4), width: u16(p, 6), height: u16(p, 8) }
        last = p[10] === 1
        body = p.subarray(16, 16 + u16(p, 13))
        break
      case 0x0b: // Neo strip: 02 0b 00 last len16 part16
        target = { kind: "lcd", x: 0, y: 0 }
        last = p[3] === 1
        body = p.subarray(8, 8 + u16(p, 4))
        break
      default:
        return undefined
    }
    const key = target.kind === "key" ? `key:${target.hidIndex}` : `lcd:${target.x},${target.y}`
    const entry = this.#parts.get(key) ?? { target, bodies: [], gen1Original: p.length === ORIGINAL_PACKET_SIZE }
    entry.bodies.push(body.slice())
    this.#parts.set(key, entry)
    if (!last) return undefined
    this.#parts.delete(key)
    return { target: entry.target, payload: joinBodies(entry.bodies, entry.gen1Original) }
  }
}

/** Gen1 payloads are BMPs whose own header gives the length; the "original" splits it in halves. */
const joinBodies = (bodies: ReadonlyArray<Uint8Array>, gen1Original: boolean): Uint8Array => {
  const first = bodies[0]
  if (first === undefined || first[0] !== 0x42 || first[1] !== 0x4d) return concat(bodies)
  const size = new DataView(first.buffer, first.byteOffset, first.byteLength).getUint32(2, true)
  if (gen1Original) return concat(bodies.map((b) => b.subarray(0, size / bodies.length)))
  return concat(bodies).subarray(0, size)
}

/** An image payload as RGB triples in wire order (before undoing the model's transform). */
const wirePixels = (payload: Uint8Array, pixelCount: number): Uint8Array => {
  const out = new Uint8Array(pixelCount * 3)
  if (payload[0] === 0x42 && payload[1] === 0x4d) {
    // BMP (gen1): 54-byte header, then BGR
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
    const start = view.getUint32(10, true)
    for (let i = 0; i < pixelCount; i++) {
      out[i * 3] = payload[start + i * 3 + 2] ?? 0
      out[i * 3 + 1] = payload[start + i * 3 + 1] ?? 0
      out[i * 3 + 2] = payload[start + i * 3] ?? 0
    }
    return out
  }
  // gen2: the fake's encodeJPEG passes the transformed RGBA through
  for (let i = 0; i < pixelCount; i++) {
    out[i * 3] = payload[i * 4] ?? 0
    out[i * 3 + 1] = payload[i * 4 + 1] ?? 0
    out[i * 3 + 2] = payload[i * 4 + 2] ?? 0
  }
  return out
}

/** The fake's "JPEG encoder": keep the library's transformed pixels as they are. */
const passThroughJpeg = async (buffer: Uint8Array) => buffer.slice()

// ---------------------------------------------------------------------------------------------
// calibration: learn each model's pixel transform from the library itself
// ---------------------------------------------------------------------------------------------

/** A HID device that only records what the library writes (for calibration). */
class RecordingHid extends EventEmitter<HIDDeviceEvents> implements HIDDevice {
  readonly images: Array<ImagePayload> = []
  readonly #assembler = new PacketAssembler()
  readonly #info: HIDDeviceInfo
  constructor(info: HIDDeviceInfo) {
    super()
    this.#info = info
  }
  async close() {}
  async sendFeatureReport() {}
  async getFeatureReport(reportId: number, reportLength: number) {
    const r = new Uint8Array(reportLength)
    r[0] = reportId
    return r
  }
  async sendReports(buffers: Array<Uint8Array>) {
    for (const b of buffers) {
      const done = this.#assembler.push(b)
      if (done) this.images.push(done)
    }
  }
  async getDeviceInfo() {
    return this.#info
  }
  async getChildDeviceInfo(): Promise<ChildHIDDeviceInfo | null> {
    return null
  }
}

const specOf = (model: string) => {
  const spec = (DEVICE_MODELS2 as Record<string, (typeof DEVICE_MODELS2)[DeviceModelId] | undefined>)[model]
  if (spec === undefined) throw new Error(`FakeDeck: unknown Stream Deck model "${model}"`)
  return spec
}

const openWith = async (model: string, hid: HIDDevice): Promise<StreamDeck> =>
  specOf(model).factory(hid, { encodeJPEG: passThroughJpeg })

/** perm[wireIndex] = uprightIndex, per (model, what, size). */
const calibrations = new Map<string, Promise<Uint32Array>>()

const codedImage = (pixels: number) => {
  const rgb = new Uint8Array(pixels * 3)
  for (let i = 0; i < pixels; i++) {
    rgb[i * 3] = i & 0xff
    rgb[i * 3 + 1] = (i >> 8) & 0xff
    rgb[i * 3 + 2] = (i >> 16) & 0xff
  }
  return rgb
}

type Drawable =
  | { readonly kind: "key"; readonly index: number }
  | { readonly kind: "lcd" }
  | { readonly kind: "region" }

const calibrate = (model: string, what: Drawable, width: number, height: number): Promise<Uint32Array> => {
  const cacheKey = `${model}|${what.kind}|${width}x${height}`
  const cached = calibrations.get(cacheKey)
  if (cached) return cached
  const run = async () => {
    const spec = specOf(model)
    const hid = new RecordingHid({ path: "calibration", vendorId: spec.vendorId, productId: spec.productIds[0] ?? 0 })
    const deck = await openWith(model, hid)
    try {
      const pixels = width * height
      const image = codedImage(pixels)
      if (what.kind === "key") await deck.fillKeyBuffer(what.index, image, { format: "rgb" })
      else if (what.kind === "lcd") await deck.fillLcd(0, image, { format: "rgb" })
      else await deck.fillLcdRegion(0, 0, 0, image, { format: "rgb", width, height })
      const sent = hid.images[0]
      if (sent === undefined) throw new Error(`FakeDeck: calibration of ${model} ${what.kind} sent no image`)
      const wire = wirePixels(sent.payload, pixels)
      const perm = new Uint32Array(pixels)
      for (let o = 0; o < pixels; o++) perm[o] = wire[o * 3]! | (wire[o * 3 + 1]! << 8) | (wire[o * 3 + 2]! << 16)
      return perm
    } finally {
      await deck.close()
    }
  }
  const p = run()
  calibrations.set(cacheKey, p)
  p.catch(() => calibrations.delete(cacheKey))
  return p
}

const uprightFrom = (wire: Uint8Array, perm: Uint32Array, width: number, height: number): FakeImage => {
  const rgba = new Uint8Array(width * height * 4)
  for (let o = 0; o < perm.length; o++) {
    const u = perm[o]!
    rgba[u * 4] = wire[o * 3]!
    rgba[u * 4 + 1] = wire[o * 3 + 1]!
    rgba[u * 4 + 2] = wire[o * 3 + 2]!
    rgba[u * 4 + 3] = 255
  }
  return { width, height, rgba }
}

const solid = (width: number, height: number, [r, g, b]: Rgb): FakeImage => {
  const rgba = new Uint8Array(width * height * 4)
  for (let i = 0; i < width * height; i++) rgba.set([r, g, b, 255], i * 4)
  return { width, height, rgba }
}

/** Gen1 input reports are plain key bytes; gen2 ones start with a 3-byte header. Learnt, not tabled. */
const keyDataOffsets = new Map<string, Promise<number>>()
const keyDataOffset = (model: string, controls: ReadonlyArray<StreamDeckControlDefinition>): Promise<number> => {
  const cached = keyDataOffsets.get(model)
  if (cached) return cached
  const run = async () => {
    if (!controls.some((c) => c.type === "button")) return 3
    const spec = specOf(model)
    const hid = new RecordingHid({ path: "calibration", vendorId: spec.vendorId, productId: spec.productIds[0] ?? 0 })
    const deck = await openWith(model, hid)
    let pressed = false
    deck.on("down", () => (pressed = true))
    // byte 0 set: a gen1 key press; for gen2 an unknown report type, ignored
    hid.emit("input", new Uint8Array(64).fill(1, 0, 1))
    await deck.close()
    return pressed ? 0 : 3
  }
  const p = run()
  keyDataOffsets.set(model, p)
  return p
}

// ---------------------------------------------------------------------------------------------
// the fake device
// ---------------------------------------------------------------------------------------------

let nextHidraw = 100
let nextSerial = 1

type KeyState = { readonly kind: "image"; readonly image: FakeImage } | { readonly kind: "color"; readonly rgb: Rgb }

/** One open handle on the fake device, what `HID.HIDAsync.open(path)` gives the library. */
class FakeHidSession extends EventEmitter<HIDDeviceEvents> implements HIDDevice {
  closed = false
  dead = false
  readonly path: string
  readonly #deck: FakeDeck
  readonly #assembler = new PacketAssembler()
  /** Writes are serialised like node's `NodeHIDDevice` does (one p-queue, concurrency 1). */
  #tail: Promise<unknown> = Promise.resolve()

  constructor(deck: FakeDeck, path: string) {
    super()
    this.#deck = deck
    this.path = path
  }
  #check() {
    if (this.closed) throw new Error("HID device is closed")
    if (this.dead) throw new Error(WRITE_ERROR)
  }
  #queued<A>(job: () => Promise<A>): Promise<A> {
    const run = this.#tail.then(job, job)
    this.#tail = run.catch(() => undefined)
    return run
  }
  async close() {
    if (this.closed) return
    this.closed = true
    this.#deck.sessionClosed(this)
  }
  sendFeatureReport(data: Uint8Array): Promise<void> {
    return this.#queued(async () => {
      this.#check()
      this.#deck.takeWriteFailure()
      this.#deck.featureReport(data)
    })
  }
  async getFeatureReport(reportId: number, reportLength: number): Promise<Uint8Array> {
    this.#check()
    return this.#deck.readFeatureReport(reportId, reportLength)
  }
  sendReports(buffers: Array<Uint8Array>): Promise<void> {
    return this.#queued(async () => {
      this.#check()
      this.#deck.takeWriteFailure()
      const delay = this.#deck.writeDelayMs
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
      this.#check()
      const done: Array<ImagePayload> = []
      for (const b of buffers) {
        const image = this.#assembler.push(b)
        if (image) done.push(image)
      }
      for (const image of done) await this.#deck.imageReceived(image)
    })
  }
  async getDeviceInfo(): Promise<HIDDeviceInfo> {
    return { path: this.path, vendorId: this.#deck.vendorId, productId: this.#deck.productId }
  }
  async getChildDeviceInfo(): Promise<ChildHIDDeviceInfo | null> {
    return null
  }
}

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
