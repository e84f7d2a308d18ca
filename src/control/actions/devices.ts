/**
 * Audio devices: cycle through or pick the input / output device. Ids come from
 * `available_devices`; Discord rejects any other (docs/discord-rpc.md#get_voice_settings, docs/discord-rpc.md#set_voice_settings).
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { AudioDevice } from "../../protocol/Message.ts"
import { ActionError, defineAction, liveModel, setVoiceSettings } from "./types.ts"

export const DeviceOptions = Schema.Struct({
  /** A device id (see `deckcord status` or Discord's list); without it the key cycles through all. */
  device: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty()))
})
type DeviceOptions = typeof DeviceOptions.Type

/** The next device after `current` in Discord's order, wrapping around. */
export const nextDevice = (devices: ReadonlyArray<AudioDevice>, current: string | undefined): AudioDevice | undefined => {
  if (devices.length === 0) return undefined
  const at = devices.findIndex((d) => d.id === current)
  return devices[(at + 1) % devices.length]
}

const device = (which: "input" | "output") => {
  const title = which === "input" ? "Input" : "Output"
  return defineAction<DeviceOptions>({
    name: `${which}-device`,
    summary: `Switch the ${which} device: cycle through all, or pick one with "device".`,
    title,
    icon: which === "input" ? "mic" : "volume",
    options: DeviceOptions,
    initial: () => undefined,
    face: (model, options) => {
      const io = model.settings?.[which]
      const devices = io?.available_devices ?? []
      const current = devices.find((d) => d.id === io?.device_id)
      const icon = which === "input" ? "mic" : "volume"
      if (options.device === undefined) {
        return { icon, tone: "neutral", label: current?.name ?? io?.device_id ?? title, sublabel: `${title} device` }
      }
      const wanted = devices.find((d) => d.id === options.device)
      return {
        icon,
        tone: wanted === undefined ? "offline" : io?.device_id === options.device ? "active" : "neutral",
        label: wanted?.name ?? options.device,
        sublabel: wanted === undefined ? "not available" : `${title} device`
      }
    },
    handle: (input, { env, options }) =>
      Effect.gen(function*() {
        if (input._tag !== "Press") return
        const model = yield* liveModel(env, "SET_VOICE_SETTINGS")
        const io = env.known.settings(model)?.[which]
        const devices = io?.available_devices ?? []
        const target = options.device === undefined
          ? nextDevice(devices, io?.device_id)
          : devices.find((d) => d.id === options.device)
        if (target === undefined) {
          return yield* new ActionError({
            action: `${which}-device`,
            message: options.device === undefined
              ? `Discord lists no ${which} devices`
              : `no ${which} device "${options.device}"; available: ${devices.map((d) => `"${d.id}" (${d.name})`).join(", ")}`
          })
        }
        if (target.id === io?.device_id) return
        yield* setVoiceSettings(env, which === "input" ? { input: { device_id: target.id } } : { output: { device_id: target.id } })
      })
  })
}

export const inputDevice = device("input")
export const outputDevice = device("output")
