/**
 * Start-up: a fresh node process until deckcord's client is Ready (handshaken and
 * authenticated) against FakeDiscord, and `import("deckcord")` in a fresh process.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import { fileURLToPath } from "node:url"
import { startBenchFake } from "./setup.ts"
import { pending, type Row, summarize } from "./stats.ts"

const GROUP = "start"
/** Fresh processes per figure: each costs ~0.3 s, so 10 keep the row under a few seconds. */
const RUNS = 10

const run = (args: ReadonlyArray<string>): Promise<{ wallMillis: number; stdout: string }> =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    ChildProcess.execFile(process.execPath, args, (error, stdout, stderr) => {
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
      const { stdout, wallMillis } = await run([child, fake.socketPath])
      const last = stdout.trim().split("\n").pop() ?? "{}"
      const { readyMillis } = JSON.parse(last) as { readyMillis: number }
      wall.push(wallMillis)
      inProcess.push(readyMillis)
    }
    rows.push(
      summarize(GROUP, "spawn → Ready and authenticated (parent's clock)", "ms", wall, {
        note: "node start + module load + connect + handshake + AUTHENTICATE + subscriptions replayed"
      }),
      summarize(GROUP, "process start → Ready and authenticated (child's clock)", "ms", inProcess, {
        note: "the same, from the child's time origin (excludes the spawn itself)"
      })
    )
  } finally {
    await fake.close()
  }

  const dist = repoFile("dist/index.js")
  const built = fileURLToPath(new URL("../src/index.js", import.meta.url))
  const target = Fs.existsSync(dist) ? dist : Fs.existsSync(built) ? built : undefined
  if (target === undefined) {
    rows.push(pending(GROUP, 'import("deckcord") in a fresh process', undefined, "no dist/index.js: run npm run build"))
    return rows
  }
  const script = `const t = performance.now(); await import(${JSON.stringify(target)}); console.log(performance.now() - t)`
  const importMs: Array<number> = []
  for (let i = 0; i < RUNS; i++) {
    const { stdout } = await run(["--input-type=module", "-e", script])
    importMs.push(Number(stdout.trim()))
  }
  rows.push(
    summarize(GROUP, 'import("deckcord") in a fresh process', "ms", importMs, {
      note: `imports ${target === dist ? "dist/index.js (npm run build output)" : "build/bench/src/index.js (dist/ not built)"}`
    })
  )
  return rows
}
