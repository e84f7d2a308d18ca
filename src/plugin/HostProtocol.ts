/**
 * The Stream Deck SDK's plugin protocol as pure data: the launch arguments a host passes,
 * the events it sends (decoded with Schema at the edge, unknown fields and events ignored)
 * and the commands a plugin sends back. Both Elgato's app and OpenDeck speak it; where they
 * differ the schemas take the looser side (docs/stream-deck-plugin.md lists the differences).
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"

// ---------------------------------------------------------------------------------------------
// launch arguments
// ---------------------------------------------------------------------------------------------

/** What a host tells a plugin on its command line. */
export interface LaunchArgs {
  readonly port: number
  /** Opaque: Elgato's registration token, or OpenDeck's folder name. The context of plugin-wide commands. */
  readonly pluginUUID: string
  readonly registerEvent: string
  /** The `-info` JSON, still undecoded. */
  readonly info: string
}

/** The launch arguments are missing or unusable; `message` says which. */
export class LaunchArgsError extends Schema.TaggedError<LaunchArgsError>()("LaunchArgsError", {
  message: Schema.String
}) {}

const FLAGS = ["-port", "-pluginUUID", "-registerEvent", "-info"] as const

/**
 * Read the four flags as pairs, in any order, skipping anything else (hosts add flags of
 * their own, and Node's own flags may precede the script).
 */
export const parseLaunchArgs = (argv: ReadonlyArray<string>): Result.Result<LaunchArgs, LaunchArgsError> => {
  const found = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    if ((FLAGS as ReadonlyArray<string>).includes(flag) && i + 1 < argv.length) {
      found.set(flag, argv[i + 1]!)
      i++
    }
  }
  const missing = FLAGS.filter((f) => !found.has(f))
  if (missing.length > 0) {
    return Result.fail(
      new LaunchArgsError({
        message: `missing ${missing.join(", ")}: this is a Stream Deck plugin; install it in the Stream Deck app or ` +
          "OpenDeck, which start it, or run the deckcord daemon instead"
      })
    )
  }
  const port = Number(found.get("-port"))
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    return Result.fail(new LaunchArgsError({ message: `-port ${JSON.stringify(found.get("-port"))} is not a TCP port` }))
  }
  return Result.succeed({
    port,
    pluginUUID: found.get("-pluginUUID")!,
    registerEvent: found.get("-registerEvent")!,
    info: found.get("-info")!
  })
}

// ---------------------------------------------------------------------------------------------
// registration info and devices
// ---------------------------------------------------------------------------------------------

export const DeviceSize = Schema.Struct({ columns: Schema.Number, rows: Schema.Number })

/** A device as `-info` and `deviceDidConnect` describe it. `type` is the SDK's DeviceType. */
export const DeviceInfoPayload = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  size: DeviceSize,
  type: Schema.optionalKey(Schema.Number)
})
export type DeviceInfoPayload = typeof DeviceInfoPayload.Type

/** Only what deckcord uses; OpenDeck fills the rest differently, so everything else is optional. */
export const RegistrationInfo = Schema.Struct({
  application: Schema.optionalKey(Schema.Struct({
    version: Schema.optionalKey(Schema.String),
    platform: Schema.optionalKey(Schema.String)
  })),
  plugin: Schema.optionalKey(Schema.Struct({ uuid: Schema.optionalKey(Schema.String) })),
  devices: Schema.optionalKey(Schema.Array(Schema.Struct({
    id: Schema.String,
    name: Schema.optionalKey(Schema.String),
    size: DeviceSize,
    type: Schema.optionalKey(Schema.Number)
  })))
})
export type RegistrationInfo = typeof RegistrationInfo.Type

export const decodeRegistrationInfo = (text: string): Result.Result<RegistrationInfo, string> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Result.fail("-info is not JSON")
  }
  const decoded = Schema.decodeUnknownResult(RegistrationInfo)(json)
  return Result.isSuccess(decoded) ? Result.succeed(decoded.success) : Result.fail(`-info: ${decoded.failure.message}`)
}

// ---------------------------------------------------------------------------------------------
// events from the host
// ---------------------------------------------------------------------------------------------

const Coordinates = Schema.Struct({ column: Schema.Number, row: Schema.Number })
const Settings = Schema.Record(Schema.String, Schema.Unknown)
const Controller = Schema.Literals(["Keypad", "Encoder"])
export type HostController = typeof Controller.Type

/** What every instance event carries about where the instance is and what it holds. */
const InstancePayload = Schema.Struct({
  controller: Schema.optionalKey(Controller),
  coordinates: Schema.optionalKey(Coordinates),
  isInMultiAction: Schema.optionalKey(Schema.Boolean),
  settings: Settings,
  state: Schema.optionalKey(Schema.Number)
})
export type InstancePayload = typeof InstancePayload.Type

const instanceEvent = <E extends string>(event: E) =>
  Schema.Struct({
    event: Schema.Literal(event),
    action: Schema.String,
    context: Schema.String,
    device: Schema.String,
    payload: InstancePayload
  })

export const WillAppear = instanceEvent("willAppear")
export const WillDisappear = instanceEvent("willDisappear")
export const KeyDown = instanceEvent("keyDown")
export const KeyUp = instanceEvent("keyUp")
export const DidReceiveSettings = instanceEvent("didReceiveSettings")
export const DialDown = instanceEvent("dialDown")
export const DialUp = instanceEvent("dialUp")
export const DialRotate = Schema.Struct({
  event: Schema.Literal("dialRotate"),
  action: Schema.String,
  context: Schema.String,
  device: Schema.String,
  payload: Schema.Struct({
    settings: Schema.optionalKey(Settings),
    coordinates: Schema.optionalKey(Coordinates),
    ticks: Schema.Number.check(Schema.isInt()),
    pressed: Schema.optionalKey(Schema.Boolean)
  })
})
export const TouchTap = Schema.Struct({
  event: Schema.Literal("touchTap"),
  action: Schema.String,
  context: Schema.String,
  device: Schema.String,
  payload: Schema.Struct({
    settings: Schema.optionalKey(Settings),
    coordinates: Schema.optionalKey(Coordinates),
    tapPos: Schema.optionalKey(Schema.Tuple([Schema.Number, Schema.Number])),
    hold: Schema.optionalKey(Schema.Boolean)
  })
})
export const PropertyInspectorDidAppear = Schema.Struct({
  event: Schema.Literals(["propertyInspectorDidAppear", "propertyInspectorDidDisappear"]),
  action: Schema.String,
  context: Schema.String,
  device: Schema.optionalKey(Schema.String)
})
export const SendToPlugin = Schema.Struct({
  event: Schema.Literal("sendToPlugin"),
  action: Schema.String,
  context: Schema.String,
  payload: Schema.Unknown
})
export const DeviceDidConnect = Schema.Struct({
  event: Schema.Literal("deviceDidConnect"),
  device: Schema.String,
  deviceInfo: DeviceInfoPayload
})
export const DeviceDidDisconnect = Schema.Struct({
  event: Schema.Literal("deviceDidDisconnect"),
  device: Schema.String
})
export const SystemDidWakeUp = Schema.Struct({ event: Schema.Literal("systemDidWakeUp") })

/** Every event deckcord acts on. */
export const HostEvent = Schema.Union([
  WillAppear,
  WillDisappear,
  KeyDown,
  KeyUp,
  DidReceiveSettings,
  DialDown,
  DialUp,
  DialRotate,
  TouchTap,
  PropertyInspectorDidAppear,
  SendToPlugin,
  DeviceDidConnect,
  DeviceDidDisconnect,
  SystemDidWakeUp
])
export type HostEvent = typeof HostEvent.Type

/** The `event` names `HostEvent` knows; anything else is ignored without a word. */
export const HOST_EVENT_NAMES: ReadonlySet<string> = new Set([
  "willAppear",
  "willDisappear",
  "keyDown",
  "keyUp",
  "didReceiveSettings",
  "dialDown",
  "dialUp",
  "dialRotate",
  "touchTap",
  "propertyInspectorDidAppear",
  "propertyInspectorDidDisappear",
  "sendToPlugin",
  "deviceDidConnect",
  "deviceDidDisconnect",
  "systemDidWakeUp"
])

/** One text frame from the host, as deckcord sees it. */
export type Incoming =
  | { readonly _tag: "Event"; readonly event: HostEvent }
  /** A newer host's event, or one deckcord does not need (titleParametersDidChange, …). */
  | { readonly _tag: "Ignored"; readonly name: string }
  | { readonly _tag: "Malformed"; readonly reason: string }

const MAX_SHOWN = 120
const clip = (text: string) => (text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text)

/** Decode one text frame. Never throws: bad input is a value the caller logs. */
export const decodeIncoming = (text: string): Incoming => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { _tag: "Malformed", reason: `not JSON: ${clip(text)}` }
  }
  const name = typeof json === "object" && json !== null ? (json as { readonly event?: unknown }).event : undefined
  if (typeof name !== "string") return { _tag: "Malformed", reason: `no "event" name: ${clip(text)}` }
  if (!HOST_EVENT_NAMES.has(name)) return { _tag: "Ignored", name }
  const decoded = Schema.decodeUnknownResult(HostEvent)(json)
  return Result.isSuccess(decoded)
    ? { _tag: "Event", event: decoded.success }
    : { _tag: "Malformed", reason: `${name}: ${clip(decoded.failure.message.replace(/\s+/g, " "))}` }
}

// ---------------------------------------------------------------------------------------------
// commands to the host
// ---------------------------------------------------------------------------------------------

/** The commands deckcord sends (the SDK has more; deckcord needs these). */
export type Command =
  | { readonly event: "setImage"; readonly context: string; readonly payload: { readonly image: string } }
  | { readonly event: "setFeedback"; readonly context: string; readonly payload: Readonly<Record<string, unknown>> }
  | { readonly event: "showAlert"; readonly context: string }
  | { readonly event: "sendToPropertyInspector"; readonly context: string; readonly payload: unknown }
  | { readonly event: "logMessage"; readonly payload: { readonly message: string } }

/** The registration frame: the first and only thing sent before the host's first event. */
export const registration = (args: Pick<LaunchArgs, "registerEvent" | "pluginUUID">): string =>
  JSON.stringify({ event: args.registerEvent, uuid: args.pluginUUID })

/** The touch-strip layout every deckcord dial uses: one pixmap over the whole 200×100 segment. */
export const DIAL_LAYOUT_PATH = "layouts/face.json"
export const DIAL_LAYOUT_KEY = "face"
export const DIAL_LAYOUT = {
  id: "com.deckcord.discord.face",
  items: [{ key: DIAL_LAYOUT_KEY, type: "pixmap", rect: [0, 0, 200, 100] }]
} as const

/** A face on a key or a dial's segment: base64 PNG, the one form every host draws everywhere. */
export const pngDataUrl = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString("base64")}`
