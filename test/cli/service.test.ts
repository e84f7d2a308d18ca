/**
 * `deckcord service`: the unit it writes and the systemctl calls it makes, against a fake
 * systemctl and a temp config home.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import {
  installService,
  serviceStatus,
  Systemctl,
  type SystemctlResult,
  UNIT_MARKER,
  uninstallService,
  unitFile,
  unitPath
} from "../../src/cli/service.ts"

const tempHome = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-service-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Records each call; answers from `answer` (default: success, no output). */
const fakeSystemctl = (answer: (args: ReadonlyArray<string>) => SystemctlResult = () => ({ code: 0, output: "" })) => {
  const calls: Array<string> = []
  const layer = Layer.succeed(
    Systemctl,
    Systemctl.of({ run: (args) => Effect.sync(() => (calls.push(args.join(" ")), answer(args))) })
  )
  return { calls, layer }
}

/** Console output of the command, kept off the test output. */
const quietConsole = Effect.acquireRelease(
  Effect.sync(() => {
    const printed: Array<string> = []
    const saved = { log: console.log, error: console.error }
    console.log = (...parts: Array<unknown>) => void printed.push(parts.map(String).join(" "))
    console.error = (...parts: Array<unknown>) => void printed.push(parts.map(String).join(" "))
    return { printed, saved }
  }),
  ({ saved }) => Effect.sync(() => Object.assign(console, saved))
).pipe(Effect.map(({ printed }) => printed))

const program = { node: "/opt/node 22/bin/node", script: "/home/me/deckcord/dist/main.js" }

describe("deckcord service", () => {
  it("the unit starts this node with this deckcord, restarts on failure, and starts at login", () => {
    const text = unitFile({ ...program, configPath: "/home/me/deck.json", logFormat: "json" })
    assert.isTrue(text.startsWith(UNIT_MARKER))
    assert.include(text, `ExecStart="/opt/node 22/bin/node" /home/me/deckcord/dist/main.js run --config /home/me/deck.json --log-format json`)
    assert.include(text, "Restart=on-failure")
    assert.include(text, "WantedBy=default.target")
    assert.strictEqual(unitPath({ XDG_CONFIG_HOME: "/x" }, "/home/me"), "/x/systemd/user/deckcord.service")
    assert.strictEqual(unitPath({}, "/home/me"), "/home/me/.config/systemd/user/deckcord.service")
  })

  it.live("install writes the unit and enables it; status reports it; uninstall removes it", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const printed = yield* quietConsole
      const context = { unit: unitPath({}, home), platform: "linux" }
      const systemctl = fakeSystemctl((args) => ({ code: 0, output: args[0] === "is-active" ? "active" : "enabled" }))
      const withFake = Effect.provide(Layer.merge(systemctl.layer, NodeServices.layer))

      yield* installService(context, program).pipe(withFake)
      assert.strictEqual(Fs.readFileSync(context.unit, "utf8"), unitFile(program))
      assert.deepStrictEqual(systemctl.calls, ["daemon-reload", "enable --now deckcord.service"])

      yield* serviceStatus(context).pipe(withFake)
      assert.match(printed.join("\n"), /enabled: +enabled\nrunning: +active/)

      // installing again updates the unit and restarts the running service
      systemctl.calls.length = 0
      yield* installService(context, { ...program, logFormat: "json" }).pipe(withFake)
      assert.include(Fs.readFileSync(context.unit, "utf8"), "--log-format json")
      assert.deepStrictEqual(systemctl.calls, ["daemon-reload", "enable --now deckcord.service", "restart deckcord.service"])

      systemctl.calls.length = 0
      yield* uninstallService(context).pipe(withFake)
      assert.isFalse(Fs.existsSync(context.unit))
      assert.deepStrictEqual(systemctl.calls, ["disable --now deckcord.service", "daemon-reload"])
    }))

  it.live("a unit someone wrote by hand is left alone, and a systemctl failure says what to run", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const printed = yield* quietConsole
      const context = { unit: unitPath({}, home), platform: "linux" }
      Fs.mkdirSync(Path.dirname(context.unit), { recursive: true })
      Fs.writeFileSync(context.unit, "[Service]\nExecStart=/usr/bin/node /mine.js\n")
      const systemctl = fakeSystemctl(() => ({ code: 1, output: "Failed to connect to bus: No medium found" }))
      const withFake = Effect.provide(Layer.merge(systemctl.layer, NodeServices.layer))

      const refused = yield* Effect.exit(installService(context, program).pipe(withFake))
      assert.isTrue(Exit.isFailure(refused))
      assert.strictEqual(Fs.readFileSync(context.unit, "utf8"), "[Service]\nExecStart=/usr/bin/node /mine.js\n")
      assert.isTrue(Exit.isFailure(yield* Effect.exit(uninstallService(context).pipe(withFake))))
      assert.isTrue(Fs.existsSync(context.unit))
      assert.deepStrictEqual(systemctl.calls, [])

      Fs.rmSync(context.unit)
      const failed = yield* Effect.exit(installService(context, program).pipe(withFake))
      assert.isTrue(Exit.isFailure(failed))
      assert.isTrue(Fs.existsSync(context.unit), "the unit is written even when systemd is not reachable")
      assert.include(printed.join("\n"), "Failed to connect to bus")
      assert.include(printed.join("\n"), "systemctl --user daemon-reload && systemctl --user enable --now deckcord.service")
    }))

  it.live("outside Linux it explains instead of writing anything", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      yield* quietConsole
      const context = { unit: unitPath({}, home), platform: "darwin" }
      const systemctl = fakeSystemctl()
      const exit = yield* Effect.exit(installService(context, program).pipe(Effect.provide(Layer.merge(systemctl.layer, NodeServices.layer))))
      assert.isTrue(Exit.isFailure(exit))
      assert.isFalse(Fs.existsSync(context.unit))
      assert.deepStrictEqual(systemctl.calls, [])
    }))
})
