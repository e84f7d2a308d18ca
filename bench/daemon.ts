/**
 * The daemon as a user starts it: `node dist/main.js --config …` (the built, bundled entry),
 * with a config whose `socketPath` points at a FakeDiscord in another process, a stored token
 * the fake accepts, and one fake deck (`$DECKCORD_FAKE_DECKS`). Side by side in the same
 * loop, a bare `node -e` start is the floor every start figure is divided by.
 *
 * - start: spawn → first log line, and → Ready and authenticated (the daemon logs
 *   "connected to Discord" once Discord accepted the token), with one fake deck and with
 *   none; CPU used by then. Beside them a minimal Effect CLI bundled the same way
 *   (bench/reference/effectCli.ts): what the framework alone costs.
 * - idle (`startIdleDaemon`, run before the other sections, on a quiet machine): a
 *   run with bench/daemonProbe.ts preloaded: memory 10 s after start, then the main thread's
 *   wake-ups (voluntary context switches, from /proc) over the next 10 s, and which timers
 *   fired in that window.
 * - files: one run with the probe's loader hook, counting the files loaded (by package).
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { FAKE_DECKS_ENV } from "../src/layers/FakeDecksFromEnv.ts"
import { FIXTURE_CLIENT_ID } from "../src/testing/index.ts"
import { BENCH_SCOPES, BENCH_TOKEN, type ForkedFake, forkFake } from "./setup.ts"
import { MiB, pending, type Row, single, sleep, summarize } from "./stats.ts"

const GROUP = "daemon"
/** Fresh processes per figure, floor and daemon alternating so both see the same machine load. */
const RUNS = 10
/** The deck of the measured runs. */
const FAKE_DECK = "original-mk2"
/** The daemon's log line once its Discord client is Ready (handshaken and authenticated). */
const READY_LINE = /connected to Discord/
const IDLE_AFTER_MILLIS = 10_000
const IDLE_WINDOW_MILLIS = 10_000
/** The floor: print one line (then stay, so its CPU can be read; it is stopped right after). */
const FLOOR_SCRIPT = "console.log(0); setTimeout(() => {}, 10_000)"
/** A start that has not reached Ready by then is a failure, not a slow sample. */
const START_TIMEOUT_MILLIS = 20_000

const root = fileURLToPath(new URL("../../../", import.meta.url))
const daemonEntry = Path.join(root, "dist/main.js")
const probe = fileURLToPath(new URL("./daemonProbe.js", import.meta.url))

/** A config and token file in a fresh directory, as `deckcord auth` would leave them. */
const prepareHome = (socketPath: string, fakeDecks: string = FAKE_DECK) => {
  const home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-bench-"))
  const dirs = { config: Path.join(home, "config"), state: Path.join(home, "state"), runtime: Path.join(home, "run") }
  for (const dir of Object.values(dirs)) Fs.mkdirSync(Path.join(dir, "deckcord"), { recursive: true, mode: 0o700 })
  // a port of the system's choosing: the two idle daemons run at once, and neither may lose the web UI
  const config = { clientId: FIXTURE_CLIENT_ID, clientSecret: "bench-client-secret", socketPath, web: { port: 0 } }
  const configFile = Path.join(dirs.config, "deckcord", "config.json")
  Fs.writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 })
  const token = {
    accessToken: BENCH_TOKEN,
    refreshToken: "bench-refresh-token",
    expiresAt: Date.now() + 7 * 24 * 3600_000,
    scopes: BENCH_SCOPES
  }
  Fs.writeFileSync(
    Path.join(dirs.state, "deckcord", "tokens.json"),
    JSON.stringify({ version: 1, tokens: { [FIXTURE_CLIENT_ID]: token } }),
    { mode: 0o600 }
  )
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_STATE_HOME: dirs.state,
    XDG_RUNTIME_DIR: dirs.runtime,
    [FAKE_DECKS_ENV]: fakeDecks
  }
  return { home, configFile, env }
}

/** utime + stime of a live process, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
const cpuMillis = (pid: number): number => {
  let stat: string
  try {
    stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  } catch {
    return Number.NaN // already gone
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/**
 * A live process's resident memory by what backs it (/proc/<pid>/smaps), in MiB: node's own
 * executable (its code and ICU data, paged in as used), anonymous memory (V8's heap, malloc,
 * stacks) and the other mapped files (native addons and system libraries).
 */
const residentParts = (pid: number, executable: string) => {
  const parts = { executable: 0, anonymous: 0, libraries: 0 }
  let current: keyof typeof parts = "anonymous"
  const binary = Fs.realpathSync(executable)
  for (const line of Fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (mapping !== null) {
      const name = mapping[1] ?? ""
      current = name === binary ? "executable" : name === "" || name.startsWith("[") ? "anonymous" : "libraries"
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss !== null) parts[current] += Number(rss[1]) / 1024
  }
  return parts
}

/** Voluntary context switches of a process's main thread: each is one sleep it woke from. */
const mainThreadWakeups = (pid: number): number => {
  const status = Fs.readFileSync(`/proc/${pid}/task/${pid}/status`, "utf8")
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
}

interface Started {
  readonly child: ChildProcess.ChildProcess
  readonly firstLineMillis: number
  readonly readyMillis: number
  readonly cpuAtReadyMillis: number
  /** CPU used by the first output line: unlike wall time, barely moved by other load on the machine. */
  readonly cpuAtFirstLineMillis: number
  readonly output: () => string
}

/** Spawn and wait for the first output and for `ready` (or exit, or the timeout: an error). */
const spawnUntil = (
  node: string,
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  ready: RegExp | undefined
): Promise<Started> =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    const child = ChildProcess.spawn(node, args, { env, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    let first: number | undefined
    let cpuAtFirst = Number.NaN
    let settled = false
    const timer = setTimeout(() => fail(new Error(`no "${ready}" within ${START_TIMEOUT_MILLIS} ms`)), START_TIMEOUT_MILLIS)
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill("SIGKILL")
      reject(new Error(`${args.join(" ")}: ${error.message}\n${output}`))
    }
    const onData = (chunk: Buffer) => {
      const now = performance.now()
      if (first === undefined) {
        first = now - start
        cpuAtFirst = cpuMillis(child.pid!)
      }
      output += chunk.toString("utf8")
      if (settled) return
      if (ready === undefined || ready.test(output)) {
        settled = true
        clearTimeout(timer)
        const cpu = ready === undefined ? Number.NaN : cpuMillis(child.pid!)
        resolve({
          child,
          firstLineMillis: first,
          readyMillis: now - start,
          cpuAtReadyMillis: cpu,
          cpuAtFirstLineMillis: cpuAtFirst,
          output: () => output
        })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.once("exit", (code, signal) => fail(new Error(`exited (${code ?? signal}) before "${ready}"`)))
  })

const stop = (child: ChildProcess.ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

interface ProbeReport {
  readonly rss: number
  readonly heapUsed: number
  readonly heapUsedAfterGc: number
  readonly timers: Readonly<Record<string, number>>
  readonly resources: Readonly<Record<string, number>>
  readonly files: ReadonlyArray<string>
}

const readProbe = async (file: string, lines: number): Promise<ReadonlyArray<ProbeReport>> => {
  for (let i = 0; i < 100; i++) {
    const text = Fs.existsSync(file) ? Fs.readFileSync(file, "utf8").trim() : ""
    const reports = text === "" ? [] : text.split("\n")
    if (reports.length >= lines) return reports.map((l) => JSON.parse(l) as ProbeReport)
    await sleep(20)
  }
  throw new Error(`the daemon probe wrote no report to ${file}`)
}

/** "node_modules/effect/…" → "effect"; the package's own files → "deckcord (dist/…)". */
const originOf = (file: string): string => {
  const path = file.startsWith("file:") ? fileURLToPath(file) : file
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1]
  if (pkg !== undefined) return pkg
  return path.startsWith(root) ? `deckcord (${Path.relative(root, path).split("/").slice(0, 2).join("/")})` : path
}

const describeFiles = (files: ReadonlyArray<string>): string => {
  const byOrigin = new Map<string, number>()
  for (const f of files) byOrigin.set(originOf(f), (byOrigin.get(originOf(f)) ?? 0) + 1)
  return [...byOrigin].sort((a, b) => b[1] - a[1]).map(([origin, n]) => `${n} ${origin}`).join(", ")
}

/** Timer sites, most frequent first: `12× setTimeout(1000 ms) at …`. */
const describeTimers = (timers: Readonly<Record<string, number>>): string => {
  const entries = Object.entries(timers)
  return entries.length === 0
    ? "no timer fired"
    : entries.map(([site, n]) => `${n}× ${site}`).join("; ")
}

/**
 * CPU (user + system, /proc, 10 ms ticks) by the first output line, for the floor, the
 * reference and the daemon: a machine busy with other work stretches wall time, hardly CPU.
 */
const cpuRows = (
  group: string,
  floor: ReadonlyArray<number>,
  framework: ReadonlyArray<number>,
  daemon: ReadonlyArray<number>
): Array<Row> => {
  const floorRow = summarize(group, "CPU by the first output line: floor (bare `node -e`)", "ms", floor)
  const ratio = (samples: ReadonlyArray<number>) => {
    const row = summarize(group, "", "ms", samples)
    return { median: Number((row.median / floorRow.median).toFixed(2)), p99: Number((row.p99 / floorRow.p99).toFixed(2)) }
  }
  return [
    { ...floorRow, note: "user + system CPU from /proc/<pid>/stat when the line arrives (10 ms ticks): load on the machine stretches wall time, hardly this" },
    summarize(group, "CPU by the first output line: reference Effect CLI", "ms", framework, { ratio: ratio(framework) }),
    summarize(group, "CPU by the first output line: daemon", "ms", daemon, { ratio: ratio(daemon) })
  ]
}

/** The reference program, bundled into build/bench/reference/ like the CLI into dist/. */
const bundleReference = async (): Promise<string> => {
  // the script lives at the repo root, not in build/bench/ where this file runs from
  const { bundleEntry } = await import(Path.join(root, "scripts/bundle.mjs")) as typeof import("../scripts/bundle.mjs")
  const outdir = Path.join(root, "build/bench/reference")
  Fs.rmSync(outdir, { recursive: true, force: true })
  await bundleEntry({ entry: "./bench/reference/effectCli.ts", resolveDir: root, outdir, chunksDir: "chunks" })
  return Path.join(outdir, "main.js")
}

/**
 * The start figures with `node` (default: the Node running the bench) for every process,
 * the floor's included; `group` names the rows (a second Node's rows get a group of their own).
 */
export async function benchDaemon(node: string = process.execPath, group: string = GROUP): Promise<Array<Row>> {
  const GROUP = group
  if (!Fs.existsSync(daemonEntry)) {
    return [pending(GROUP, "daemon start", undefined, "no dist/main.js: run npm run build")]
  }
  const reference = await bundleReference()
  const fake = await forkFake()
  const homes: Array<string> = []
  const home = (decks?: string) => {
    const prepared = prepareHome(fake.socketPath, decks)
    homes.push(prepared.home)
    return prepared
  }
  try {
    const floor: Array<number> = []
    const floorCpu: Array<number> = []
    const framework: Array<number> = []
    const frameworkCpu: Array<number> = []
    const firstCpu: Array<number> = []
    const first: Array<number> = []
    const ready: Array<number> = []
    const readyNoDeck: Array<number> = []
    const cpu: Array<number> = []
    // warm-up: Node's compile cache is filled by the first start of a new build
    await stop((await spawnUntil(node, [reference], process.env, undefined)).child)
    const warm = home()
    await stop((await spawnUntil(node, [daemonEntry, "--config", warm.configFile], warm.env, READY_LINE)).child)
    for (let i = 0; i < RUNS; i++) {
      const bare = await spawnUntil(node, ["-e", FLOOR_SCRIPT], process.env, undefined)
      floor.push(bare.firstLineMillis)
      floorCpu.push(bare.cpuAtFirstLineMillis)
      await stop(bare.child)
      const minimal = await spawnUntil(node, [reference], process.env, undefined)
      framework.push(minimal.firstLineMillis)
      frameworkCpu.push(minimal.cpuAtFirstLineMillis)
      await stop(minimal.child)
      const withDeck = home()
      const daemon = await spawnUntil(node, [daemonEntry, "--config", withDeck.configFile], withDeck.env, READY_LINE)
      first.push(daemon.firstLineMillis)
      firstCpu.push(daemon.cpuAtFirstLineMillis)
      ready.push(daemon.readyMillis)
      cpu.push(daemon.cpuAtReadyMillis)
      await stop(daemon.child)
      const noDeck = home("none")
      const bare2 = await spawnUntil(node, [daemonEntry, "--config", noDeck.configFile], noDeck.env, READY_LINE)
      readyNoDeck.push(bare2.readyMillis)
      await stop(bare2.child)
    }
    const floorRow = summarize(GROUP, "floor: bare `node -e` spawn → first output line", "ms", floor, {
      note: "a fresh node process printing one line: what any Node program pays before its own code"
    })
    const ratio = (samples: ReadonlyArray<number>) => {
      const row = summarize(GROUP, "", "ms", samples)
      return { median: Number((row.median / floorRow.median).toFixed(2)), p99: Number((row.p99 / floorRow.p99).toFixed(2)) }
    }
    const within = (samples: ReadonlyArray<number>, times: number) =>
      summarize(GROUP, "", "ms", samples).median <= times * floorRow.median
    const rows: Array<Row> = [
      floorRow,
      summarize(GROUP, "reference: a minimal Effect CLI, bundled the same way → its log line", "ms", framework, {
        ratio: ratio(framework),
        note: "bench/reference/effectCli.ts: Command.run on NodeRuntime, one Schema decode, one Effect.logInfo; " +
          "the part of every start figure below that is the framework's, not deckcord's"
      }),
      summarize(GROUP, "daemon spawn → first log line", "ms", first, {
        ratio: ratio(first),
        target: "median ≤ 3× floor",
        met: within(first, 3),
        note: `node dist/main.js --config … (the bundled CLI) with one fake deck (${FAKE_DECK}) and FakeDiscord in another process`
      }),
      summarize(GROUP, "daemon spawn → Ready and authenticated against FakeDiscord, one fake deck", "ms", ready, {
        ratio: ratio(ready),
        target: "median ≤ 4× floor",
        met: within(ready, 4),
        note: "module load, config and token files, connect, handshake, AUTHENTICATE with the stored token, until the " +
          "daemon logs it; the deck's first paint (15 keys rendered and written) runs in the same time"
      }),
      summarize(GROUP, "daemon spawn → Ready and authenticated against FakeDiscord, no deck", "ms", readyNoDeck, {
        ratio: ratio(readyNoDeck),
        target: "median ≤ 4× floor",
        met: within(readyNoDeck, 4),
        note: `the same with ${FAKE_DECKS_ENV}=none: no deck plugged in, nothing to paint`
      }),
      summarize(GROUP, "daemon CPU (user + system) by Ready, one fake deck", "ms", cpu, {
        note: "from /proc/<pid>/stat at the Ready line; 10 ms resolution"
      }),
      ...cpuRows(GROUP, floorCpu, frameworkCpu, firstCpu)
    ]

    // files loaded by Ready (a run of its own: the loader hook has a thread of its own)
    const filesFile = Path.join(Os.tmpdir(), `deckcord-bench-files-${process.pid}.jsonl`)
    Fs.rmSync(filesFile, { force: true })
    const counting = home()
    const counted = await spawnUntil(
      node,
      ["--import", probe, daemonEntry, "--config", counting.configFile],
      { ...counting.env, DECKCORD_BENCH_PROBE: filesFile, DECKCORD_BENCH_PROBE_FILES: "1" },
      READY_LINE
    )
    counted.child.kill("SIGUSR2")
    const [loaded] = await readProbe(filesFile, 1)
    await stop(counted.child)
    Fs.rmSync(filesFile, { force: true })
    const files = loaded!.files.filter((f) => !f.includes("/build/bench/"))
    rows.push(single(GROUP, "JavaScript files loaded by Ready", "files", files.length, {
      note: describeFiles(files)
    }))
    rows.push(await benchRemote(node, GROUP, fake, floorRow, home))
    return rows
  } finally {
    await fake.close()
    for (const dir of homes) Fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Start the daemon that the idle figures come from; `rows` waits until 20 s after its start
 * (10 s to settle, then the 10 s window) and reports. Started before the other sections so
 * its waiting overlaps them: an idle process's memory and its own wake-ups do not depend on
 * what else runs.
 */
export const startIdleDaemon = async (
  node: string = process.execPath
): Promise<{ readonly rows: () => Promise<Array<Row>> }> => {
  if (!Fs.existsSync(daemonEntry)) return { rows: async () => [] }
  const withDeck = await idleRun(node, FAKE_DECK)
  const noDeck = await idleRun(node, "none")
  return {
    rows: async () => {
      const [a, b] = [await withDeck.rows(), await noDeck.rows()]
      const rss = b.find((r) => r.name.startsWith("idle: resident memory"))
      if (rss === undefined) return a
      return [...a, single(GROUP, "idle: resident memory 10 s after start, no deck", "MiB", rss.median, {
        note: `the same with ${FAKE_DECKS_ENV}=none: the difference to the row with a deck is what the deck adds (resvg, images)`
      })]
    }
  }
}

const idleRun = async (node: string, decks: string): Promise<{ readonly rows: () => Promise<Array<Row>> }> => {
  const fake: ForkedFake = await forkFake()
  const prepared = prepareHome(fake.socketPath, decks)
  const probeFile = Path.join(Os.tmpdir(), `deckcord-bench-probe-${process.pid}-${decks}.jsonl`)
  Fs.rmSync(probeFile, { force: true })
  const startedAt = performance.now()
  const idle = await spawnUntil(
    node,
    ["--expose-gc", "--import", probe, daemonEntry, "--config", prepared.configFile],
    { ...prepared.env, DECKCORD_BENCH_PROBE: probeFile },
    READY_LINE
  )
  const pid = idle.child.pid!
  // the floor beside it: a bare node process that only waits, measured at the same age
  // it prints its memory and stays a moment, so its mappings can be read as they were
  const bareScript = `setTimeout(() => { console.log(JSON.stringify(process.memoryUsage())); setTimeout(() => {}, 5000) }, ${IDLE_AFTER_MILLIS})`
  const bare = new Promise<{ readonly memory: NodeJS.MemoryUsage; readonly parts: ReturnType<typeof residentParts> }>((resolve, reject) => {
    const child = ChildProcess.spawn(node, ["-e", bareScript], { stdio: ["ignore", "pipe", "inherit"] })
    child.stdout.once("data", (line: Buffer) => {
      try {
        resolve({ memory: JSON.parse(line.toString("utf8")) as NodeJS.MemoryUsage, parts: residentParts(child.pid!, node) })
      } catch (error) {
        reject(error)
      } finally {
        child.kill()
      }
    })
    child.once("error", reject)
  })
  const until = (ms: number) => sleep(Math.max(0, ms - (performance.now() - startedAt)))
  const measured = (async () => {
    await until(IDLE_AFTER_MILLIS)
    idle.child.kill("SIGUSR2")
    const [atTen] = await readProbe(probeFile, 1)
    const parts = residentParts(pid, node)
    await sleep(100)
    const before = mainThreadWakeups(pid)
    await until(IDLE_AFTER_MILLIS + 100 + IDLE_WINDOW_MILLIS)
    const after = mainThreadWakeups(pid)
    idle.child.kill("SIGUSR2")
    const reports = await readProbe(probeFile, 2)
    return { atTen: atTen!, parts, window: reports[1]!, wakeups: after - before }
  })()
  return {
    rows: async () => {
      try {
        const { atTen, parts, wakeups, window } = await measured
        const floor = await bare
        const deckSeen = idle.output().includes("connected at")
        return [
          single(GROUP, "floor: bare node process 10 s after start, resident memory", "MiB", floor.memory.rss / MiB, {
            note: `node -e with one pending timer; V8 heap used ${(floor.memory.heapUsed / MiB).toFixed(1)} MiB; node's own executable ` +
              `${floor.parts.executable.toFixed(1)} MiB, anonymous memory ${floor.parts.anonymous.toFixed(1)} MiB, other mapped files ` +
              `${floor.parts.libraries.toFixed(1)} MiB`
          }),
          single(GROUP, "idle: resident memory 10 s after start, one fake deck", "MiB", atTen.rss / MiB, {
            target: "≤ 60 MiB",
            met: atTen.rss / MiB <= 60,
            note: `process.memoryUsage().rss (the whole process); by what backs it: node's own executable ` +
              `${parts.executable.toFixed(1)} MiB (its code and ICU data as far as paged in), anonymous memory ` +
              `${parts.anonymous.toFixed(1)} MiB (V8's heap, malloc, stacks), other mapped files ${parts.libraries.toFixed(1)} MiB ` +
              `(resvg, system libraries); deck connected: ${deckSeen ? "yes" : "NO"}`
          }),
          single(GROUP, "idle: V8 heap used 10 s after start (live, after a full GC)", "MiB", atTen.heapUsedAfterGc / MiB, {
            target: "≤ 15 MiB",
            met: atTen.heapUsedAfterGc / MiB <= 15,
            note: `process.memoryUsage().heapUsed right after gc() (this run starts node with --expose-gc; the resident ` +
              `figure above is read before it); as it stood before the GC: ${(atTen.heapUsed / MiB).toFixed(1)} MiB`
          }),
          single(GROUP, `idle: main-thread wake-ups over ${IDLE_WINDOW_MILLIS / 1000} s`, "wake-ups", wakeups, {
            note: `voluntary context switches of the main thread (/proc/<pid>/task/<pid>/status); timers that fired: ${
              describeTimers(window.timers)
            }; what the loop waits on: ${
              Object.entries(window.resources).map(([kind, n]) => `${n} ${kind}`).join(", ")
            } (a wake-up without a timer is I/O on one of these, or V8's own housekeeping)`
          })
        ]
      } finally {
        await stop(idle.child)
        await fake.close()
        Fs.rmSync(probeFile, { force: true })
        Fs.rmSync(prepared.home, { recursive: true, force: true })
      }
    }
  }
}

/** Where the remote commands' client is, once the remote-control CLI is built. */
const remoteClient = Path.join(root, "dist/cli/remote.js")

/**
 * A remote command (`node dist/main.js mute`, the remote-control CLI) against the running
 * daemon: spawn → the SET_VOICE_SETTINGS frame it causes arrives at FakeDiscord, ≤ 2× the
 * floor. Pending until that CLI is built (dist/cli/remote.js).
 */
const benchRemote = async (
  node: string,
  group: string,
  fake: ForkedFake,
  floor: Row,
  home: (decks?: string) => ReturnType<typeof prepareHome>
): Promise<Row> => {
  const name = "remote command `mute` spawn → its frame at FakeDiscord"
  if (!Fs.existsSync(remoteClient)) {
    return pending(group, name, "median ≤ 2× floor", "the remote-control CLI is not built (no dist/cli/remote.js)")
  }
  const prepared = home("none")
  const daemon = await spawnUntil(node, [daemonEntry, "--config", prepared.configFile], prepared.env, READY_LINE)
  try {
    const samples: Array<number> = []
    for (let i = 0; i < RUNS; i++) {
      const frame = fake.ask<{ readonly at: number }>({ type: "nextFrame", cmd: "SET_VOICE_SETTINGS" }, "frame")
      const startedAt = performance.timeOrigin + performance.now()
      const remote = ChildProcess.spawn(node, [daemonEntry, "mute"], { env: prepared.env, stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      remote.stdout.on("data", (c: Buffer) => void (output += c.toString("utf8")))
      remote.stderr.on("data", (c: Buffer) => void (output += c.toString("utf8")))
      const exited = new Promise<number | null>((resolve) => remote.once("exit", (code) => resolve(code)))
      const code = await Promise.race([exited, frame.then(() => undefined)])
      if (code !== undefined) throw new Error(`deckcord mute exited (${code}) before its frame reached the fake:\n${output}`)
      samples.push((await frame).at - startedAt)
      if ((await exited) !== 0) throw new Error(`deckcord mute failed:\n${output}`)
    }
    const row = summarize(group, name, "ms", samples, {
      note: "node dist/main.js mute: the light client, the daemon's control socket, the Controller's press path, the RPC socket"
    })
    const ratio = { median: Number((row.median / floor.median).toFixed(2)), p99: Number((row.p99 / floor.p99).toFixed(2)) }
    return { ...row, ratio, target: "median ≤ 2× floor", met: row.median <= 2 * floor.median }
  } finally {
    await stop(daemon.child)
  }
}
