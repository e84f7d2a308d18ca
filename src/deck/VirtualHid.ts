/**
 * A Stream Deck with no hardware: the library's own `StreamDeck` for a model, over a HID
 * device that lives in memory and takes every write without showing it anywhere. `Deck`
 * opens it like a USB deck (same model data, same control definitions, same write path), so
 * virtual decks get their layout, faces and presses exactly as hardware does; what they show
 * is read from the Controller's faces, and their input arrives through `Controller.submit`.
 *
 * @since 0.2.0
 */
import type { ChildHIDDeviceInfo, HIDDevice, HIDDeviceEvents, HIDDeviceInfo, StreamDeck } from "@elgato-stream-deck/core"
import { EventEmitter } from "eventemitter3"

/** node-hid's message when a device goes away; `Deck` then treats the deck as unplugged. */
const GONE = "could not read from HID device"

class MemoryHid extends EventEmitter<HIDDeviceEvents> implements HIDDevice {
  readonly #info: HIDDeviceInfo
  readonly #serial: string
  #gone = false
  constructor(info: HIDDeviceInfo, serial: string) {
    super()
    this.#info = info
    this.#serial = serial
  }
  #check() {
    if (this.#gone) throw new Error(GONE)
  }
  async close() {}
  async sendFeatureReport() {
    this.#check()
  }
  async getFeatureReport(reportId: number, reportLength: number) {
    this.#check()
    // serial number reports (gen1: id 3, text at 5; gen2: id 6, length at 1, text at 2), zeros otherwise
    const report = new Uint8Array(reportLength)
    report[0] = reportId
    const text = new TextEncoder().encode(this.#serial)
    if (reportId === 3) report.set(text.subarray(0, reportLength - 5), 5)
    if (reportId === 6) {
      report[1] = text.length
      report.set(text.subarray(0, reportLength - 2), 2)
    }
    return report
  }
  async sendReports() {
    this.#check()
  }
  async getDeviceInfo() {
    return this.#info
  }
  async getChildDeviceInfo(): Promise<ChildHIDDeviceInfo | null> {
    return null
  }
  /** The device goes away: open handles see the error node-hid gives for an unplugged deck. */
  unplug() {
    if (this.#gone) return
    this.#gone = true
    this.emit("error", new Error(GONE))
  }
}

/** One virtual deck: open it as often as `Deck` asks; `unplug` ends every open handle. */
export interface VirtualDevice {
  readonly model: string
  readonly serial: string
  readonly open: () => Promise<StreamDeck>
  readonly unplug: () => void
}

/** The models a virtual deck can be: every model the library knows except the network dock. */
export const virtualModels = async (): Promise<ReadonlyArray<string>> => {
  const { DeviceModelId } = await import("./deckModels.ts")
  return Object.values(DeviceModelId).filter((m) => m !== DeviceModelId.NETWORK_DOCK)
}

/** A virtual deck of a model (the library's `DeviceModelId`, e.g. "original-mk2", "plus"). */
export const makeVirtualDevice = async (model: string, serial: string): Promise<VirtualDevice> => {
  // loaded when the first virtual deck is made: a daemon without one never reads it
  const { DEVICE_MODELS2 } = await import("./deckModels.ts")
  const spec = (DEVICE_MODELS2 as Record<string, (typeof DEVICE_MODELS2)[keyof typeof DEVICE_MODELS2] | undefined>)[model]
  if (spec === undefined) throw new Error(`unknown Stream Deck model "${model}"`)
  const handles = new Set<MemoryHid>()
  let gone = false
  return {
    model,
    serial,
    open: async () => {
      if (gone) throw new Error(`cannot open virtual deck ${serial}: No such file or directory`)
      const hid = new MemoryHid({ path: `virtual:${serial}`, vendorId: spec.vendorId, productId: spec.productIds[0] ?? 0 }, serial)
      handles.add(hid)
      // nothing is shown, so nothing needs encoding
      return spec.factory(hid, { encodeJPEG: async (buffer: Uint8Array) => buffer })
    },
    unplug: () => {
      gone = true
      for (const hid of handles) hid.unplug()
      handles.clear()
    }
  }
}
