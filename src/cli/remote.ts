/**
 * The remote commands (`deckcord mute`, `status`, `watch`, …): a small client of the running
 * daemon's control API over its Unix socket. It imports nothing but Node, so a key binding
 * starts, sends one request and exits in about the time a bare `node` takes to start. Its
 * arguments are read in `remoteArgs.ts`, its output worded in `remoteOutput.ts` (both pure).
 *
 * Exit codes (documented in the README):
 * 0 done · 1 unexpected failure · 2 bad usage · 3 deckcord is not running ·
 * 4 Discord is not connected · 5 refused by Discord · 6 no such channel, sound, deck or key.
 *
 * @since 0.2.0
 */
import * as Http from "node:http"
import { controlSocketPath } from "../control/paths.ts"
import { commandName, localizeCommands } from "./invocation.ts"
import { parseRemote, type Request, UsageError } from "./remoteArgs.ts"
import { formatStatus, notRunningMessage, type StatusView, usageText, waybarLine, waybarNotRunningLine, watchLine } from "./remoteOutput.ts"

export const EXIT = {
  done: 0,
  failed: 1,
  usage: 2,
  notRunning: 3,
  notConnected: 4,
  refused: 5,
  notFound: 6
} as const

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
  /** How messages name the deckcord command; by default as this process was started (`commandName`). */
  readonly command?: string
}

const defaultIo: RemoteIo = {
  env: process.env,
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text)
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
// watch: SSE over the socket
// ---------------------------------------------------------------------------------------------

const watch = (socketPath: string, format: "text" | "json" | "waybar", io: RemoteIo, command: () => string): Promise<number> =>
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
        if (format === "waybar") io.out(`${waybarNotRunningLine(command())}\n`)
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
  // looked up only for a message that names a command (it reads the file system)
  let name: string | undefined
  const command = () =>
    name ??= io.command ?? commandName({ argv: process.argv, cwd: process.cwd(), pathVariable: io.env["PATH"] })
  const failure = (reply: Reply) => localizeCommands(failureText(reply), command())
  let parsed: Request
  try {
    parsed = parseRemote(args)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.err(`deckcord: ${e.message}\n${localizeCommands(`(see \`deckcord ${args[0] ?? ""} --help\`)`, command())}\n`)
    return EXIT.usage
  }
  if (parsed.kind === "help") {
    io.out(usageText(command()))
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
          io.err(`deckcord: ${failure(reply)}\n`)
          return exitFor(reply.status)
        }
        return EXIT.done
      }
      case "press": {
        const reply = await request(socketPath, "POST", `/api/decks/${encodeURIComponent(parsed.serial)}/press`, parsed.body, timeout)
        if (reply.status !== 200) {
          io.err(`deckcord: ${failure(reply)}\n`)
          return exitFor(reply.status)
        }
        return EXIT.done
      }
      case "status":
      case "volume": {
        const reply = await request(socketPath, "GET", "/api/status", undefined, timeout)
        if (reply.status !== 200) {
          io.err(`deckcord: ${failure(reply)}\n`)
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
        return await watch(socketPath, parsed.format, io, command)
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
      if (parsed.kind === "watch" && parsed.format === "waybar") io.out(`${waybarNotRunningLine(command())}\n`)
      io.err(`${notRunningMessage(command())}\n`)
      return EXIT.notRunning
    }
    io.err(`deckcord: ${e instanceof Error ? e.message : String(e)}\n`)
    return EXIT.failed
  }
}
