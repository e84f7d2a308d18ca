/**
 * The host's world in deckcord's terms, as pure functions: action UUIDs, a host device as a
 * `DeckInfo` (the host says only the grid and the device type), an action instance as a
 * binding, and the config `decks` field a set of instances describes.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { actionNamed } from "../control/actions/index.ts"
import { decodeLayout } from "../control/Layout.ts"
import type { DeckControl, DeckEncoder, DeckInfo, DeckKey } from "../deck/Deck.ts"
import type { PixelSize } from "../face/Face.ts"
import type { DeviceInfoPayload, HostController, InstancePayload } from "./HostProtocol.ts"

/** Every deckcord action's UUID is this plus its layout name (`com.deckcord.discord.mute`). */
export const PLUGIN_UUID = "com.deckcord.discord"
export const actionUuid = (name: string): string => `${PLUGIN_UUID}.${name}`
export const actionNameOf = (uuid: string): string | undefined =>
  uuid.startsWith(`${PLUGIN_UUID}.`) ? uuid.slice(PLUGIN_UUID.length + 1) : undefined

/** Hosts take one image size for every key and scale it: the high-DPI key. */
export const KEY_IMAGE_SIZE: PixelSize = { width: 144, height: 144 }
/** A dial's touch-strip segment. */
export const DIAL_SEGMENT_SIZE: PixelSize = { width: 200, height: 100 }

/** Dials per SDK device type: Stream Deck + (7), + XL (13), Studio (10, no strip). */
const DIALS_BY_TYPE: Readonly<Record<number, { readonly count: number; readonly strip: boolean }>> = {
  7: { count: 4, strip: true },
  13: { count: 6, strip: true },
  10: { count: 2, strip: false }
}
/** The Pedal (5) has keys without a display. */
const BLIND_TYPES: ReadonlySet<number> = new Set([5])

/** A host device as a deckcord deck. The host never says pixel sizes, only the grid and type. */
export const deckInfoOf = (id: string, device: DeviceInfoPayload): DeckInfo => {
  const { columns, rows } = device.size
  const blind = device.type !== undefined && BLIND_TYPES.has(device.type)
  const keys: Array<DeckKey> = []
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const index = row * columns + column
      keys.push(blind ? { index, row, column, feedback: "none" } : { index, row, column, feedback: "lcd", pixelSize: KEY_IMAGE_SIZE })
    }
  }
  const dials = device.type === undefined ? undefined : DIALS_BY_TYPE[device.type]
  const encoders: Array<DeckEncoder> = []
  for (let i = 0; i < (dials?.count ?? 0); i++) {
    encoders.push(
      dials?.strip === true
        ? { index: i, row: 0, column: i, lcdRegion: { x: i * DIAL_SEGMENT_SIZE.width, y: 0, ...DIAL_SEGMENT_SIZE } }
        : { index: i, row: 0, column: i }
    )
  }
  return {
    serial: id,
    model: `stream-deck-sdk-type-${device.type ?? "unknown"}`,
    productName: device.name ?? "Stream Deck",
    columns,
    rows,
    keys,
    encoders,
    ...(dials?.strip === true ? { lcd: { width: DIAL_SEGMENT_SIZE.width * dials.count, height: DIAL_SEGMENT_SIZE.height } } : {})
  }
}

/** One action instance the host shows. */
export interface Instance {
  readonly context: string
  readonly action: string
  readonly device: string
  readonly controller: HostController
  readonly column: number
  readonly row: number
  readonly settings: Readonly<Record<string, unknown>>
}

/** Where an instance sits on its deck, or why it cannot be placed. */
export const controlOf = (instance: Instance, deck: DeckInfo): DeckControl | undefined => {
  if (instance.controller === "Encoder") {
    return deck.encoders.some((e) => e.index === instance.column) ? { kind: "encoder", index: instance.column } : undefined
  }
  if (instance.column < 0 || instance.column >= deck.columns || instance.row < 0 || instance.row >= deck.rows) return undefined
  return { kind: "key", index: instance.row * deck.columns + instance.column }
}

/** An instance from a `willAppear`-like payload; multi-action children have no place on the deck. */
export const instanceOf = (
  event: { readonly action: string; readonly context: string; readonly device: string; readonly payload: InstancePayload }
): Instance | undefined => {
  const p = event.payload
  if (p.isInMultiAction === true || p.coordinates === undefined) return undefined
  return {
    context: event.context,
    action: event.action,
    device: event.device,
    controller: p.controller ?? "Keypad",
    column: p.coordinates.column,
    row: p.coordinates.row,
    settings: p.settings
  }
}

/** A binding as the config's layout writes it: the action's name and the instance's settings. */
export const bindingOf = (instance: Instance): Record<string, unknown> | undefined => {
  const name = actionNameOf(instance.action)
  if (name === undefined || actionNamed(name) === undefined) return undefined
  const { action: _ignored, ...options } = instance.settings
  return { ...options, action: name }
}

/** Why an instance's settings cannot be used (checked alone, so one bad key spoils no other), or undefined. */
export const bindingProblem = (instance: Instance): string | undefined => {
  const binding = bindingOf(instance)
  if (binding === undefined) return `unknown action ${instance.action}`
  const decoded = decodeLayout({ deck: { keys: { "0": binding } } })
  return Result.isFailure(decoded)
    ? decoded.failure.problems.map((p) => p.replace(/^at \["decks"\]\["deck"\]\["keys"\]\["0"\]/, "setting")).join("; ")
    : undefined
}

/**
 * The config's `decks` field for what the host shows: every known deck gets an entry (an
 * empty one too, so no deck falls back to a default layout of keys the host does not show).
 */
export const decksFor = (
  decks: ReadonlyMap<string, DeckInfo>,
  instances: Iterable<Instance>
): Record<string, { keys: Record<string, unknown>; encoders: Record<string, unknown> }> => {
  const out: Record<string, { keys: Record<string, unknown>; encoders: Record<string, unknown> }> = {}
  for (const id of decks.keys()) out[id] = { keys: {}, encoders: {} }
  for (const instance of instances) {
    const deck = decks.get(instance.device)
    const entry = out[instance.device]
    if (deck === undefined || entry === undefined) continue
    const control = controlOf(instance, deck)
    const binding = bindingOf(instance)
    if (control === undefined || control.kind === "lcd" || binding === undefined || bindingProblem(instance) !== undefined) continue
    ;(control.kind === "key" ? entry.keys : entry.encoders)[String(control.index)] = binding
  }
  return out
}
