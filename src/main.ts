#!/usr/bin/env node
/**
 * The deckcord command. Remote commands for the running daemon (`deckcord mute`, `status`,
 * `watch`, …) are dispatched first to a client that loads only Node's http module, so a key
 * binding acts at once; everything else loads the full command line.
 */
import { isRemoteCommand, runRemote } from "./cli/remote.ts"

const args = process.argv.slice(2)
if (isRemoteCommand(args)) {
  process.exitCode = await runRemote(args)
} else {
  await import("./cli/program.ts")
}
