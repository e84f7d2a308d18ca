/**
 * The action catalogue the layout editor offers: every action in a group like Elgato's
 * (Voice, Channels, Volume, …), with its options described as form fields, and which picker
 * fills each one from Discord. Checked against the action registry in the tests, so a new
 * action or option cannot be missing here.
 *
 * @since 0.1.0
 */
import { ACTIONS, actionNamed } from "../control/actions/index.ts"

/** How the editor asks for one option. */
export type FieldKind =
  | { readonly _tag: "Choice"; readonly values: ReadonlyArray<string> }
  | { readonly _tag: "Boolean" }
  | { readonly _tag: "Integer"; readonly min: number; readonly max: number }
  /** A voice or text channel, picked by server and name. */
  | { readonly _tag: "Channel"; readonly channelKind: "voice" | "text" }
  /** A member of your voice channel (or a watched one), by name. */
  | { readonly _tag: "Member" }
  /** A soundboard sound, by name and emoji; sets `sound` and `guild` together. */
  | { readonly _tag: "Sound" }
  /** An input or output device, by name. */
  | { readonly _tag: "Device"; readonly direction: "input" | "output" }
  /** One of this deck's pages (or "home"). */
  | { readonly _tag: "Page" }
  | { readonly _tag: "Text" }

export interface CatalogField {
  /** The option's key in the binding. */
  readonly name: string
  readonly label: string
  readonly kind: FieldKind
  readonly required: boolean
  /** One line of help under the field. */
  readonly help?: string
}

export interface CatalogAction {
  readonly name: string
  readonly title: string
  readonly summary: string
  readonly icon: string
  /** Works on keys, dials, or both. */
  readonly controls: ReadonlyArray<"key" | "encoder">
  readonly fields: ReadonlyArray<CatalogField>
}

export interface CatalogGroup {
  readonly name: string
  readonly actions: ReadonlyArray<CatalogAction>
}

const choice = (values: ReadonlyArray<string>): FieldKind => ({ _tag: "Choice", values })
const integer = (min: number, max: number): FieldKind => ({ _tag: "Integer", min, max })
const field = (name: string, label: string, kind: FieldKind, extra: { required?: boolean; help?: string } = {}): CatalogField => ({
  name,
  label,
  kind,
  required: extra.required ?? false,
  ...(extra.help !== undefined ? { help: extra.help } : {})
})

const volumeFields = (max: number): ReadonlyArray<CatalogField> => [
  field("step", "Step", integer(-200, 200), { help: "Change per dial detent or key press (default 5; negative turns down)" }),
  field("set", "Set to", integer(0, max), { help: "Keys: set this volume instead of stepping" }),
  field("press", "Dial push", choice(["mute", "reset", "none"]), { help: "What pushing the dial does (default mute)" }),
  field("reset", "Reset to", integer(0, max), { help: "The volume a reset restores (default 100)" })
]

const BOTH = ["key", "encoder"] as const

/** Options per action, by name. */
const FIELDS: Readonly<Record<string, ReadonlyArray<CatalogField>>> = {
  "mute": [field("mode", "Mode", choice(["toggle", "on", "off", "hold"]), { help: "hold: muted while held" })],
  "deafen": [
    field("mode", "Mode", choice(["toggle", "on", "off"])),
    field("unmute", "Undeafening also unmutes", { _tag: "Boolean" })
  ],
  "push-to-talk": [],
  "input-mode": [field("mode", "Mode", choice(["toggle", "push-to-talk", "voice-activity"]))],
  "voice-processing": [
    field("feature", "Feature", choice(["noise-suppression", "echo-cancellation", "automatic-gain-control"]), {
      required: true
    }),
    field("mode", "Mode", choice(["toggle", "on", "off"]))
  ],
  "voice-channel": [field("channel", "Voice channel", { _tag: "Channel", channelKind: "voice" }, { required: true })],
  "text-channel": [field("channel", "Text channel", { _tag: "Channel", channelKind: "text" }, { required: true })],
  "leave-call": [],
  "input-volume": volumeFields(100),
  "output-volume": volumeFields(200),
  "user-volume": [
    field("user", "Member", { _tag: "Member" }, { help: "Leave empty on a dial to pick members of your channel as you go" }),
    field("step", "Step", integer(-200, 200)),
    field("set", "Set to", integer(0, 200))
  ],
  "input-device": [field("device", "Device", { _tag: "Device", direction: "input" }, { help: "Empty: each press picks the next" })],
  "output-device": [field("device", "Device", { _tag: "Device", direction: "output" }, { help: "Empty: each press picks the next" })],
  "camera": [],
  "screen-share": [],
  "soundboard": [field("sound", "Sound", { _tag: "Sound" }, { required: true })],
  "notifications": [],
  "page": [field("page", "Page", { _tag: "Page" }, { required: true })],
  "status": [],
  // its steps are edited in config.json for now
  "multi": []
}

/** Extra options a field fills besides its own name (the sound picker sets the guild too). */
export const FILLED_TOGETHER: Readonly<Record<string, ReadonlyArray<string>>> = { sound: ["guild", "name"] }

/** The groups, in the order the editor shows them. */
const GROUPS: ReadonlyArray<{ readonly name: string; readonly actions: ReadonlyArray<string> }> = [
  { name: "Voice", actions: ["mute", "deafen", "push-to-talk", "input-mode", "voice-processing"] },
  // notifications open the channel a message came from
  { name: "Channels", actions: ["voice-channel", "text-channel", "leave-call", "notifications"] },
  { name: "Volume", actions: ["input-volume", "output-volume", "user-volume"] },
  { name: "Devices", actions: ["input-device", "output-device"] },
  { name: "Camera & screen", actions: ["camera", "screen-share"] },
  { name: "Soundboard", actions: ["soundboard"] },
  // Elgato's app keeps multi-actions beside pages and folders
  { name: "Pages", actions: ["page", "multi"] },
  { name: "Status", actions: ["status"] }
]

/** The whole catalogue; every registered action appears exactly once. */
export const CATALOG: ReadonlyArray<CatalogGroup> = GROUPS.map((group) => ({
  name: group.name,
  actions: group.actions.map((name): CatalogAction => {
    const action = actionNamed(name)
    if (action === undefined) throw new Error(`catalogue names unknown action ${name}`)
    return {
      name,
      title: action.title,
      summary: action.summary,
      icon: action.icon,
      controls: BOTH,
      fields: FIELDS[name] ?? []
    }
  })
}))

/** Registered actions the catalogue does not offer (the tests keep this empty). */
export const missingFromCatalog = (): ReadonlyArray<string> =>
  ACTIONS.map((a) => a.name).filter((name) => !GROUPS.some((g) => g.actions.includes(name)))
