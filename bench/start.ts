/**
 * Start-up of the library: a fresh node process until a DiscordRpc client alone is Ready
 * (handshaken and authenticated) against FakeDiscord, and imports of the package and of one
 * deep entry point in a fresh process. The daemon's own start is bench/daemon.ts.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { FIXTURE_CLIENT_ID } from "../src/testing/index.ts"
import { BENCH_TOKEN, startBenchFake } from "./setup.ts"
import { pending, type Row, summarize } from "./stats.ts"

const GROUP = "start"
/** Fresh processes per figure: each costs ~0.3 s, so 10 keep the row under a few seconds. */
const RUNS = 10

const run = (
  args: ReadonlyArray<string>,
  cwd?: string,
  env?: NodeJS.ProcessEnv
): Promise<{ wallMillis: number; stdout: string }> =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    ChildProcess.execFile(process.execPath, args, { cwd, env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${args.join(" ")} failed: ${stderr || error.message}`))
      else resolve({ wallMillis: performance.now() - start, stdout })
    })
  })

const repoFile = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url))

export async function benchStart(): Promise<Array<Row>> {
  const rows: Array<Row> = []
  const fake = await startBenchFake()
  try {
    const child = fileURLToPath(new URL("./startChild.js", import.meta.url))
    const wall: Array<number> = []
    const inProcess: Array<number> = []
    for (let i = 0; i < RUNS; i++) {
      const { stdout, wallMillis } = await run([child, fake.socketPath, BENCH_TOKEN, FIXTURE_CLIENT_ID])
      const last = stdout.trim().split("\n").pop() ?? "{}"
      const { readyMillis } = JSON.parse(last) as { readyMillis: number }
      wall.push(wallMillis)
      inProcess.push(readyMillis)
    }
    rows.push(
      summarize(GROUP, "library client: spawn → Ready and authenticated (parent's clock)", "ms", wall, {
        note: "node start + loading dist/ through the deep entry points (deckcord/discord/…) + connect + handshake + AUTHENTICATE"
      }),
      summarize(GROUP, "library client: process start → Ready and authenticated (child's clock)", "ms", inProcess, {
        note: "the same, from the child's time origin (excludes the spawn itself)"
      })
    )
  } finally {
    await fake.close()
  }

  if (!Fs.existsSync(repoFile("dist/index.js"))) {
    rows.push(pending(GROUP, 'import("deckcord") in a fresh process', "median ≤ 150 ms", "no dist/index.js: run npm run build"))
    return rows
  }
  // resolved as a library user's code resolves them: through the package's "exports"
  const imports: ReadonlyArray<readonly [specifier: string, note: string, target?: number]> = [
    ["deckcord", "the whole library (dist/index.js, as npm run build leaves it)", 150],
    ["deckcord/discord/DiscordRpc", "one service through its deep entry point: loads only what DiscordRpc needs"],
    ["deckcord/protocol/Frame", "the pure frame codec alone"],
    ["effect/Schema", "reference: effect's Schema module alone, which every deckcord service with a wire format needs"]
  ]
  const importMillis = async (specifier: string, env?: NodeJS.ProcessEnv) => {
    const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t)`
    const millis: Array<number> = []
    for (let i = 0; i < RUNS; i++) {
      const { stdout } = await run(["--input-type=module", "-e", script], repoFile(""), env)
      millis.push(Number(stdout.trim()))
    }
    return millis
  }
  for (const [specifier, note, target] of imports) {
    const row = summarize(GROUP, `import("${specifier}") in a fresh process`, "ms", await importMillis(specifier), { note })
    rows.push(target === undefined ? row : { ...row, target: `median ≤ ${target} ms`, met: row.median <= target })
  }
  // an app can turn on Node's compile cache for all its modules, deckcord's and effect's with them
  const cacheDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-compile-cache-"))
  try {
    const env = { ...process.env, NODE_COMPILE_CACHE: cacheDir }
    await importMillis("deckcord", env) // the first runs fill the cache
    rows.push(summarize(GROUP, 'import("deckcord") in a fresh process, app with NODE_COMPILE_CACHE set', "ms", await importMillis("deckcord", env), {
      note: "the same import where the app enables Node's module compile cache (an environment variable, or module.enableCompileCache() before its imports)"
    }))
  } finally {
    Fs.rmSync(cacheDir, { recursive: true, force: true })
  }
  return rows
}
