/**
 * Log output for the daemon: concise human lines by default, JSON lines for log collectors.
 *
 * @since 0.1.0
 */
import { Cause, Layer, Logger, type LogLevel, References } from "effect"

export type LogFormat = "pretty" | "json"

const pad2 = (n: number) => String(n).padStart(2, "0")

const render = (part: unknown): string => {
  if (typeof part === "string") return part
  if (part instanceof Error) return part.message
  try {
    return JSON.stringify(part)
  } catch {
    return String(part)
  }
}

/** `12:03:04 WARN  message` — one line per entry, the cause's first lines below when there is one. */
export const conciseLogger = Logger.make<unknown, void>(({ cause, date, logLevel, message }) => {
  const parts = Array.isArray(message) ? message : [message]
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`
  let line = `${time} ${logLevel.toUpperCase().padEnd(5)} ${parts.map(render).join(" ")}`
  if (cause.reasons.length > 0) line += `\n  ${Cause.pretty(cause).split("\n").slice(0, 6).join("\n  ")}`
  const stream = logLevel === "Error" || logLevel === "Fatal" || logLevel === "Warn" ? process.stderr : process.stdout
  stream.write(line + "\n")
})

/**
 * The logger for a format. The level comes from the CLI's global `--log-level` unless given
 * here (setting it here would override that flag).
 */
export const loggingLayer = (format: LogFormat, level?: LogLevel.LogLevel): Layer.Layer<never> => {
  const logger = Logger.layer([format === "json" ? Logger.consoleJson : conciseLogger])
  return level === undefined ? logger : Layer.mergeAll(logger, Layer.succeed(References.MinimumLogLevel, level))
}
