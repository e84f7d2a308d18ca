/**
 * Log output for the daemon: concise human lines by default, JSON lines for log collectors.
 * Commands quoted in messages (`deckcord auth`) are said the way this process was started.
 *
 * @since 0.1.0
 */
import { Cause, Layer, Logger, type LogLevel, References } from "effect"
import { commandName, localizeCommands } from "./invocation.ts"

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

const isLoud = (level: LogLevel.LogLevel) => level === "Error" || level === "Fatal" || level === "Warn"

/** `12:03:04 WARN  message` — one line per entry, the cause's first lines below when there is one. */
export const conciseLogger = Logger.make<unknown, void>(({ cause, date, logLevel, message }) => {
  const parts = Array.isArray(message) ? message : [message]
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`
  let line = `${time} ${logLevel.toUpperCase().padEnd(5)} ${parts.map(render).join(" ")}`
  if (cause.reasons.length > 0) line += `\n  ${Cause.pretty(cause).split("\n").slice(0, 6).join("\n  ")}`
  const stream = isLoud(logLevel) ? process.stderr : process.stdout
  stream.write(line + "\n")
})

/**
 * For commands that talk to a person step by step (`deckcord auth`): no timestamps or levels
 * between the prompts, only `! message` for a problem and `· message` for anything else.
 */
export const wizardLogger = Logger.make<unknown, void>(({ cause, logLevel, message }) => {
  const parts = Array.isArray(message) ? message : [message]
  let line = `${isLoud(logLevel) ? "!" : "·"} ${parts.map(render).join(" ")}`
  if (cause.reasons.length > 0) line += `\n  ${Cause.pretty(cause).split("\n").slice(0, 3).join("\n  ")}`
  process.stderr.write(line + "\n")
})

/** A logger whose string messages quote commands as `name` runs them. */
export const localized = <Output>(logger: Logger.Logger<unknown, Output>, name: string): Logger.Logger<unknown, Output> =>
  name === "deckcord" ? logger : Logger.make((options) => {
    const message = Array.isArray(options.message)
      ? options.message.map((m: unknown) => (typeof m === "string" ? localizeCommands(m, name) : m))
      : typeof options.message === "string"
      ? localizeCommands(options.message, name)
      : options.message
    return logger.log({ ...options, message })
  })

/**
 * The logger for a format. The level comes from the CLI's global `--log-level` unless given
 * here (setting it here would override that flag).
 */
export const loggingLayer = (format: LogFormat, level?: LogLevel.LogLevel, name = commandName()): Layer.Layer<never> => {
  const logger = Logger.layer([localized(format === "json" ? Logger.consoleJson : conciseLogger, name)])
  return level === undefined ? logger : Layer.mergeAll(logger, Layer.succeed(References.MinimumLogLevel, level))
}

/** The logger for a wizard-style command; `level` as for `loggingLayer`. */
export const wizardLoggingLayer = (level?: LogLevel.LogLevel, name = commandName()): Layer.Layer<never> => {
  const logger = Logger.layer([localized(wizardLogger, name)])
  return level === undefined ? logger : Layer.mergeAll(logger, Layer.succeed(References.MinimumLogLevel, level))
}
