#!/usr/bin/env node
/**
 * The deckcord command. Remote commands for the running daemon (`deckcord mute`, `status`,
 * `watch`, …) are dispatched first to a client that loads only Node's http module, so a key
 * binding acts at once; the daemon's own command lines start it without loading the
 * command-line framework; everything else loads the full command line.
 */
import { daemonArgs } from "./cli/daemonArgs.ts"
import { isRemoteCommand, runRemote } from "./cli/remote.ts"

const args = process.argv.slice(2)
const daemon = daemonArgs(args)
if (isRemoteCommand(args)) {
  process.exitCode = await runRemote(args)
} else if (daemon !== undefined) {
  ;(await import("./cli/daemon.ts")).main(daemon)
} else {
  await import("./cli/program.ts")
}
