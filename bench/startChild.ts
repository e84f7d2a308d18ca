/**
 * Child process for the start benchmark: connect to the fake at argv[2], authenticate, and
 * report how long after process start the client was Ready (performance.now() counts from
 * the process's time origin).
 */
import { readyRuntime } from "./setup.ts"

const socketPath = process.argv[2]
if (socketPath === undefined) throw new Error("usage: startChild <socketPath>")
const loaded = performance.now()
await readyRuntime(socketPath)
process.stdout.write(`${JSON.stringify({ loadedMillis: loaded, readyMillis: performance.now() })}\n`)
process.exit(0)
