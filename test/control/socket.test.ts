/**
 * The control socket: its file mode is the gate (another user is refused), it is the
 * single-instance lock (a second daemon refuses to start before touching Discord), and a
 * socket left by a crash is replaced.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { spawn, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { prepareSocketPath } from "../../src/control/Server.ts"
import { controlledDaemonLayer } from "../../src/layers/ControlledDaemon.ts"
import { FakeDeckProvider } from "../../src/testing/index.ts"
import { captureLogs } from "../support/effects.ts"
import { startDaemon } from "./harness.ts"

const quiet = Effect.provide([NodeServices.layer, captureLogs().layer])

/** A Node one-liner that connects to a socket and prints "connected" or the error code. */
const PROBE = `require("net").connect(process.argv[1]).on("connect",()=>{console.log("connected");process.exit(0)}).on("error",(e)=>{console.log(e.code);process.exit(0)})`

const setprivWorks = process.getuid?.() === 0 &&
  spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]).status === 0

describe("the control socket", () => {
  it.live("is 0600 in a 0700 directory", () =>
    Effect.gen(function*() {
      const h = yield* startDaemon({ web: false })
      expect(Fs.statSync(h.socketPath).mode & 0o777).toBe(0o600)
      expect(Fs.statSync(Path.dirname(h.socketPath)).mode & 0o777).toBe(0o700)
      expect(Fs.statSync(h.socketPath).isSocket()).toBe(true)
    }).pipe(Effect.scoped, quiet, Effect.timeout("20 seconds")))

  it.live.skipIf(!setprivWorks)("refuses another user: the file mode is the gate", () =>
    Effect.gen(function*() {
      const h = yield* startDaemon({ web: false })
      // the temp directories above it are 0700 too: open them up so only the socket's own mode decides
      for (let dir = Path.dirname(h.socketPath); dir.startsWith(h.dir); dir = Path.dirname(dir)) Fs.chmodSync(dir, 0o755)
      Fs.chmodSync(Path.dirname(h.socketPath), 0o711) // traversable: the socket's 0600 alone refuses
      const asNobody = (path: string) =>
        spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", PROBE, path], {
          encoding: "utf8"
        }).stdout.trim()
      expect(asNobody(h.socketPath)).toBe("EACCES")
      // the same probe as the owner connects, so the refusal is the mode and nothing else
      expect(spawnSync(process.execPath, ["-e", PROBE, h.socketPath], { encoding: "utf8" }).stdout.trim()).toBe("connected")
      Fs.chmodSync(h.socketPath, 0o666)
      expect(asNobody(h.socketPath)).toBe("connected")
      Fs.chmodSync(h.socketPath, 0o600)
    }).pipe(Effect.scoped, quiet, Effect.timeout("20 seconds")))

  it.live("is the single-instance lock: a second daemon refuses before it touches Discord or a deck", () =>
    Effect.gen(function*() {
      const h = yield* startDaemon({ web: false })
      yield* h.live
      const handshakes = (yield* h.fake.handshakes).length
      const providers = yield* Layer.build(FakeDeckProvider.layer({ decks: [{ model: "mini", serial: "SECONDDECK01" }] }))
      const second = yield* Layer.build(controlledDaemonLayer({
        configPath: Path.join(h.dir, "config.json"),
        tokenPath: Path.join(h.dir, "tokens.json"),
        socketPath: h.socketPath,
        deckProvider: Layer.succeedContext(providers)
      })).pipe(Effect.exit)
      expect(Exit.isFailure(second)).toBe(true)
      if (Exit.isFailure(second)) {
        expect(String(second.cause)).toContain("DaemonAlreadyRunning")
      }
      const [deck] = yield* FakeDeckProvider.use((p) => p.decks).pipe(Effect.provide(Layer.succeedContext(providers)))
      expect(deck!.opens).toBe(0)
      expect((yield* h.fake.handshakes).length).toBe(handshakes)
      // and the first one still answers
      expect((yield* h.cli("status", "--json")).code).toBe(0)
    }).pipe(Effect.scoped, quiet, Effect.timeout("20 seconds")))

  it.live("a stale socket left by a crash is removed and bound again", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-stale-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const socketPath = Path.join(dir, "deckcord", "control.sock")
      Fs.mkdirSync(Path.dirname(socketPath), { mode: 0o700 })
      // a process that listens, then dies without cleaning up
      yield* Effect.promise(() =>
        new Promise<void>((resolve) => {
          const child = spawn(process.execPath, [
            "-e",
            `require("net").createServer().listen(process.argv[1], () => process.kill(process.pid, "SIGKILL"))`,
            socketPath
          ])
          child.on("exit", () => resolve())
        })
      )
      expect(Fs.existsSync(socketPath)).toBe(true)
      const h = yield* startDaemon({ web: false, socketPath })
      expect(h.socketPath).toBe(socketPath)
      yield* h.live
      expect((yield* h.cli("status", "--json")).code).toBe(0)
    }).pipe(Effect.scoped, quiet, Effect.timeout("20 seconds")))

  it.live("a regular file where the socket goes is left alone, and the daemon refuses to start", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-notasocket-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const file = Path.join(dir, "control.sock")
      Fs.writeFileSync(file, "precious\n")
      const error = yield* Effect.flip(prepareSocketPath(file))
      expect(error._tag).toBe("ControlSocketError")
      expect(error.message).toContain(`${file} exists and is a regular file`)
      expect(Fs.readFileSync(file, "utf8")).toBe("precious\n")
    }).pipe(Effect.scoped, quiet, Effect.timeout("20 seconds")))

  it.live("deckcord closes its own socket directory to others, never a directory it was pointed into", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-modes-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const own = Path.join(dir, "deckcord")
      Fs.mkdirSync(own)
      Fs.chmodSync(own, 0o777)
      yield* prepareSocketPath(Path.join(own, "control.sock"))
      expect(Fs.statSync(own).mode & 0o777).toBe(0o700)
      // $DECKCORD_CONTROL_SOCKET=/some/shared/dir/x.sock: the socket is 0600, the folder is the user's
      const shared = Path.join(dir, "shared")
      Fs.mkdirSync(shared)
      Fs.chmodSync(shared, 0o755)
      yield* prepareSocketPath(Path.join(shared, "x.sock"))
      expect(Fs.statSync(shared).mode & 0o777).toBe(0o755)
    }).pipe(Effect.scoped, quiet, Effect.timeout("20 seconds")))

  it.live("a symbolic link as the socket's directory is refused, and its target keeps its mode", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-linked-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const target = Path.join(dir, "elsewhere")
      Fs.mkdirSync(target)
      Fs.chmodSync(target, 0o755)
      Fs.symlinkSync(target, Path.join(dir, "deckcord"))
      const error = yield* Effect.flip(prepareSocketPath(Path.join(dir, "deckcord", "control.sock")))
      expect(error._tag).toBe("ControlSocketError")
      expect(error.message).toContain(`${Path.join(dir, "deckcord")} is a symbolic link`)
      expect(Fs.statSync(target).mode & 0o777).toBe(0o755)
      expect(Fs.readdirSync(target)).toEqual([])
    }).pipe(Effect.scoped, quiet, Effect.timeout("20 seconds")))

  it("the command exits 2 naming the file and the fix, and the file survives", { timeout: 30_000 }, () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-notasocket-cli-"))
    try {
      const runtime = Path.join(dir, "run")
      Fs.mkdirSync(Path.join(runtime, "deckcord"), { recursive: true, mode: 0o700 })
      const file = Path.join(runtime, "deckcord", "control.sock")
      Fs.writeFileSync(file, "precious\n")
      Fs.mkdirSync(Path.join(dir, "config", "deckcord"), { recursive: true })
      Fs.writeFileSync(Path.join(dir, "config", "deckcord", "config.json"), JSON.stringify({ clientId: "112233445566778899", web: false }))
      const run = spawnSync(process.execPath, [Path.join(import.meta.dirname, "..", "..", "src", "main.ts")], {
        encoding: "utf8",
        timeout: 20_000, // a daemon that starts anyway runs until killed: fail instead of hanging
        env: {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          XDG_CONFIG_HOME: Path.join(dir, "config"),
          XDG_STATE_HOME: Path.join(dir, "state"),
          XDG_RUNTIME_DIR: runtime,
          DECKCORD_FAKE_DECKS: "none"
        }
      })
      expect(run.status, run.stdout + run.stderr).toBe(2)
      expect(run.stderr).toContain(`${file} exists and is a regular file`)
      expect(run.stderr).toMatch(/move it away, or point \$DECKCORD_CONTROL_SOCKET/)
      expect(Fs.readFileSync(file, "utf8")).toBe("precious\n")
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
