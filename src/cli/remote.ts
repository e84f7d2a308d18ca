/**
 * The remote commands (`deckcord mute`, `status`, `watch`, …): a small client of the running
 * daemon's control API over its Unix socket. It imports nothing but Node, so a key binding
 * starts, sends one request and exits in about the time a bare `node` takes to start.
 *
 * Exit codes (documented in the README):
 * 0 done · 1 unexpected failure · 2 bad usage · 3 deckcord is not running ·
 * 4 Discord is not connected · 5 refused by Discord · 6 no such channel, sound, deck or key.
 *
 * @since 0.2.0
 */
import * as Http from "node:http"
import { controlSocketPath } from "../control/paths.ts"

export const EXIT = {
  done: 0,
  failed: 1,
  usage: 2,
  notRunning: 3,
  notConnected: 4,
  refused: 5,
  notFound: 6
} as const

export const NOT_RUNNING_MESSAGE =
  "deckcord is not running — start it with `deckcord` or `systemctl --user start deckcord`"

/** The subcommands handled here, before the daemon's CLI is even loaded. */
export const REMOTE_COMMANDS: ReadonlySet<string> = new Set([
  "mute",
  "deafen",
  "ptt",
  "input-mode",
  "join",
  "leave",
  "volume",
  "sound",
  "press",
  "status",
  "watch",
  "web"
])

export const isRemoteCommand = (args: ReadonlyArray<string>): boolean =>
  args[0] !== undefined && REMOTE_COMMANDS.has(args[0])

export interface RemoteIo {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Ends `watch` (tests); a real `watch` runs until the daemon goes away or it is killed. */
  readonly signal?: AbortSignal
  /** How long to wait for an answer (default `ANSWER_TIMEOUT_MILLIS`). */
  readonly answerTimeoutMillis?: number
}

const defaultIo: RemoteIo = {
  env: process.env,
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text)
}

const USAGE = `Commands for the running daemon:
  deckcord mute [toggle|on|off]          mute your microphone (default: toggle)
  deckcord deafen [toggle|on|off]        deafen (default: toggle)
  deckcord ptt start|stop                hold / release push-to-talk
  deckcord ptt --for 2s                  hold push-to-talk for a while (ms, s)
  deckcord input-mode [toggle|ptt|va]    push-to-talk or voice activity (default: toggle)
  deckcord join <id | "Server/Channel">  join a voice channel
  deckcord leave                         leave the voice channel
  deckcord volume input|output [+N|-N|N] change or set a volume; without a value, show it
  deckcord sound <name>                  play a soundboard sound
  deckcord press <serial|virtual> <key>  press a deck's key as the hardware would
                                         (key: 3, key:3 or dial:0; --down, --up, --turn N, --touch)
  deckcord status [--json]               connection, user, mute, deafen, mode, channel, decks
  deckcord watch [--json|--waybar]       one line per state change
  deckcord web                           print the web UI's address (with its token)
Exit codes: 0 done, 2 bad usage, 3 deckcord not running, 4 Discord not connected,
5 refused by Discord, 6 no such channel, sound, deck or key, 1 anything else.
`

// ---------------------------------------------------------------------------------------------
// argument parsing (pure)
// ---------------------------------------------------------------------------------------------

type Request =
  | { readonly kind: "action"; readonly action: Record<string, unknown> }
  | { readonly kind: "press"; readonly serial: string; readonly body: Record<string, unknown> }
  | { readonly kind: "status"; readonly json: boolean }
  | { readonly kind: "volume"; readonly which: "input" | "output" }
  | { readonly kind: "watch"; readonly format: "text" | "json" | "waybar" }
  | { readonly kind: "web" }
  | { readonly kind: "help" }

class UsageError extends Error {}

/** "2s", "1.5s", "500ms", "2" (seconds) → milliseconds. */
export const parseDuration = (text: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?)?$/.exec(text.trim())
  if (m === null) return undefined
  const value = Number(m[1])
  const millis = m[2] === "ms" ? value : value * 1000
  return Number.isFinite(millis) && millis >= 1 ? Math.round(millis) : undefined
}

const toggleOf = (word: string | undefined, what: string): "toggle" | "on" | "off" => {
  if (word === undefined || word === "toggle") return "toggle"
  if (word === "on" || word === "off") return word
  throw new UsageError(`${what} takes toggle, on or off, not "${word}"`)
}

/** Turn the arguments into one request, or throw a `UsageError` naming what is wrong. */
export const parseRemote = (args: ReadonlyArray<string>): Request => {
  const [command, ...rest] = args
  if (rest.includes("--help") || rest.includes("-h")) return { kind: "help" }
  const only = (max: number) => {
    if (rest.length > max) throw new UsageError(`${command}: unexpected "${rest.slice(max).join(" ")}"`)
  }
  switch (command) {
    case "mute":
    case "deafen":
      only(1)
      return { kind: "action", action: { _tag: command === "mute" ? "Mute" : "Deafen", mode: toggleOf(rest[0], command) } }
    case "ptt": {
      if (rest[0] === "start" || rest[0] === "stop") {
        only(1)
        return { kind: "action", action: { _tag: "PushToTalk", state: rest[0] } }
      }
      const forArg = rest[0] === "--for" ? rest[1] : rest[0]?.startsWith("--for=") ? rest[0].slice(6) : undefined
      if (forArg !== undefined) {
        only(rest[0] === "--for" ? 2 : 1)
        const millis = parseDuration(forArg)
        if (millis === undefined || millis > 600_000) throw new UsageError(`ptt --for: "${forArg}" is not a duration like 2s or 500ms (at most 10 minutes)`)
        return { kind: "action", action: { _tag: "PushToTalkFor", millis } }
      }
      throw new UsageError("ptt takes start, stop or --for <duration>")
    }
    case "input-mode": {
      only(1)
      const word = rest[0] ?? "toggle"
      const mode = word === "toggle"
        ? "toggle"
        : word === "ptt" || word === "push-to-talk"
        ? "push-to-talk"
        : word === "va" || word === "voice-activity"
        ? "voice-activity"
        : undefined
      if (mode === undefined) throw new UsageError(`input-mode takes toggle, ptt or va, not "${word}"`)
      return { kind: "action", action: { _tag: "InputMode", mode } }
    }
    case "join": {
      const channel = rest.join(" ").trim()
      if (channel === "") throw new UsageError("join needs a channel id or \"Server/Channel\"")
      return { kind: "action", action: { _tag: "Join", channel } }
    }
    case "leave":
      only(0)
      return { kind: "action", action: { _tag: "Leave" } }
    case "volume": {
      only(2)
      const which = rest[0]
      if (which !== "input" && which !== "output") throw new UsageError("volume takes input or output first")
      const value = rest[1]
      if (value === undefined) return { kind: "volume", which }
      const m = /^([+-]?)(\d{1,3})%?$/.exec(value)
      if (m === null) throw new UsageError(`volume ${which}: "${value}" is not +N, -N or N`)
      const n = Number(m[2])
      const max = which === "input" ? 100 : 200
      if (m[1] === "") {
        if (n > max) throw new UsageError(`volume ${which} is 0–${max}`)
        return { kind: "action", action: { _tag: "Volume", which, set: n } }
      }
      return { kind: "action", action: { _tag: "Volume", which, change: m[1] === "-" ? -n : n } }
    }
    case "sound": {
      const name = rest.join(" ").trim()
      if (name === "") throw new UsageError("sound needs a sound's name")
      return { kind: "action", action: { _tag: "Sound", name } }
    }
    case "press": {
      const [serial, key, ...flags] = rest
      if (serial === undefined || key === undefined) throw new UsageError("press needs a deck (serial or virtual) and a key")
      const m = /^(?:(key|dial|encoder):)?(\d{1,3})$/.exec(key)
      if (m === null) throw new UsageError(`press: "${key}" is not a key like 3, key:3 or dial:0`)
      const control = `${m[1] === undefined || m[1] === "key" ? "key" : "encoder"}:${m[2]}`
      let input = "press"
      let delta: number | undefined
      for (let i = 0; i < flags.length; i++) {
        const flag = flags[i]
        if (flag === "--down") input = "down"
        else if (flag === "--up") input = "up"
        else if (flag === "--touch") input = "touch"
        else if (flag === "--turn") {
          input = "rotate"
          delta = Number(flags[++i])
          if (!Number.isInteger(delta)) throw new UsageError("press --turn needs a whole number of detents, e.g. --turn -2")
        } else throw new UsageError(`press: unknown flag "${flag}"`)
      }
      return { kind: "press", serial, body: { control, input, ...(delta === undefined ? {} : { delta }) } }
    }
    case "status":
      if (rest.some((a) => a !== "--json")) throw new UsageError(`status: unexpected "${rest.join(" ")}"`)
      return { kind: "status", json: rest.includes("--json") }
    case "watch": {
      only(1)
      const flag = rest[0]
      if (flag !== undefined && flag !== "--json" && flag !== "--waybar") throw new UsageError(`watch: unknown flag "${flag}"`)
      return { kind: "watch", format: flag === "--json" ? "json" : flag === "--waybar" ? "waybar" : "text" }
    }
    case "web":
      only(0)
      return { kind: "web" }
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

// ---------------------------------------------------------------------------------------------
// transport
// ---------------------------------------------------------------------------------------------

interface Reply {
  readonly status: number
  readonly body: unknown
}

class NotRunning extends Error {}

/**
 * A daemon that accepts but never answers (stopped with SIGSTOP, wedged) must not hang a key
 * binding: an action's own deadline is 5 s plus Discord's reply time, so this is generous.
 */
export const ANSWER_TIMEOUT_MILLIS = 30_000

class NoAnswer extends Error {}

const request = (
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMillis = ANSWER_TIMEOUT_MILLIS
): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = Http.request({
      socketPath,
      method,
      path,
      headers: payload === undefined
        ? { host: "deckcord" }
        : { host: "deckcord", "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let parsed: unknown = text
        try {
          parsed = text === "" ? undefined : JSON.parse(text)
        } catch {
          // not JSON: keep the text for the error message
        }
        resolve({ status: res.statusCode ?? 0, body: parsed })
      })
      res.on("error", reject)
    })
    req.setTimeout(timeoutMillis, () => req.destroy(new NoAnswer(`deckcord did not answer within ${timeoutMillis / 1000} s`)))
    req.on("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "ENOTDIR" ? new NotRunning() : e))
    req.end(payload)
  })

const exitFor = (status: number): number =>
  status === 503 ? EXIT.notConnected : status === 409 ? EXIT.refused : status === 404 ? EXIT.notFound : status === 400 ? EXIT.usage : EXIT.failed

const failureText = (reply: Reply): string => {
  const body = reply.body as { message?: unknown; fix?: unknown } | undefined
  const message = typeof body?.message === "string" ? body.message : `the daemon answered ${reply.status}`
  return typeof body?.fix === "string" ? `${message}\n  fix: ${body.fix}` : message
}

// ---------------------------------------------------------------------------------------------
// output
// ---------------------------------------------------------------------------------------------

interface StatusView {
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

const watchLine = (s: StatusView): string => {
  const c = s.connection
  if (!c.live) return `Discord ${c.state === "Disconnected" ? `not connected: ${c.message ?? ""}` : pending(c.state)}`
  return [
    s.muted ? "muted" : "mic on",
    ...(s.deafened ? ["deafened"] : []),
    ...(s.inputMode === "push-to-talk" ? [s.talking ? "talking" : "push to talk"] : []),
    s.channel === null ? "no channel" : `in ${s.channel.name} (${s.channel.members.length})`
  ].join(", ")
}

// ---------------------------------------------------------------------------------------------
// watch: SSE over the socket
// ---------------------------------------------------------------------------------------------

const watch = (socketPath: string, format: "text" | "json" | "waybar", io: RemoteIo): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = Http.request({ socketPath, method: "GET", path: "/api/events", headers: { host: "deckcord", accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume()
        io.err(`watch: the daemon answered ${res.statusCode}\n`)
        return resolve(EXIT.failed)
      }
      let buffer = ""
      /** The waybar and text lines drop what they do not show (someone speaking): print only changes. */
      let last = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n")
          if (data === "") continue
          const event = JSON.parse(data) as { _tag: string; status?: StatusView }
          if (event._tag !== "Status" || event.status === undefined) continue
          const line = format === "json"
            ? JSON.stringify(event.status)
            : format === "waybar"
            ? waybarLine(event.status)
            : watchLine(event.status)
          if (line === last) continue
          last = line
          io.out(`${line}\n`)
        }
      })
      res.on("end", () => {
        if (io.signal?.aborted) return resolve(EXIT.done)
        if (format === "waybar") io.out(`${waybarNotRunningLine()}\n`)
        io.err("deckcord stopped\n")
        resolve(EXIT.notRunning)
      })
      res.on("error", () => resolve(io.signal?.aborted ? EXIT.done : EXIT.notRunning))
    })
    io.signal?.addEventListener("abort", () => req.destroy(), { once: true })
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (io.signal?.aborted) return resolve(EXIT.done)
      reject(e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "ENOTDIR" ? new NotRunning() : e)
    })
    req.end()
  })

/** Hand the address to the desktop's browser, where there is one; printing it is enough otherwise. */
const openInBrowser = (url: string) => {
  void import("node:child_process").then(({ spawn }) => {
    const child = spawn("xdg-open", [url], { detached: true, stdio: "ignore" })
    child.on("error", () => {}) // no xdg-open: the printed address is the way in
    child.unref()
  })
}

// ---------------------------------------------------------------------------------------------
// entry
// ---------------------------------------------------------------------------------------------

/** Run one remote command; resolves to its exit code. Never throws. */
export const runRemote = async (args: ReadonlyArray<string>, io: RemoteIo = defaultIo): Promise<number> => {
  let parsed: Request
  try {
    parsed = parseRemote(args)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.err(`deckcord: ${e.message}\n(see \`deckcord ${args[0] ?? ""} --help\`)\n`)
    return EXIT.usage
  }
  if (parsed.kind === "help") {
    io.out(USAGE)
    return EXIT.done
  }
  const socketPath = controlSocketPath(io.env)
  const timeout = io.answerTimeoutMillis ?? ANSWER_TIMEOUT_MILLIS
  try {
    switch (parsed.kind) {
      case "action": {
        const holds = parsed.action["_tag"] === "PushToTalkFor" ? Number(parsed.action["millis"]) : 0
        const reply = await request(socketPath, "POST", "/api/actions", parsed.action, timeout + holds)
        if (reply.status !== 200) {
          io.err(`deckcord: ${failureText(reply)}\n`)
          return exitFor(reply.status)
        }
        return EXIT.done
      }
      case "press": {
        const reply = await request(socketPath, "POST", `/api/decks/${encodeURIComponent(parsed.serial)}/press`, parsed.body, timeout)
        if (reply.status !== 200) {
          io.err(`deckcord: ${failureText(reply)}\n`)
          return exitFor(reply.status)
        }
        return EXIT.done
      }
      case "status":
      case "volume": {
        const reply = await request(socketPath, "GET", "/api/status", undefined, timeout)
        if (reply.status !== 200) {
          io.err(`deckcord: ${failureText(reply)}\n`)
          return exitFor(reply.status)
        }
        const status = reply.body as StatusView
        if (parsed.kind === "volume") {
          const value = parsed.which === "input" ? status.inputVolume : status.outputVolume
          if (value === null) {
            io.err("deckcord: the volume is not known yet (Discord is not connected)\n")
            return EXIT.notConnected
          }
          io.out(`${Math.round(value)}\n`)
          return EXIT.done
        }
        io.out(parsed.json ? `${JSON.stringify(status)}\n` : formatStatus(status))
        return EXIT.done
      }
      case "watch":
        return await watch(socketPath, parsed.format, io)
      case "web": {
        const reply = await request(socketPath, "GET", "/api/web", undefined, timeout)
        const url = (reply.body as { url?: unknown } | undefined)?.url
        if (reply.status !== 200 || typeof url !== "string") {
          io.err("deckcord: the web UI is off (\"web\": false in the config) or could not listen; see the daemon's log\n")
          return EXIT.failed
        }
        io.out(`${url}\n`)
        if (io.env["DISPLAY"] !== undefined || io.env["WAYLAND_DISPLAY"] !== undefined) openInBrowser(url)
        return EXIT.done
      }
    }
  } catch (e) {
    if (e instanceof NotRunning) {
      if (parsed.kind === "watch" && parsed.format === "waybar") io.out(`${waybarNotRunningLine()}\n`)
      io.err(`${NOT_RUNNING_MESSAGE}\n`)
      return EXIT.notRunning
    }
    io.err(`deckcord: ${e instanceof Error ? e.message : String(e)}\n`)
    return EXIT.failed
  }
}
