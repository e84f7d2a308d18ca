/**
 * One open handle on a fake deck, what `HID.HIDAsync.open(path)` gives the library: writes
 * serialised like node's, image packets reassembled, everything else handed to the device.
 *
 * @since 0.2.0
 */
import type { ChildHIDDeviceInfo, HIDDevice, HIDDeviceEvents, HIDDeviceInfo } from "@elgato-stream-deck/core"
import { EventEmitter } from "eventemitter3"
import { type ImagePayload, PacketAssembler } from "./packets.ts"

export const UNPLUGGED_ERROR = "could not read from HID device"
export const WRITE_ERROR = "could not write to HID device"

/** The device behind a session: what `FakeDeck` answers for each of its handles. */
export interface FakeHidDevice {
  readonly vendorId: number
  readonly productId: number
  readonly writeDelayMs: number
  sessionClosed(session: FakeHidSession): void
  /** Throws when a write failure was asked for (`FakeDeck.failNextWrites`). */
  takeWriteFailure(): void
  featureReport(data: Uint8Array): void
  readFeatureReport(reportId: number, length: number): Uint8Array
  imageReceived(image: ImagePayload): Promise<void>
}

/** One open handle on the fake device, what `HID.HIDAsync.open(path)` gives the library. */
export class FakeHidSession extends EventEmitter<HIDDeviceEvents> implements HIDDevice {
  closed = false
  dead = false
  readonly path: string
  readonly #deck: FakeHidDevice
  readonly #assembler = new PacketAssembler()
  /** Writes are serialised like node's `NodeHIDDevice` does (one p-queue, concurrency 1). */
  #tail: Promise<unknown> = Promise.resolve()

  constructor(deck: FakeHidDevice, path: string) {
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
