/**
 * The daemon's own command lines (`deckcord`, `deckcord run`, with `--config` and
 * `--log-format`), recognised without the command-line framework: `main.ts` starts the daemon
 * straight away for them, and leaves every other command line (help, a typo, a subcommand) to
 * the full parser in `program.ts`, which gives the errors and the help. A test checks that
 * both read each command line this accepts the same way.
 */
export interface DaemonArgs {
  readonly config: string | undefined
  /** `LogFormat` of cli/logging.ts, spelled out: this module imports nothing. */
  readonly logFormat: "pretty" | "json"
}

const LOG_FORMATS: ReadonlyArray<string> = ["pretty", "json"]

/** The daemon's flags, or `undefined` when the full parser should read the command line. */
export const daemonArgs = (args: ReadonlyArray<string>): DaemonArgs | undefined => {
  const rest = args[0] === "run" ? args.slice(1) : args
  const values = new Map<string, string>()
  for (let i = 0; i < rest.length; i++) {
    const match = /^--(config|log-format)(?:=(.*))?$/.exec(rest[i]!)
    if (match === null) return undefined
    const [, name, inline] = match
    const value = inline ?? rest[++i]
    // a missing or flag-like value, or a flag given twice: the full parser says what is wrong
    if (value === undefined || value === "" || value.startsWith("-") || values.has(name!)) return undefined
    values.set(name!, value)
  }
  const logFormat = values.get("log-format") ?? "pretty"
  if (!LOG_FORMATS.includes(logFormat)) return undefined
  return { config: values.get("config"), logFormat: logFormat as DaemonArgs["logFormat"] }
}
