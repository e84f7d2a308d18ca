/**
 * The daemon's flags for the full command-line parser (`program.ts`); `daemonArgs.ts` reads
 * the same flags without the framework, and a test keeps the two in agreement.
 */
import { Flag } from "effect/cli"

export const daemonFlags = {
  config: Flag.String("config").pipe(
    Flag.withDescription("the config file (default: $DECKCORD_CONFIG, else ~/.config/deckcord/config.json)"),
    Flag.optional
  ),
  logFormat: Flag.Literals("log-format", ["pretty", "json"]).pipe(
    Flag.withDescription("log lines for people (pretty) or for log collectors (json)"),
    Flag.withDefault("pretty" as const)
  )
}
