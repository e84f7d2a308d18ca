/**
 * Read-back images and the calibration that makes them upright: each model's flip/rotate is
 * learnt once by sending a coded image through the library itself, not from a table that
 * could drift; likewise where key data starts in an input report.
 *
 * @since 0.2.0
 */
import {
  type ChildHIDDeviceInfo,
  DEVICE_MODELS2,
  type DeviceModelId,
  type HIDDevice,
  type HIDDeviceEvents,
  type HIDDeviceInfo,
  type StreamDeck,
  type StreamDeckControlDefinition
} from "@elgato-stream-deck/core"
import { EventEmitter } from "eventemitter3"
import { type ImagePayload, PacketAssembler, passThroughJpeg, wirePixels } from "./packets.ts"

/** Upright RGBA pixels, `width * height * 4` bytes, row-major, top-left first. */
export interface FakeImage {
  readonly width: number
  readonly height: number
  readonly rgba: Uint8Array
}

export type Rgb = readonly [r: number, g: number, b: number]

/** A HID device that only records what the library writes (for calibration). */
export class RecordingHid extends EventEmitter<HIDDeviceEvents> implements HIDDevice {
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

export const specOf = (model: string) => {
  const spec = (DEVICE_MODELS2 as Record<string, (typeof DEVICE_MODELS2)[DeviceModelId] | undefined>)[model]
  if (spec === undefined) throw new Error(`FakeDeck: unknown Stream Deck model "${model}"`)
  return spec
}

export const openWith = async (model: string, hid: HIDDevice): Promise<StreamDeck> =>
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

export type Drawable =
  | { readonly kind: "key"; readonly index: number }
  | { readonly kind: "lcd" }
  | { readonly kind: "region" }

export const calibrate = (model: string, what: Drawable, width: number, height: number): Promise<Uint32Array> => {
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

export const uprightFrom = (wire: Uint8Array, perm: Uint32Array, width: number, height: number): FakeImage => {
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

export const solid = (width: number, height: number, [r, g, b]: Rgb): FakeImage => {
  const rgba = new Uint8Array(width * height * 4)
  for (let i = 0; i < width * height; i++) rgba.set([r, g, b, 255], i * 4)
  return { width, height, rgba }
}

/** Gen1 input reports are plain key bytes; gen2 ones start with a 3-byte header. Learnt, not tabled. */
const keyDataOffsets = new Map<string, Promise<number>>()
export const keyDataOffset = (model: string, controls: ReadonlyArray<StreamDeckControlDefinition>): Promise<number> => {
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
