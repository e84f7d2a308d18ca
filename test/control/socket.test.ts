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
import { controlledDaemonLayer } from "../../src/layers/ControlledDaemon.ts"
import { FakeDeckProvider } from "../../src/testing/FakeDeck.ts"
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
})
