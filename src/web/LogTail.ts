/**
 * The last few hundred log lines, kept in memory for the web UI's live log tail. A logger
 * added beside the daemon's own writes each entry here; the Status page reads the recent ones
 * and then follows new ones. Bounded: the oldest entries are dropped.
 *
 * @since 0.1.0
 */
import { Cause, Context, Effect, Layer, Logger, Queue, Stream } from "effect"

/** One log line as the browser shows it. */
export interface LogEntry {
  /** Increasing per entry: the page resumes after the last one it saw. */
  readonly seq: number
  /** ISO time. */
  readonly time: string
  readonly level: string
  readonly message: string
}

/** How many lines the tail keeps: a screenful of history, never unbounded. */
export const LOG_TAIL_CAPACITY = 500
/** A line longer than this is cut: one pasted blob must not fill the page. */
const MAX_LINE = 2_000

/**
 * The web UI's address is logged with its access token; the page shows the log (and people
 * share screenshots of it), so the token is cut from every line the tail keeps.
 */
export const redactTokens = (line: string): string => line.replace(/([?&]token=)[^\s&#]+/g, "$1…")

const render = (part: unknown): string => {
  if (typeof part === "string") return part
  if (part instanceof Error) return part.message
  try {
    return JSON.stringify(part)
  } catch {
    return String(part)
  }
}

export class LogTail extends Context.Service<LogTail, {
  /** The kept entries, oldest first. */
  readonly recent: Effect.Effect<ReadonlyArray<LogEntry>>
  /** The kept entries, then every new one as it is logged. */
  readonly follow: Stream.Stream<LogEntry>
  /** Add an entry (the logger does this; tests may too). */
  readonly append: (level: string, message: string) => void
}>()("deckcord/web/LogTail") {
  /**
   * The tail and a logger feeding it, added to the loggers already installed: provide it
   * around the daemon so every fiber's log lines reach it.
   */
  static readonly layer: Layer.Layer<LogTail> = Layer.unwrap(
    Effect.sync(() => {
      const tail = makeLogTail()
      const logger = Logger.make<unknown, void>(({ cause, date, logLevel, message }) => {
        const parts = Array.isArray(message) ? message : [message]
        let text = parts.map(render).join(" ")
        if (cause.reasons.length > 0) text += `\n${Cause.pretty(cause).split("\n").slice(0, 6).join("\n")}`
        tail.appendAt(date, logLevel, text)
      })
      return Layer.mergeAll(Layer.succeed(LogTail, tail.service), Logger.layer([logger], { mergeWithExisting: true }))
    })
  )

  /** A tail with no logger attached (tests, embedding). */
  static readonly layerDetached: Layer.Layer<LogTail> = Layer.sync(LogTail, () => makeLogTail().service)
}

function makeLogTail() {
  const entries: Array<LogEntry> = []
  const listeners = new Set<(entry: LogEntry) => void>()
  let seq = 0
  const appendAt = (date: Date, level: string, message: string) => {
    const text = redactTokens(message)
    const entry: LogEntry = {
      seq: ++seq,
      time: date.toISOString(),
      level,
      message: text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text
    }
    entries.push(entry)
    if (entries.length > LOG_TAIL_CAPACITY) entries.splice(0, entries.length - LOG_TAIL_CAPACITY)
    for (const listener of listeners) listener(entry)
  }
  const follow = Stream.callback<LogEntry>(
    (queue) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          // history first, then live entries; registering in the same tick misses nothing
          for (const entry of entries) Queue.offerUnsafe(queue, entry)
          const listener = (entry: LogEntry) => void Queue.offerUnsafe(queue, entry)
          listeners.add(listener)
          return listener
        }),
        (listener) => Effect.sync(() => listeners.delete(listener))
      ),
    // a reader that stops reading loses old lines, never the daemon's memory
    { bufferSize: LOG_TAIL_CAPACITY, strategy: "sliding" }
  )
  return {
    appendAt,
    service: LogTail.of({
      recent: Effect.sync(() => [...entries]),
      follow,
      append: (level, message) => appendAt(new Date(), level, message)
    })
  }
}
