/**
 * The deck layout: which action, with which options, sits on which key or dial. It lives in
 * the config file's `decks` field, per deck serial or `"*"` for every other deck; a deck with
 * no layout gets a default built from its shape (key and dial counts), never its model name.
 *
 * `decodeLayout` is pure and its errors name the JSON path; `layoutFor` resolves the layout of
 * one deck and reports bindings that do not fit it (checked when the deck appears).
 *
 * Over 400 lines because it is one decoder with its error messages: the binding, page and
 * navigation rules share the path and problem vocabulary, and the defaults and `layoutFor`
 * produce the same `Layout` it decodes.
 *
 * @since 0.1.0
 */
import { Result, Schema, SchemaIssue } from "effect"
import {
  ACTION_NAMES,
  actionNamed,
  type AnyActionDef,
  deafen,
  HOME_PAGE,
  page as pageAction,
  inputDevice,
  inputMode,
  inputVolume,
  leaveCall,
  MAX_DELAY_MILLIS,
  multi,
  type MultiStep,
  mute,
  outputDevice,
  outputVolume,
  pushToTalk,
  status,
  userVolume,
  voiceProcessing
} from "./actions/index.ts"
import type { DeckInfo } from "../deck/Deck.ts"
import { ICON_NAMES, type IconName } from "../face/Face.ts"
import type { ConfigCheck } from "../config/Config.ts"
import { SCOPE_EXTRAS, type ScopeExtra } from "../protocol/Scopes.ts"

export { SCOPE_EXTRAS }

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/** One control's binding: an action with its decoded options and the user's face overrides. */
export interface Binding {
  readonly action: AnyActionDef
  /** Decoded by `action.options`. */
  readonly options: unknown
  readonly label?: string
  readonly icon?: IconName
  readonly background?: string
  readonly foreground?: string
  /** A picture file for the key (as written: relative to the config file's folder). */
  readonly image?: string
  /** A picture per state: `on` while the action's state is on (muted, in the channel, …). */
  readonly images?: { readonly on?: string; readonly off?: string }
}

/** The bindings of one page: keys and dials by index. */
export interface PageLayout {
  readonly keys: ReadonlyMap<number, Binding>
  readonly encoders: ReadonlyMap<number, Binding>
}

/** One deck: its own keys and dials (the home page) and further pages by name. */
export interface DeckLayout extends PageLayout {
  readonly pages: ReadonlyMap<string, PageLayout>
}

/** The whole `decks` field: deck layouts by serial, `"*"` for any deck without its own. */
export interface Layout {
  readonly decks: ReadonlyMap<string, DeckLayout>
}

/** The layout entry that applies to every deck without its own. */
export const ANY_DECK = "*"

/** An empty layout: every deck gets its default. */
export const EMPTY_LAYOUT: Layout = { decks: new Map() }

/** The layout is invalid; `message` has one line per problem, each naming its JSON path. */
export class LayoutError extends Schema.TaggedError<LayoutError>()("LayoutError", {
  message: Schema.String,
  /** The same problems, one per entry (`at ["decks"]["*"]["keys"]["4"]["channel"]: …`). */
  problems: Schema.Array(Schema.String)
}) {}

// ---------------------------------------------------------------------------------------------
// decoding
// ---------------------------------------------------------------------------------------------

/** `["a"][0]`, the way config errors show a JSON path. */
const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((k) => (typeof k === "number" ? `[${k}]` : `[${JSON.stringify(String(k))}]`)).join("")

const MAX_SHOWN_VALUE = 60 // a pasted blob must not flood the log line

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > MAX_SHOWN_VALUE ? `${text.slice(0, MAX_SHOWN_VALUE)}…` : text
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const lowerFirst = (s: string): string => (s.length === 0 ? s : s[0]!.toLowerCase() + s.slice(1))

/** Fields every binding may carry besides its action's options. */
const COMMON_FIELDS = ["action", "label", "icon", "background", "foreground", "image", "images"] as const
const IMAGE_FILE = /\.(?:png|jpe?g|svg)$/i
const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/
const INDEX = /^(0|[1-9]\d{0,3})$/
const PAGE_FIELDS = ["keys", "encoders"] as const
const DECK_FIELDS = [...PAGE_FIELDS, "pages"] as const

const formatStandard = SchemaIssue.makeFormatterStandardSchemaV1()

const optionNames = (action: AnyActionDef): ReadonlyArray<string> => {
  const fields = (action.options as { readonly fields?: Readonly<Record<string, unknown>> }).fields
  return fields === undefined ? [] : Object.keys(fields)
}

const decodeBinding = (
  raw: unknown,
  path: ReadonlyArray<PropertyKey>,
  problems: Array<string>,
  inStep = false
): Binding | undefined => {
  const at = (p: ReadonlyArray<PropertyKey>) => `at ${formatPath(p)}`
  const entry: unknown = typeof raw === "string" ? { action: raw } : raw
  if (!isRecord(entry)) {
    problems.push(`${at(path)}: expected an action name or { "action": … }, got ${show(raw)}`)
    return undefined
  }
  const name = entry["action"]
  if (typeof name !== "string") {
    problems.push(`${at([...path, "action"])}: missing action; one of ${ACTION_NAMES.join(", ")}`)
    return undefined
  }
  const action = actionNamed(name)
  if (action === undefined) {
    // the shorthand "3": "mutee" has no "action" key to point at
    const where = typeof raw === "string" ? path : [...path, "action"]
    problems.push(`${at(where)}: unknown action ${show(name)}; valid actions: ${ACTION_NAMES.join(", ")}`)
    return undefined
  }
  let ok = true
  const { background, foreground, icon, label } = entry
  if (label !== undefined && typeof label !== "string") {
    problems.push(`${at([...path, "label"])}: expected a string, got ${show(label)}`)
    ok = false
  }
  if (icon !== undefined && !(ICON_NAMES as ReadonlyArray<unknown>).includes(icon)) {
    problems.push(`${at([...path, "icon"])}: unknown icon ${show(icon)}; icons: ${ICON_NAMES.join(", ")}`)
    ok = false
  }
  for (const [key, value] of [["background", background], ["foreground", foreground]] as const) {
    if (value !== undefined && !(typeof value === "string" && HEX_COLOR.test(value))) {
      problems.push(`${at([...path, key])}: expected a colour like "#5865f2", got ${show(value)}`)
      ok = false
    }
  }
  if (inStep) {
    for (const key of COMMON_FIELDS) {
      if (key !== "action" && entry[key] !== undefined) {
        problems.push(`${at([...path, key])}: a step has no face of its own; put "${key}" on the multi-action itself`)
        ok = false
      }
    }
  }
  const imageFile = (value: unknown, where: ReadonlyArray<PropertyKey>) => {
    if (value === undefined) return
    if (!(typeof value === "string" && value.trim() !== "" && IMAGE_FILE.test(value))) {
      problems.push(`${at(where)}: expected a .png, .jpg or .svg file (relative to the config file's folder), got ${show(value)}`)
      ok = false
    }
  }
  imageFile(entry["image"], [...path, "image"])
  const images = entry["images"]
  if (images !== undefined) {
    if (!isRecord(images) || Object.keys(images).length === 0) {
      problems.push(`${at([...path, "images"])}: expected { "on": "muted.png", "off": "live.png" }, got ${show(images)}`)
      ok = false
    } else {
      for (const [key, value] of Object.entries(images)) {
        if (key !== "on" && key !== "off") {
          problems.push(`${at([...path, "images", key])}: unknown state; "on" and "off" are allowed here`)
          ok = false
        } else imageFile(value, [...path, "images", key])
      }
    }
  }
  const rawOptions = Object.fromEntries(
    Object.entries(entry).filter(([k]) => !(COMMON_FIELDS as ReadonlyArray<string>).includes(k))
  )
  if (action === multi) {
    const options = decodeMultiOptions(rawOptions, path, problems)
    return options === undefined || !ok ? undefined : withFace({ action, options }, entry)
  }
  const decoded = Schema.decodeUnknownResult(action.options)(rawOptions, { errors: "all", onExcessProperty: "error" })
  if (Result.isFailure(decoded)) {
    const names = optionNames(action)
    for (const issue of formatStandard(decoded.failure.issue).issues) {
      const sub = (issue.path ?? []).map((p) => (typeof p === "object" && p !== null ? p.key : p))
      const full = [...path, ...sub]
      const first = sub[0]
      const value = first === undefined ? undefined : rawOptions[String(first)]
      if (issue.message === "Expected no excess property") {
        problems.push(
          `${at(full)}: unknown option for "${name}"; ` +
            (names.length === 0 ? "it takes no options" : `its options: ${names.join(", ")}`) +
            ` (and label, icon, background, foreground)`
        )
      } else if (issue.message === "Missing key") {
        problems.push(`${at(full)}: "${name}" needs this option`)
      } else {
        problems.push(`${at(full)}: ${lowerFirst(issue.message)}${first === undefined ? "" : `, got ${show(value)}`}`)
      }
    }
    return undefined
  }
  if (!ok) return undefined
  return withFace({ action, options: decoded.success }, entry)
}

/** A binding with the user's face overrides (already checked) from its entry. */
const withFace = (binding: Binding, { background, foreground, icon, image, images, label }: Record<string, unknown>): Binding => ({
  ...binding,
  ...(typeof image === "string" ? { image } : {}),
  ...(isRecord(images) ? { images: images as Binding["images"] & object } : {}),
  ...(typeof label === "string" ? { label } : {}),
  ...(typeof icon === "string" ? { icon: icon as IconName } : {}),
  ...(typeof background === "string" ? { background } : {}),
  ...(typeof foreground === "string" ? { foreground } : {})
})

const MULTI_FIELDS = ["steps", "then"] as const

/**
 * A multi-action's `steps` (and `then`, for a toggle): each an action binding, by name or
 * `{ "action": … }`, or `{ "delay": ms }`. A step may not be a multi-action (list its steps
 * instead) nor a page (navigating ends the page whose key is running the sequence).
 */
const decodeMultiOptions = (
  raw: Record<string, unknown>,
  path: ReadonlyArray<PropertyKey>,
  problems: Array<string>
): { steps: ReadonlyArray<MultiStep>; then?: ReadonlyArray<MultiStep> } | undefined => {
  const before = problems.length
  for (const key of Object.keys(raw)) {
    if (!(MULTI_FIELDS as ReadonlyArray<string>).includes(key)) {
      problems.push(`at ${formatPath([...path, key])}: unknown option for "multi"; its options: steps, then (and label, icon, background, foreground)`)
    }
  }
  const sequence = (field: "steps" | "then"): ReadonlyArray<MultiStep> | undefined => {
    const list = raw[field]
    const at = [...path, field]
    if (list === undefined) {
      if (field === "steps") problems.push(`at ${formatPath(at)}: "multi" needs this option, a list of steps like [ "mute", { "delay": 200 }, "deafen" ]`)
      return undefined
    }
    if (!Array.isArray(list) || list.length === 0) {
      problems.push(`at ${formatPath(at)}: expected a list of at least one step, like [ "mute", { "delay": 200 } ], got ${show(list)}`)
      return undefined
    }
    const steps: Array<MultiStep> = []
    for (const [index, item] of list.entries()) {
      const stepPath = [...at, index]
      if (isRecord(item) && "delay" in item) {
        const extra = Object.keys(item).filter((k) => k !== "delay")
        const millis = item["delay"]
        if (extra.length > 0) {
          problems.push(`at ${formatPath([...stepPath, extra[0]!])}: a delay step has only "delay" (milliseconds)`)
        } else if (typeof millis !== "number" || !Number.isInteger(millis) || millis < 0 || millis > MAX_DELAY_MILLIS) {
          problems.push(`at ${formatPath([...stepPath, "delay"])}: expected whole milliseconds from 0 to ${MAX_DELAY_MILLIS}, got ${show(millis)}`)
        } else {
          steps.push({ _tag: "Delay", millis })
        }
        continue
      }
      const binding = decodeBinding(item, stepPath, problems, true)
      if (binding === undefined) continue
      const where = typeof item === "string" ? stepPath : [...stepPath, "action"]
      if (binding.action === multi) {
        problems.push(`at ${formatPath(where)}: a step cannot be a multi-action itself; list its steps here instead`)
      } else if (binding.action === pageAction) {
        problems.push(`at ${formatPath(where)}: a step cannot turn the page (that ends the page running the steps); use a page key beside it`)
      } else {
        steps.push({ _tag: "Run", action: binding.action, options: binding.options })
      }
    }
    return steps
  }
  const steps = sequence("steps")
  const then = sequence("then")
  if (problems.length > before || steps === undefined) return undefined
  return then === undefined ? { steps } : { steps, then }
}

const decodeControls = (
  raw: unknown,
  path: ReadonlyArray<PropertyKey>,
  what: string,
  problems: Array<string>
): Map<number, Binding> => {
  const out = new Map<number, Binding>()
  if (raw === undefined) return out
  if (!isRecord(raw)) {
    problems.push(`at ${formatPath(path)}: expected an object of ${what} by index, like { "0": { "action": "mute" } }, got ${show(raw)}`)
    return out
  }
  for (const [index, value] of Object.entries(raw)) {
    if (!INDEX.test(index)) {
      problems.push(`at ${formatPath([...path, index])}: ${what} are numbered from 0 (top-left, row by row); got ${show(index)}`)
      continue
    }
    const binding = decodeBinding(value, [...path, index], problems)
    if (binding !== undefined) out.set(Number(index), binding)
  }
  return out
}

/** A page's `keys` and `encoders`, warning about any other field but `allowed` ones. */
const decodePage = (
  entry: Record<string, unknown>,
  path: ReadonlyArray<PropertyKey>,
  allowed: ReadonlyArray<string>,
  problems: Array<string>
): PageLayout => {
  for (const key of Object.keys(entry)) {
    if (!allowed.includes(key)) {
      problems.push(`at ${formatPath([...path, key])}: unknown key; ${allowed.map((f) => `"${f}"`).join(", ")} are allowed here`)
    }
  }
  return {
    keys: decodeControls(entry["keys"], [...path, "keys"], "keys", problems),
    encoders: decodeControls(entry["encoders"], [...path, "encoders"], "encoders", problems)
  }
}

const decodePages = (raw: unknown, path: ReadonlyArray<PropertyKey>, problems: Array<string>): Map<string, PageLayout> => {
  const pages = new Map<string, PageLayout>()
  if (raw === undefined) return pages
  if (!isRecord(raw)) {
    problems.push(`at ${formatPath(path)}: expected pages by name, like { "sounds": { "keys": { … } } }, got ${show(raw)}`)
    return pages
  }
  for (const [name, entry] of Object.entries(raw)) {
    if (name === HOME_PAGE || name.trim() === "") {
      problems.push(`at ${formatPath([...path, name])}: a page needs a name other than ${show(name)} ("${HOME_PAGE}" is the deck's own keys)`)
    } else if (!isRecord(entry)) {
      problems.push(`at ${formatPath([...path, name])}: expected { "keys": { … }, "encoders": { … } }, got ${show(entry)}`)
    } else {
      pages.set(name, decodePage(entry, [...path, name], PAGE_FIELDS, problems))
    }
  }
  return pages
}

const pageBindings = (page: PageLayout, path: ReadonlyArray<PropertyKey>) =>
  (["keys", "encoders"] as const).flatMap((field) =>
    [...page[field]].map(([index, binding]) => ({ binding, path: [...path, field, String(index)] }))
  )

/** Every `page` key must lead to a page that exists, and every page must have a way off it. */
const checkNavigation = (
  home: PageLayout,
  pages: ReadonlyMap<string, PageLayout>,
  path: ReadonlyArray<PropertyKey>,
  problems: Array<string>
) => {
  const names = [HOME_PAGE, ...pages.keys()]
  const check = (page: PageLayout, pagePath: ReadonlyArray<PropertyKey>, self: string) => {
    let exits = 0
    for (const { binding, path: at } of pageBindings(page, pagePath)) {
      if (binding.action !== pageAction) continue
      const target = (binding.options as { readonly page: string }).page
      if (!names.includes(target)) {
        problems.push(`at ${formatPath([...at, "page"])}: no page ${show(target)}; pages: ${names.join(", ")}`)
      } else if (target !== self) exits++
    }
    return exits
  }
  check(home, path, HOME_PAGE)
  for (const [name, page] of pages) {
    if (check(page, [...path, "pages", name], name) === 0) {
      problems.push(
        `at ${formatPath([...path, "pages", name])}: nothing on this page leads off it; ` +
          `add a key like { "action": "page", "page": "${HOME_PAGE}" }`
      )
    }
  }
}

/**
 * Layouts decoded so far, by the `decks` value they came from. A config version is one
 * immutable value handed from the settings to everyone who reads it, so the check at load,
 * the controller and the scope policy all get the one decode of that version.
 */
const decoded = new WeakMap<object, Result.Result<Layout, LayoutError>>()

/**
 * Decode the config file's `decks` field (`undefined`: no layouts, every deck gets its default).
 * Paths in the errors start at `["decks"]`, as the user sees the file. The value is treated
 * as immutable: the same object decodes once.
 */
export const decodeLayout = (decks: unknown): Result.Result<Layout, LayoutError> => {
  if (decks === undefined || decks === null) return Result.succeed(EMPTY_LAYOUT)
  if (typeof decks !== "object") return decodeLayoutNow(decks)
  let result = decoded.get(decks)
  if (result === undefined) decoded.set(decks, result = decodeLayoutNow(decks))
  return result
}

/**
 * The layout check for the config file (`decodeConfig`, `Settings`): an invalid layout makes
 * the whole file invalid, so deckcord refuses to start on it and a reload keeps the last
 * valid file, each with the layout's own messages.
 */
export const checkLayout: ConfigCheck = (config) => {
  const layout = decodeLayout(config.decks)
  return Result.isFailure(layout) ? layout.failure.problems : []
}

const decodeLayoutNow = (decks: unknown): Result.Result<Layout, LayoutError> => {
  const root = ["decks"]
  const problems: Array<string> = []
  const out = new Map<string, DeckLayout>()
  if (!isRecord(decks)) {
    problems.push(`at ["decks"]: expected an object of deck layouts by serial (or "*" for any deck), got ${show(decks)}`)
  } else {
    for (const [serial, entry] of Object.entries(decks)) {
      const path = [...root, serial]
      if (!isRecord(entry)) {
        problems.push(`at ${formatPath(path)}: expected { "keys": { … }, "encoders": { … } }, got ${show(entry)}`)
        continue
      }
      const home = decodePage(entry, path, DECK_FIELDS, problems)
      const pages = decodePages(entry["pages"], [...path, "pages"], problems)
      checkNavigation(home, pages, path, problems)
      out.set(serial, { ...home, pages })
    }
  }
  if (problems.length > 0) return Result.fail(new LayoutError({ message: problems.join("\n"), problems }))
  return Result.succeed({ decks: out })
}

// ---------------------------------------------------------------------------------------------
// defaults (from the deck's shape)
// ---------------------------------------------------------------------------------------------

const bind = (action: AnyActionDef, options: unknown = {}): Binding => ({ action, options })

/**
 * What a deck's display keys show by default, most useful first: a 6-key deck gets the first
 * row, a 15-key deck all of it. Only base-scope actions (camera and screen share need extra
 * OAuth scopes, docs/discord-rpc.md#scopes-per-command), and none that needs an id from the user.
 */
export const DEFAULT_KEYS: ReadonlyArray<Binding> = [
  bind(mute),
  bind(deafen),
  bind(inputMode),
  bind(pushToTalk),
  bind(leaveCall),
  bind(status),
  bind(inputVolume, { step: -10 }),
  bind(inputVolume, { step: 10 }),
  bind(outputVolume, { step: -10 }),
  bind(outputVolume, { step: 10 }),
  bind(inputDevice),
  bind(outputDevice),
  bind(voiceProcessing, { feature: "noise-suppression" }),
  bind(voiceProcessing, { feature: "echo-cancellation" }),
  bind(voiceProcessing, { feature: "automatic-gain-control" })
]
/** Keys that light up in one colour (Neo touch keys): state lights. */
export const DEFAULT_COLOR_KEYS: ReadonlyArray<Binding> = [bind(mute), bind(deafen)]
/** Keys without any display (Pedal): what a foot is for. */
export const DEFAULT_BLIND_KEYS: ReadonlyArray<Binding> = [bind(pushToTalk), bind(mute), bind(deafen)]
/** Dials, left to right. */
export const DEFAULT_ENCODERS: ReadonlyArray<Binding> = [bind(userVolume), bind(outputVolume), bind(inputVolume)]

/** The default layout for a deck's shape. */
export const defaultLayout = (deck: DeckInfo): DeckLayout => {
  const keys = new Map<number, Binding>()
  const lists = { lcd: [...DEFAULT_KEYS], rgb: [...DEFAULT_COLOR_KEYS], none: [...DEFAULT_BLIND_KEYS] }
  for (const key of [...deck.keys].sort((a, b) => a.index - b.index)) {
    const next = lists[key.feedback].shift()
    if (next !== undefined) keys.set(key.index, next)
  }
  const encoders = new Map<number, Binding>()
  const dials = [...DEFAULT_ENCODERS]
  for (const encoder of [...deck.encoders].sort((a, b) => a.index - b.index)) {
    const next = dials.shift()
    if (next !== undefined) encoders.set(encoder.index, next)
  }
  return { keys, encoders, pages: new Map() }
}

// ---------------------------------------------------------------------------------------------
// resolving a deck's layout
// ---------------------------------------------------------------------------------------------

/** A deck's layout with only bindings that fit it, and messages for those that did not. */
export interface ResolvedLayout {
  /** Where it came from: the deck's serial, `"*"`, or `"default"`. */
  readonly source: string
  readonly keys: ReadonlyMap<number, Binding>
  readonly encoders: ReadonlyMap<number, Binding>
  /** Further pages by name, filtered to this deck's controls like the home page. */
  readonly pages: ReadonlyMap<string, PageLayout>
  /** One line per ignored binding, naming its path and the deck's real controls. */
  readonly problems: ReadonlyArray<string>
}

const describeRange = (count: number, what: string) =>
  count === 0 ? `it has no ${what}` : `it has ${what} 0–${count - 1}`

/** The layout that applies to a deck: its own, else `"*"`, else the default for its shape. */
export const layoutFor = (deck: DeckInfo, layout: Layout): ResolvedLayout => {
  const own = layout.decks.get(deck.serial)
  const any = layout.decks.get(ANY_DECK)
  const source = own !== undefined ? deck.serial : any !== undefined ? ANY_DECK : "default"
  const chosen = own ?? any ?? defaultLayout(deck)
  const problems: Array<string> = []
  const filter = (
    bindings: ReadonlyMap<number, Binding>,
    exists: (index: number) => boolean,
    path: ReadonlyArray<PropertyKey>,
    field: "keys" | "encoders",
    count: number
  ) => {
    const out = new Map<number, Binding>()
    for (const [index, binding] of bindings) {
      if (exists(index)) out.set(index, binding)
      else {
        problems.push(
          `at ${formatPath([...path, field, String(index)])}: ${deck.productName} (${deck.serial}) has no ` +
            `${field === "keys" ? "key" : "dial"} ${index}; ${describeRange(count, field === "keys" ? "keys" : "dials")}. ` +
            `Ignoring this binding.`
        )
      }
    }
    return out
  }
  const fit = (page: PageLayout, path: ReadonlyArray<PropertyKey>): PageLayout => ({
    keys: filter(page.keys, (i) => deck.keys.some((k) => k.index === i), path, "keys", deck.keys.length),
    encoders: filter(page.encoders, (i) => deck.encoders.some((e) => e.index === i), path, "encoders", deck.encoders.length)
  })
  const path = ["decks", source]
  const pages = new Map([...chosen.pages].map(([name, page]) => [name, fit(page, [...path, "pages", name])] as const))
  return { source, ...fit(chosen, path), pages, problems }
}

const extrasOf = (pages: Iterable<PageLayout>): ReadonlyArray<ScopeExtra> => {
  const extras = new Set<ScopeExtra>()
  for (const page of pages) {
    for (const binding of [...page.keys.values(), ...page.encoders.values()]) {
      for (const scope of binding.action.scopes ?? []) extras.add(scope)
      for (const scope of binding.action.scopesFor?.(binding.options) ?? []) extras.add(scope)
    }
  }
  return SCOPE_EXTRAS.filter((s) => extras.has(s))
}

/**
 * Extra OAuth scopes the layout needs (camera → "video", screen share → "screenshare"), to
 * pass to `requiredScopes` so the daemon asks for them at authorization (docs/discord-rpc.md#scopes-per-command).
 * With `decks`, only bindings those decks actually have count: a camera key on a key the
 * deck lacks is ignored, so it must not cost an authorization prompt either.
 */
export const scopeExtrasFor = (
  layout: Layout,
  decks?: ReadonlyArray<DeckInfo>
): ReadonlyArray<ScopeExtra> =>
  decks === undefined
    ? extrasOf([...layout.decks.values()].flatMap((deck) => [deck, ...deck.pages.values()]))
    : extrasOf(decks.flatMap((deck) => {
      const fitted = layoutFor(deck, layout)
      return [fitted, ...fitted.pages.values()]
    }))
