/**
 * What the remote commands print: `status` for people, `watch`'s lines, waybar's JSON, and
 * what is said when no daemon answers. Pure; imports nothing.
 *
 * @since 0.2.0
 */

export const NOT_RUNNING_MESSAGE =
  "deckcord is not running — start it with `deckcord` or `systemctl --user start deckcord`"

export interface StatusView {
  readonly connection: { readonly state: string; readonly live: boolean; readonly message?: string; readonly fix?: string }
  readonly user: { readonly name: string } | null
  readonly muted: boolean
  readonly deafened: boolean
  readonly inputMode: string | null
  readonly talking: boolean
  readonly inputVolume: number | null
  readonly outputVolume: number | null
  readonly channel: {
    readonly name: string
    readonly guildName: string | null
    readonly members: ReadonlyArray<{ readonly name: string; readonly selfMute: boolean; readonly selfDeaf: boolean; readonly speaking: boolean }>
  } | null
  readonly decks: ReadonlyArray<{ readonly serial: string; readonly productName: string; readonly virtual: boolean }>
  readonly deckAccess: { readonly ok: boolean; readonly message?: string; readonly fix?: string }
}

/** A connection on its way, in words: Ready but not yet synced is still "syncing". */
const pending = (state: string) => (state === "Ready" ? "syncing" : state.toLowerCase())

/** `status` for people. */
export const formatStatus = (s: StatusView): string => {
  const lines: Array<string> = []
  const c = s.connection
  if (c.live) lines.push(`Discord:    connected${s.user === null ? "" : ` as ${s.user.name}`}`)
  else if (c.state === "Disconnected") {
    lines.push(`Discord:    not connected — ${c.message ?? "unknown reason"}`)
    if (c.fix !== undefined) lines.push(`            fix: ${c.fix}`)
  } else lines.push(`Discord:    ${pending(c.state)}…`)
  // without a live connection the voice fields are defaults, not Discord's word: say so
  if (!c.live) lines.push("Microphone: unknown until Discord is connected")
  else {
    lines.push(`Microphone: ${s.muted ? "muted" : "on"}${s.inputVolume === null ? "" : ` (${Math.round(s.inputVolume)}%)`}`)
    lines.push(`Sound:      ${s.deafened ? "deafened" : "on"}${s.outputVolume === null ? "" : ` (${Math.round(s.outputVolume)}%)`}`)
  }
  if (c.live && s.inputMode !== null) {
    lines.push(`Input mode: ${s.inputMode === "push-to-talk" ? `push to talk${s.talking ? " (talking)" : ""}` : "voice activity"}`)
  }
  if (s.channel === null) lines.push("Channel:    none")
  else {
    const where = s.channel.guildName === null ? s.channel.name : `${s.channel.guildName} / ${s.channel.name}`
    lines.push(`Channel:    ${where}`)
    for (const m of s.channel.members) {
      const flags = [m.speaking ? "speaking" : "", m.selfDeaf ? "deafened" : m.selfMute ? "muted" : ""].filter((f) => f !== "")
      lines.push(`            ${m.name}${flags.length > 0 ? ` (${flags.join(", ")})` : ""}`)
    }
  }
  if (s.decks.length === 0) lines.push("Decks:      none")
  for (const [i, d] of s.decks.entries()) {
    lines.push(`${i === 0 ? "Decks:      " : "            "}${d.productName} ${d.serial}${d.virtual ? " (virtual)" : ""}`)
  }
  if (!s.deckAccess.ok) lines.push(`            USB: ${s.deckAccess.message ?? ""}${s.deckAccess.fix ? `\n            fix: ${s.deckAccess.fix}` : ""}`)
  return `${lines.join("\n")}\n`
}

/** One line for a status bar: waybar's custom-module JSON (`text`, `alt`, `class`, `tooltip`). */
export const waybarLine = (s: StatusView): string => {
  const state = !s.connection.live ? "offline" : s.deafened ? "deafened" : s.muted ? "muted" : "on"
  const tooltip = !s.connection.live
    ? `Discord: ${s.connection.message ?? s.connection.state}`
    : `${s.muted ? "Muted" : "Mic on"}${s.deafened ? ", deafened" : ""}${s.channel === null ? "" : ` — ${s.channel.name}`}`
  return JSON.stringify({ text: state, alt: state, class: state, tooltip })
}

/** What the bar shows while no daemon answers: waybar reads stdout only, so say it there too. */
export const waybarNotRunningLine = (): string =>
  JSON.stringify({ text: "offline", alt: "offline", class: "offline", tooltip: NOT_RUNNING_MESSAGE })

export const watchLine = (s: StatusView): string => {
  const c = s.connection
  if (!c.live) return `Discord ${c.state === "Disconnected" ? `not connected: ${c.message ?? ""}` : pending(c.state)}`
  return [
    s.muted ? "muted" : "mic on",
    ...(s.deafened ? ["deafened"] : []),
    ...(s.inputMode === "push-to-talk" ? [s.talking ? "talking" : "push to talk"] : []),
    s.channel === null ? "no channel" : `in ${s.channel.name} (${s.channel.members.length})`
  ].join(", ")
}
