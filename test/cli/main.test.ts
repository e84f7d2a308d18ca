/**
 * The command line as a user starts it: a child process running `src/main.ts` (Node ≥ 22.18
 * runs TypeScript directly, see README → Supported Node versions). Checks what only the whole
 * process shows: exit codes on signals, what reaches the terminal, and how commands are named.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { commandName, localizeCommands } from "../../src/cli/invocation.ts"

const MAIN = Path.join(import.meta.dirname, "..", "..", "src", "main.ts")

interface Run {
  readonly child: ChildProcess.ChildProcess
  readonly output: () => { readonly stdout: string; readonly stderr: string }
  /** Resolves once stdout or stderr has printed a line matching `pattern`. */
  readonly printed: (pattern: RegExp) => Promise<void>
  readonly exited: Promise<number | null>
}

const start = (args: ReadonlyArray<string>, env: Record<string, string>): Run => {
  assert.isTrue(
    (process.features as { typescript?: unknown }).typescript !== undefined,
    `these tests run src/main.ts directly, which needs Node ≥ 22.18 (this is ${process.version})`
  )
  const child = ChildProcess.spawn(process.execPath, [MAIN, ...args], {
    cwd: Path.join(import.meta.dirname, "..", ".."),
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = []
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pattern.test(stdout) || w.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    }
  }
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString()
    check()
  })
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
    check()
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return {
    child,
    output: () => ({ stdout, stderr }),
    printed: (pattern) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, resolve })
        check()
        void exited.then(() => reject(new Error(`exited before printing ${pattern}:\n${stdout}\n${stderr}`)))
      }),
    exited
  }
}

/** A home of its own: no config, no Discord, no decks that matter. */
const sandbox = () => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-cli-"))
  const env = {
    HOME: dir,
    XDG_CONFIG_HOME: Path.join(dir, "config"),
    XDG_STATE_HOME: Path.join(dir, "state"),
    XDG_RUNTIME_DIR: Path.join(dir, "run"),
    TMPDIR: Path.join(dir, "tmp")
  }
  Fs.mkdirSync(env.XDG_RUNTIME_DIR)
  Fs.mkdirSync(env.TMPDIR)
  return { dir, env, cleanup: () => Fs.rmSync(dir, { recursive: true, force: true }) }
}

const configure = (env: { XDG_CONFIG_HOME: string }, config: unknown) => {
  const file = Path.join(env.XDG_CONFIG_HOME, "deckcord", "config.json")
  Fs.mkdirSync(Path.dirname(file), { recursive: true })
  Fs.writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config), { mode: 0o600 })
  return file
}

describe("the deckcord command", { timeout: 30_000 }, () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`a ${signal} stops the daemon cleanly with exit code 0`, async () => {
      const { env, cleanup } = sandbox()
      try {
        configure(env, { clientId: "112233445566778899", clientSecret: "s" })
        const run = start([], env)
        await run.printed(/waiting for Discord/)
        run.child.kill(signal)
        assert.strictEqual(await run.exited, 0, JSON.stringify(run.output()))
      } finally {
        cleanup()
      }
    })
  }

  it("the daemon serves the web UI and the control API once it runs (loaded after the decks and Discord)", async () => {
    const { env, cleanup } = sandbox()
    try {
      configure(env, { clientId: "112233445566778899", clientSecret: "s", web: { host: "127.0.0.1", port: 0 } })
      const run = start([], { ...env, DECKCORD_FAKE_DECKS: "none" })
      await run.printed(/web UI: http:\/\/\S+/)
      const url = new URL(/web UI: (http:\/\/\S+)/.exec(run.output().stdout + run.output().stderr)![1]!)
      const token = url.searchParams.get("token")!
      const headers = { "x-deckcord-token": token }
      const page = await fetch(new URL("/", url), { headers })
      assert.strictEqual(page.status, 200)
      assert.include(await page.text(), "<html")
      const status = await fetch(new URL("/api/status", url), { headers })
      assert.strictEqual(status.status, 200)
      assert.property((await status.json()) as object, "connection")
      run.child.kill("SIGTERM")
      assert.strictEqual(await run.exited, 0)
    } finally {
      cleanup()
    }
  })

  it("with --log-format json, refusing to start is a JSON line too", async () => {
    const { env, cleanup } = sandbox()
    try {
      configure(env, { clientId: "abc" })
      const run = start(["--log-format", "json"], env)
      assert.strictEqual(await run.exited, 2)
      const { stdout, stderr } = run.output()
      const lines = (stdout + stderr).split("\n").filter((l) => l.trim() !== "")
      assert.isAbove(lines.length, 0)
      const entries = lines.map((l) => JSON.parse(l) as { message: unknown; level: string; annotations: { fix?: string } })
      const refusal = entries.find((e) => String(e.message).includes("deckcord cannot start"))
      assert.isDefined(refusal)
      assert.include(String(refusal!.message), `at ["clientId"]`)
      assert.strictEqual(refusal!.annotations.fix, "fix the config file, then start deckcord again")
    } finally {
      cleanup()
    }
  })

  it("a bad flag value prints the error and where to read more, not the whole help", async () => {
    const { env, cleanup } = sandbox()
    try {
      const run = start(["--log-format", "xml"], env)
      const code = await run.exited
      const { stdout, stderr } = run.output()
      assert.strictEqual(code, 2, "bad usage exits 2, as the README's exit-code table says")
      assert.include(stderr, `Invalid value for flag --log-format: "xml"`)
      assert.include(stderr, "--help` for the flags")
      assert.notInclude(stdout + stderr, "SUBCOMMANDS")
    } finally {
      cleanup()
    }
  })

  it("an unknown command or flag is bad usage too: exit 2, and --help is not an error", async () => {
    const { env, cleanup } = sandbox()
    try {
      for (const args of [["bogus"], ["doctor", "--bogus"]]) {
        const run = start(args, env)
        assert.strictEqual(await run.exited, 2, args.join(" "))
      }
      assert.strictEqual(await start(["--help"], env).exited, 0)
    } finally {
      cleanup()
    }
  })

  it("auth shows no raw log lines between its own messages", async () => {
    const { env, cleanup } = sandbox()
    try {
      const run = start(["auth"], env) // no terminal, no config: it must say what to pass
      assert.strictEqual(await run.exited, 2)
      const { stdout, stderr } = run.output()
      assert.include(stderr, "✗ no terminal to ask for the credentials")
      // the settings layer logs "no config file …; using defaults" at info: not for a wizard
      assert.notMatch(stdout + stderr, /timestamp=|level=|no config file/)
    } finally {
      cleanup()
    }
  })

  it("names commands the way it was started: `node src/main.ts auth`, not a `deckcord` that is not installed", async () => {
    const { env, cleanup } = sandbox()
    try {
      const run = start(["doctor"], env)
      await run.exited
      const { stdout } = run.output()
      assert.include(stdout, "fix: run `node src/main.ts auth` to create it")
      assert.notInclude(stdout, "`deckcord auth`")
    } finally {
      cleanup()
    }
  })

  it("the remote commands too: with no daemon, `node src/main.ts mute` says to start `node src/main.ts`", async () => {
    const { env, cleanup } = sandbox()
    try {
      const run = start(["mute"], env) // nothing listens in the sandbox's runtime directory
      assert.strictEqual(await run.exited, 3)
      assert.include(run.output().stderr, "start it with `node src/main.ts` or")
    } finally {
      cleanup()
    }
  })
})

describe("commandName", () => {
  it("is `deckcord` through the installed bin link, else `node <script>`", () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-bin-"))
    try {
      const script = Path.join(dir, "pkg", "dist", "main.js")
      Fs.mkdirSync(Path.dirname(script), { recursive: true })
      Fs.writeFileSync(script, "")
      const bin = Path.join(dir, "bin")
      Fs.mkdirSync(bin)
      Fs.symlinkSync(script, Path.join(bin, "deckcord"))
      const cwd = Path.join(dir, "pkg")
      assert.strictEqual(commandName({ argv: ["node", Path.join(bin, "deckcord")], cwd, pathVariable: "" }), "deckcord")
      // `node dist/main.js` while that same file is installed as `deckcord`: the short name works
      assert.strictEqual(commandName({ argv: ["node", script], cwd, pathVariable: bin }), "deckcord")
      assert.strictEqual(commandName({ argv: ["node", script], cwd, pathVariable: "" }), "node dist/main.js")
      assert.strictEqual(
        localizeCommands("run `deckcord auth` or `deckcord` itself, not deckcord's docs", "node dist/main.js"),
        "run `node dist/main.js auth` or `node dist/main.js` itself, not deckcord's docs"
      )
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
