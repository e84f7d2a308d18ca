/**
 * The control socket, `$XDG_RUNTIME_DIR/deckcord/control.sock`: the Unix-socket transport of
 * the control server, mode 0600 in a 0700 directory, and the daemon's single-instance lock (a
 * live socket means another daemon runs; a socket nobody answers on was left by a crash and is
 * replaced).
 *
 * @since 0.2.0
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Schema } from "effect"
import * as Fs from "node:fs"
import { createServer } from "node:http"
import * as Net from "node:net"
import * as Path from "node:path"

/** Another daemon answers on the control socket. */
export class DaemonAlreadyRunning extends Schema.TaggedError<DaemonAlreadyRunning>()("DaemonAlreadyRunning", {
  socketPath: Schema.String
}) {
  override get message(): string {
    return `deckcord is already running (it answers on ${this.socketPath}); stop it first ` +
      "(`systemctl --user stop deckcord`, or Ctrl-C where it runs)"
  }
}

/** The control socket cannot be made (a foreign or too-open directory, an unwritable path). */
export class ControlSocketError extends Schema.TaggedError<ControlSocketError>()("ControlSocketError", {
  socketPath: Schema.String,
  message: Schema.String,
  /** What the user does about it. */
  fix: Schema.String
}) {}

/** Does something accept connections there? Refused or missing means a crash left the file. */
export const socketAnswers = (socketPath: string) =>
  Effect.callback<boolean>((resume) => {
    const probe = Net.connect({ path: socketPath })
    probe.once("connect", () => {
      probe.destroy()
      resume(Effect.succeed(true))
    })
    probe.once("error", () => resume(Effect.succeed(false)))
    return Effect.sync(() => probe.destroy())
  })

/** lstat that answers undefined for a missing path: a link is never followed. */
const lstatIfAny = (path: string): Fs.Stats | undefined => {
  try {
    return Fs.lstatSync(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw e
  }
}

const kindOf = (stat: Fs.Stats): string =>
  stat.isSymbolicLink() ? "a symbolic link" :
  stat.isDirectory() ? "a directory" :
  stat.isFile() ? "a regular file" :
  stat.isFIFO() ? "a named pipe" :
  "not a socket"

const ELSEWHERE = "or point $DECKCORD_CONTROL_SOCKET or $XDG_RUNTIME_DIR elsewhere"

/** The directories `controlSocketPath` makes for deckcord: `…/deckcord` and `…/deckcord-<uid>`. */
const isOwnSocketDirectory = (dir: string): boolean => /^deckcord(-\d+)?$/.test(Path.basename(dir))

/**
 * mkdir -m 0700 (ours only), refuse a live socket, remove a stale one. Nothing is followed
 * through a link and nothing but a socket is removed: the path may be the user's own file.
 */
export const prepareSocketPath = (socketPath: string) =>
  Effect.gen(function*() {
    const dir = Path.dirname(socketPath)
    const fail = (message: string, fix: string) => new ControlSocketError({ socketPath, message, fix })
    const inspect = (path: string) =>
      Effect.try({ try: () => lstatIfAny(path), catch: (e) => fail(String(e), `check ${path}, ${ELSEWHERE}`) })
    const refuseLink = (stat: Fs.Stats | undefined) =>
      stat?.isSymbolicLink() === true
        ? Effect.fail(fail(
          `${dir} is a symbolic link; the control socket's directory must be a real directory of your own`,
          `remove the link (rm ${dir}) and start deckcord again, ${ELSEWHERE}`
        ))
        : Effect.void
    // before mkdir, which would follow a link to a directory and accept it
    yield* refuseLink(yield* inspect(dir))
    yield* Effect.try({
      try: () => Fs.mkdirSync(dir, { recursive: true, mode: 0o700 }),
      catch: (e) => fail(String(e), `fix the directory, ${ELSEWHERE}`)
    })
    const stat = yield* inspect(dir)
    yield* refuseLink(stat) // made a link in between
    if (stat === undefined || !stat.isDirectory()) {
      return yield* fail(`${dir} is ${stat === undefined ? "missing" : kindOf(stat)}, not a directory`, `remove it, ${ELSEWHERE}`)
    }
    const uid = process.getuid?.()
    if (uid !== undefined && stat.uid !== uid) {
      return yield* fail(`${dir} belongs to another user`, `remove it, ${ELSEWHERE}`)
    }
    // only deckcord's own directory is closed to others; a directory named by
    // $DECKCORD_CONTROL_SOCKET (/tmp, a shared folder) is not ours to change, and the socket
    // itself is 0600 either way
    if ((stat.mode & 0o077) !== 0 && isOwnSocketDirectory(dir)) Fs.chmodSync(dir, 0o700)
    const existing = yield* inspect(socketPath)
    if (existing === undefined) return
    if (!existing.isSocket()) {
      return yield* fail(
        `${socketPath} exists and is ${kindOf(existing)}, not deckcord's control socket; deckcord leaves it alone`,
        `move it away, ${ELSEWHERE}`
      )
    }
    if (yield* socketAnswers(socketPath)) return yield* new DaemonAlreadyRunning({ socketPath })
    yield* Effect.logInfo(`removing a stale control socket left by a previous run: ${socketPath}`)
    yield* Effect.try({
      try: () => Fs.rmSync(socketPath, { force: true }),
      catch: (e) => fail(String(e), `remove ${socketPath} yourself, ${ELSEWHERE}`)
    })
  })

/** Shutdown must not wait for open event streams (they end first) or for slow clients. */
export const GRACEFUL_SHUTDOWN = "1 second"

/** The control socket as an `HttpServer`, 0600. Node removes the file when it closes. */
export const unixServer = (socketPath: string) =>
  Effect.gen(function*() {
    yield* prepareSocketPath(socketPath)
    const server = yield* NodeHttpServer.make(() => createServer(), {
      path: socketPath,
      gracefulShutdownTimeout: GRACEFUL_SHUTDOWN
    }).pipe(
      Effect.catchTag("ServeError", (e) =>
        // two daemons starting at the same moment: the loser finds the address taken
        /EADDRINUSE/.test(String(e.cause)) ? Effect.fail(new DaemonAlreadyRunning({ socketPath })) : Effect.die(e))
    )
    Fs.chmodSync(socketPath, 0o600)
    return server
  })
