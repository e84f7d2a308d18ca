/**
 * What the remote commands print: `status` for people, `watch`'s lines, waybar's JSON, and
 * what is said when no daemon answers, and the help. Pure. Commands are named as the user
 * started this one (`node dist/main.js mute`, not a `deckcord` that is not installed).
 *
 * @since 0.2.0
 */
import { localizeCommands } from "./invocation.ts"

const NOT_RUNNING_MESSAGE =
  "deckcord is not running — start it with `deckcord` or `systemctl --user start deckcord`"

/** What is said when no daemon answers; `command` is how deckcord was started (`commandName`). */
export const notRunningMessage = (command: string): string => localizeCommands(NOT_RUNNING_MESSAGE, command)

/** The remote commands: what follows the command's name, and what it does. */
const USAGE_ROWS: ReadonlyArray<readonly [string, string]> = [
  ["mute [toggle|on|off]", "mute your microphone (default: toggle)"],
  ["deafen [toggle|on|off]", "deafen (default: toggle)"],
  ["ptt start|stop", "hold / release push-to-talk"],
  ["ptt --for 2s", "hold push-to-talk for a while (ms, s)"],
  ["input-mode [toggle|ptt|va]", "push-to-talk or voice activity (default: toggle)"],
  ["join <id | \"Server/Channel\">", "join a voice channel"],
  ["leave", "leave the voice channel"],
  ["volume input|output [+N|-N|N]", "change or set a volume; without a value, show it"],
  ["sound <name>", "play a soundboard sound"],
  ["press <serial|virtual> <key>", "press a deck's key as the hardware would\n(key: 3, key:3 or dial:0; --down, --up, --turn N, --touch)"],
  ["status [--json]", "connection, user, mute, deafen, mode, channel, decks"],
  ["watch [--json|--waybar]", "one line per state change"],
  ["web", "print the web UI's address (with its token)"]
]

/** `deckcord <command> --help`, in columns that fit the command's name as it was started. */
export const usageText = (command: string): string => {
  const width = Math.max(...USAGE_ROWS.map(([args]) => args.length))
  const indent = " ".repeat(2 + command.length + 1 + width + 1)
  const rows = USAGE_ROWS.map(([args, what]) => `  ${command} ${args.padEnd(width)} ${what.split("\n").join(`\n${indent}`)}`)
  return `Commands for the running daemon:
${rows.join("\n")}
Exit codes: 0 done, 2 bad usage, 3 deckcord not running, 4 Discord not connected,
5 refused by Discord, 6 no such channel, sound, deck or key, 1 anything else.
`
}

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
export const waybarNotRunningLine = (command: string): string =>
  JSON.stringify({ text: "offline", alt: "offline", class: "offline", tooltip: notRunningMessage(command) })

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
