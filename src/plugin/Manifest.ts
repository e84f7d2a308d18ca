/**
 * What the plugin folder declares, as pure data from the action registry: the SDK-2
 * manifest, each action's option fields (what the property inspector shows), and the icon
 * SVGs. The build (`npm run build:plugin`) writes them; tests check them.
 *
 * @since 0.1.0
 */
import { ACTIONS, type AnyActionDef, multi, page } from "../control/actions/index.ts"
import type { IconName } from "../face/Face.ts"
import { ICON_GRID, ICON_STROKE, ICONS, SLASH_PATH } from "../face/icons.ts"
import { VERSION } from "../version.ts"
import { DIAL_LAYOUT_PATH } from "./HostProtocol.ts"
import { actionUuid, PLUGIN_UUID } from "./PluginSurface.ts"

/**
 * The actions the plugin offers: all but `page` and `multi`, since a host has its own pages,
 * folders and multi-actions (deckcord's live in config.json, which the plugin does not lay out).
 */
export const PLUGIN_ACTIONS: ReadonlyArray<AnyActionDef> = ACTIONS.filter((a) => a !== page && a !== multi)

/** Names people see in the host's action list. */
const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  mute: "Mute",
  deafen: "Deafen",
  "push-to-talk": "Push to talk",
  "input-mode": "Input mode",
  "voice-channel": "Join voice channel",
  "leave-call": "Leave call",
  "text-channel": "Open text channel",
  "input-volume": "Input volume",
  "output-volume": "Output volume",
  "user-volume": "User volume",
  "input-device": "Input device",
  "output-device": "Output device",
  camera: "Camera",
  "screen-share": "Screen share",
  soundboard: "Soundboard",
  notifications: "Notifications",
  "voice-processing": "Voice processing",
  status: "Status"
}
export const displayName = (action: AnyActionDef): string => DISPLAY_NAMES[action.name] ?? action.title

/** Actions that also go on a dial (they turn something). */
const DIAL_ACTIONS: ReadonlySet<string> = new Set(["input-volume", "output-volume", "user-volume"])
export const isDialAction = (action: AnyActionDef): boolean => DIAL_ACTIONS.has(action.name)

// ---------------------------------------------------------------------------------------------
// option fields (introspected from each action's options schema)
// ---------------------------------------------------------------------------------------------

/** Which list a field picks from (the inspector asks the plugin for it). */
export type PickerList = "voiceChannels" | "textChannels" | "members" | "inputDevices" | "outputDevices" | "sounds"

export type OptionField =
  | { readonly kind: "choice"; readonly name: string; readonly optional: boolean; readonly values: ReadonlyArray<string> }
  | { readonly kind: "boolean"; readonly name: string; readonly optional: boolean }
  | { readonly kind: "number"; readonly name: string; readonly optional: boolean }
  | { readonly kind: "text"; readonly name: string; readonly optional: boolean; readonly picker?: PickerList }

interface AstLike {
  readonly _tag: string
  readonly context?: { readonly isOptional?: boolean }
  readonly types?: ReadonlyArray<{ readonly literal?: unknown }>
}

const pickerFor = (action: string, field: string): PickerList | undefined => {
  if (field === "channel") return action === "voice-channel" ? "voiceChannels" : "textChannels"
  if (field === "user") return "members"
  if (field === "device") return action === "input-device" ? "inputDevices" : "outputDevices"
  if (field === "sound") return "sounds"
  return undefined
}

/** The fields of an action's options, in declaration order. */
export const optionFields = (action: AnyActionDef): ReadonlyArray<OptionField> => {
  const fields = (action.options as { readonly fields?: Readonly<Record<string, { readonly ast: AstLike }>> }).fields ?? {}
  return Object.entries(fields).map(([name, schema]): OptionField => {
    const ast = schema.ast
    const optional = ast.context?.isOptional === true
    if (ast._tag === "Union" && ast.types?.every((t) => typeof t.literal === "string")) {
      return { kind: "choice", name, optional, values: ast.types.map((t) => String(t.literal)) }
    }
    if (ast._tag === "Boolean") return { kind: "boolean", name, optional }
    if (ast._tag === "Number") return { kind: "number", name, optional }
    const picker = pickerFor(action.name, name)
    return picker === undefined ? { kind: "text", name, optional } : { kind: "text", name, optional, picker }
  })
}

// ---------------------------------------------------------------------------------------------
// the manifest
// ---------------------------------------------------------------------------------------------

/** The host's Version has four parts; deckcord's has three. */
export const manifestVersion = (version: string): string => {
  const parts = version.split(/[.+-]/).filter((p) => /^\d+$/.test(p)).slice(0, 3)
  while (parts.length < 3) parts.push("0")
  return `${parts.join(".")}.0`
}

export const iconPath = (action: AnyActionDef) => `imgs/actions/${action.name}/icon`
export const keyImagePath = (action: AnyActionDef) => `imgs/actions/${action.name}/key`
export const INSPECTOR_PATH = "ui/inspector.html"
export const CODE_PATH = "bin/plugin.mjs"

export const manifest = (version: string = VERSION) => ({
  $schema: "https://schemas.elgato.com/streamdeck/plugins/manifest.json",
  UUID: PLUGIN_UUID,
  Name: "deckcord",
  Version: manifestVersion(version),
  Author: "deckcord",
  Description: "Discord voice keys and dials: mute, deafen, push-to-talk, volumes, devices, channels and more.",
  Icon: "imgs/plugin/icon",
  Category: "deckcord",
  CategoryIcon: "imgs/plugin/category",
  CodePath: CODE_PATH,
  PropertyInspectorPath: INSPECTOR_PATH,
  SDKVersion: 2,
  Software: { MinimumVersion: "6.5" },
  OS: [
    { Platform: "mac", MinimumVersion: "12" },
    { Platform: "windows", MinimumVersion: "10" }
  ],
  Nodejs: { Version: "20" },
  Actions: PLUGIN_ACTIONS.map((action) => ({
    UUID: actionUuid(action.name),
    Name: displayName(action),
    Icon: iconPath(action),
    Tooltip: action.summary,
    Controllers: isDialAction(action) ? ["Keypad", "Encoder"] : ["Keypad"],
    // deckcord draws the whole face, label included, from Discord's state
    UserTitleEnabled: false,
    SupportedInMultiActions: false,
    States: [{ Image: keyImagePath(action), ShowTitle: false }],
    ...(isDialAction(action)
      ? {
        Encoder: {
          layout: DIAL_LAYOUT_PATH,
          Icon: iconPath(action),
          TriggerDescription: { Rotate: "Volume", Push: "Press action", Touch: "Press action" }
        }
      }
      : {})
  }))
})

// ---------------------------------------------------------------------------------------------
// icons
// ---------------------------------------------------------------------------------------------

/** An icon of deckcord's set alone, white on transparent (what hosts want for list icons). */
export const iconSvg = (icon: IconName, size: number, color = "#ffffff"): string => {
  const spec = ICONS[icon]
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${ICON_GRID} ${ICON_GRID}">` +
    `<g color="${color}" fill="none" stroke="currentColor" stroke-width="${ICON_STROKE}" stroke-linecap="round" stroke-linejoin="round">` +
    spec.body + (spec.slash === true ? `<path d="${SLASH_PATH}"/>` : "") + `</g></svg>`
}
